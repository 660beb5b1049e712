"""``oncotrial checks run`` and ``oncotrial ctcae load``: the eCRF area's verbs.

Django is imported inside the handlers so that other verbs of the command line stay fast.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    checks = subparsers.add_parser("checks", help="edit checks over the stored eCRF data")
    checks_verbs = checks.add_subparsers(dest="checks_command", metavar="VERB", required=True)
    run = checks_verbs.add_parser("run", help="re-run every edit check; open and close automatic queries")
    run.add_argument("--study", help="study code (default: every study)")
    run.set_defaults(func=checks_run_command)

    ctcae = subparsers.add_parser("ctcae", help="CTCAE term tables")
    ctcae_verbs = ctcae.add_subparsers(dest="ctcae_command", metavar="VERB", required=True)
    load = ctcae_verbs.add_parser("load", help="load the full NCI CTCAE workbook (.xlsx) you downloaded")
    load.add_argument("workbook", help="path to the NCI CTCAE .xlsx file")
    load.add_argument("--version", default="5.0", help="CTCAE version the workbook holds (default 5.0)")
    load.set_defaults(func=ctcae_load_command)


def _setup() -> None:
    from oncotrial.commands.web import setup_django

    setup_django()


def checks_run_command(args: argparse.Namespace) -> int:
    _setup()
    from oncotrial.web.ecrf.services.checks import rerun_edit_checks
    from oncotrial.web.services.studies import find_study

    study = find_study(args.study) if args.study else None
    print(rerun_edit_checks(study).summary)
    return 0


def ctcae_load_command(args: argparse.Namespace) -> int:
    from oncotrial.web.ecrf.ctcae import read_ctcae_workbook

    rows = read_ctcae_workbook(args.workbook)  # read (and reject) before touching the database
    _setup()
    from oncotrial.web.ecrf.services.ctcae import save_ctcae_terms

    created, updated = save_ctcae_terms(rows, version=args.version, source="workbook", how="cli")
    print(f"CTCAE v{args.version}: {len(rows)} terms read, {created} added, {updated} updated")
    return 0
