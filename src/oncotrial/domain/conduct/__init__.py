"""Running the trial day to day: what is due for a subject, who may enter, which arm, which dose.

Holds the calendar engine (`calendar`: planned doses, procedures and assessments from the protocol
and what happened, read from `subject_events`; `dose_clocks` plans each drug's cycles and `visits`
the imaging and survival contacts), BSA dosing (`dosing`),
eligibility from structured criteria (`eligibility`), randomization (`randomization`: permuted
blocks, stratification, minimization; `balance` simulates arm balance) and edit checks as data
(`edit_checks`).

Start with::

    from oncotrial.domain.conduct.calendar import derive_calendar
    from oncotrial.domain.conduct.subject_events import SubjectEvents
    from oncotrial.domain.conduct.randomization import allocate
"""
