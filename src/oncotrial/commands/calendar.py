"""``oncotrial calendar PROTOCOL --events FILE``: a subject's treatment and assessment calendar.

The events file (YAML or JSON) holds one subject's events, or a list of subjects; its fields are those
of :meth:`oncotrial.domain.conduct.subject_events.SubjectEvents.from_dict` (see docs/calendar.md). ``--as-of``
defaults to today; ``--json`` prints the calendar's plain form.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from oncotrial.commands.protocols import read_protocol
from oncotrial.domain.conduct.calendar import Calendar, derive_calendar
from oncotrial.domain.conduct.subject_events import SubjectEvents
from oncotrial.errors import InvalidInput, NotFound

STATUS_STYLES = {"overdue": "bold red", "out_of_window": "yellow", "missed": "red", "held": "magenta",
                 "given": "green", "done": "green", "planned": "cyan"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("calendar", help="a subject's dosing and assessment calendar",
                                   description="Derive the calendar (next dose per drug clock, "
                                   "procedures, scans and survival contacts, flags) from a protocol "
                                   "and one subject's actual events.")
    parser.add_argument("protocol", metavar="PROTOCOL", help="built-in protocol id or a protocol YAML file")
    parser.add_argument("--events", metavar="FILE", required=True,
                        help="YAML or JSON file with one subject's events (or a list of subjects)")
    parser.add_argument("--as-of", metavar="DATE", help="the day to plan from, YYYY-MM-DD (default: today)")
    parser.add_argument("--json", action="store_true", help="print the calendar as JSON")
    parser.set_defaults(func=calendar_command)


def calendar_command(args) -> int:
    protocol = read_protocol(args.protocol)
    as_of = _as_of(args.as_of)
    calendars = [derive_calendar(protocol, events, as_of) for events in read_events(Path(args.events))]
    if args.json:
        data = [c.to_dict() for c in calendars]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))
        return 0
    for calendar in calendars:
        print_calendar(calendar)
    return 0


def read_events(path: Path) -> list[SubjectEvents]:
    """One or more subjects' events from a YAML or JSON file."""
    import yaml

    if not path.is_file():
        raise NotFound(f"{path}: no such events file", field="--events", hint="check the path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{path}: not readable YAML or JSON: {error}", field="--events",
                           hint="check indentation and quoting; save the file as UTF-8") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidInput(f"{path}: the events list is empty", field="--events")
    return [SubjectEvents.from_dict(item, source=f"{path}" + (f"[{i}]" if len(items) > 1 else ""))
            for i, item in enumerate(items)]


def _as_of(text: str | None) -> date:
    if not text:
        return date.today()  # the CLI is where "today" may come from; the domain never asks
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--as-of {text!r} is not a date", field="--as-of", hint="write YYYY-MM-DD") from None


def print_calendar(calendar: Calendar) -> None:
    from rich.console import Console

    console = Console()
    console.print(f"[bold]{calendar.subject_id}[/bold]  arm {calendar.arm}  "
                  f"status {calendar.status.replace('_', ' ')}  as of {calendar.as_of}")
    console.print(_clock_table(calendar))
    for note in _clock_notes(calendar):
        console.print(f"  {note}")
    if calendar.procedures:
        console.print(_procedure_table(calendar))
    console.print(_assessment_table(calendar))
    if calendar.unscheduled_assessments:
        console.print("unscheduled assessments: " + ", ".join(map(str, calendar.unscheduled_assessments)))
    for flag in calendar.flags:
        console.print(f"[bold red]![/bold red] {flag.message}")
    if not calendar.flags:
        console.print("[green]nothing overdue or out of window[/green]")


def _styled(status: str) -> str:
    style = STATUS_STYLES.get(status, "")
    text = status.replace("_", " ")
    return f"[{style}]{text}[/{style}]" if style else text


def _clock_table(calendar: Calendar):
    from rich import box
    from rich.table import Table

    table = Table(title="Drug clocks", title_justify="left", box=box.SIMPLE)
    for column in ("clock", "given", "state", "next", "due", "window", "status"):
        table.add_column(column, no_wrap=True)
    for clock in calendar.clocks:
        dose = clock.next_dose
        row = [clock.clock, str(clock.cycles_given), clock.state.replace("_", " ")]
        if dose:
            row += [f"cycle {dose.cycle}", str(dose.due), f"{dose.window_start:%m-%d}–{dose.window_end:%m-%d}",
                    _styled(dose.status)]
        table.add_row(*row)
    return table


def _clock_notes(calendar: Calendar) -> list[str]:
    """Why each next dose is due when it is (or why none is), with any reduced drugs."""
    notes = []
    for clock in calendar.clocks:
        dose = clock.next_dose
        if dose is None:
            notes.append(f"{clock.clock} ({' + '.join(clock.regimens)}): {clock.reason}")
            continue
        reduced = [f"{d.drug} at {d.percent:g}%" for d in dose.drugs if d.percent != 100]
        notes.append(f"{clock.clock} ({' + '.join(clock.regimens)}) cycle {dose.cycle}: {dose.basis}"
                     + (f"; {', '.join(reduced)}" if reduced else "") + (f"; {clock.reason}" if clock.reason else ""))
    return notes


def _procedure_table(calendar: Calendar):
    from rich import box
    from rich.table import Table

    table = Table(title="Procedures", title_justify="left", box=box.SIMPLE)
    for column in ("procedure", "due", "window", "status", "done"):
        table.add_column(column)
    for p in calendar.procedures:
        table.add_row(p.kind, str(p.due), f"{p.window_start} to {p.window_end}", _styled(p.status),
                      str(p.done_on or ""))
    return table


def _assessment_table(calendar: Calendar):
    from rich import box
    from rich.table import Table

    table = Table(title="Assessments", title_justify="left", box=box.SIMPLE)
    for column in ("visit", "day", "due", "window", "status", "done"):
        table.add_column(column)
    for a in calendar.assessments:
        label = a.kind.replace("_", " ") + (f" {a.number}" if a.number else "")
        table.add_row(label, str(a.study_day), str(a.due), f"{a.window_start} to {a.window_end}",
                      _styled(a.status), str(a.done_on or ""))
    return table
