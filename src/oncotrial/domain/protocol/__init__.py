"""The trial protocol as data: arms, interventions, regimens, schedules, endpoints, eligibility, design.

Holds the frozen protocol model (`model`), its YAML schema (`schema`), the structural checks a
protocol must pass (`checks`), and the ClinicalTrials.gov record → draft protocol importer
(`registry_import`, with the CSV reader in `registry_csv` and the draft YAML in `registry_draft`).

Start with::

    from oncotrial.domain.protocol.model import load_protocol, dump_protocol
    from oncotrial.protocols import load_builtin_protocol   # the two seed trials
    from oncotrial.domain.protocol.registry_import import import_registry_record
"""
