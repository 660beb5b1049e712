"""Per-subject outcomes: time-to-event endpoints, local control, safety, and the one call for all.

Holds the subject records the derivations read (`records`), the time-to-event engine with event
and censoring rules as values (`time_to_event`), the PFS / OS / DoR / iPFS definitions
(`endpoints`), response flags and binomial rates (`rates`), local control of treated lesions
(`local_control`), CTCAE safety summaries (`safety`), rule resolution from the protocol
(`derivation_rules`), `derive_subject_outcomes` (`derive`) and the columnar batch path (`batch`).

Start with::

    from oncotrial.domain.outcomes.derive import derive_subject_outcomes
    from oncotrial.domain.outcomes.batch import derive_batch_outcomes
"""
