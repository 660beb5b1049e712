"""The analysis results of one study at one data cut-off and analysis set (issue 11).

Entry call: `oncotrial.domain.analysis.results.derive_trial_results(protocol, facts, outcomes,
request)`, which returns one frozen `TrialResults` (header, CONSORT flow, DMT01 demographics, DST01
disposition, RSPT01 response, TTET01 time-to-event summaries, the design's landmark decision, local
control with death competing, waterfall / swimmer / spider data, AET01 / AET02 / AET04 safety, the
plain-English rules and every warning). `TrialResults.to_data()` is its plain JSON form, which the
pages, the API, the reports and the exports all read.
"""
