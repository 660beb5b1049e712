"""The ``oncotrial`` command.

Each area of the platform registers its verbs from a module in ``oncotrial.commands`` that exposes
``register(subparsers)``; each verb sets ``func(args) -> int``. User errors (any
:class:`~oncotrial.errors.OncotrialError`) print one message with its hint and exit 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from oncotrial import __version__
from oncotrial.errors import OncotrialError

# One line per area; each helper module owns its verbs.
COMMAND_MODULES: list[str] = [
    "design",
    "protocols",
    "web",
    "ecrf",
    "calendar",
    "randomization",
    "backup",
    "report",
    "export",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oncotrial",
        description="Run oncology clinical trials end to end.",
    )
    parser.add_argument("--version", action="version", version=f"oncotrial {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"oncotrial.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except OncotrialError as error:
        print(f"oncotrial: error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("oncotrial: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
