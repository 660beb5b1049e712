"""The analysis service: a study's records from the database to the domain's `TrialResults`
(`oncotrial.web.analysis.service.study_results`)."""
