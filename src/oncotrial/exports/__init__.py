"""Results written in the field's standard formats (CDISC, ODM, REDCap, ClinicalTrials.gov, FHIR)."""
