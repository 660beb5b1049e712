"""``oncotrial protocols list | show | validate | import``: the protocol as data, on the command line.

``show`` prints a readable summary (arms, regimens, start rules in plain words, imaging calendar,
endpoints, randomization, eligibility, design, assumptions); ``--json`` prints the protocol's data form,
which ``load_protocol`` reads back. ``import`` drafts a protocol from a ClinicalTrials.gov record and
writes nothing unless the whole record parsed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from oncotrial.domain.protocol.model import Protocol, load_protocol
from oncotrial.domain.protocol.schema import to_data
from oncotrial.errors import Conflict, InvalidInput, NotFound
from oncotrial.protocols import builtin_protocol_ids, builtin_protocol_text, load_builtin_protocol


def register(subparsers) -> None:
    protocols = subparsers.add_parser("protocols", help="list, show, validate and import protocols")
    verbs = protocols.add_subparsers(dest="protocols_command", metavar="VERB", required=True)

    listing = verbs.add_parser("list", help="the built-in protocols")
    listing.set_defaults(func=list_command)

    show = verbs.add_parser("show", help="a readable summary of a protocol")
    show.add_argument("protocol", metavar="ID_OR_FILE", help="built-in protocol id or a YAML file")
    show.add_argument("--json", action="store_true", help="print the protocol's data as JSON")
    show.set_defaults(func=show_command)

    validate = verbs.add_parser("validate",
                                help="check a protocol file (or a built-in id); name what a draft still lacks")
    validate.add_argument("file", metavar="FILE_OR_ID")
    validate.set_defaults(func=validate_command)

    imports = verbs.add_parser("import", help="draft a protocol from a ClinicalTrials.gov JSON or CSV record")
    imports.add_argument("file", metavar="FILE", help="API v2 study JSON or the current CSV export")
    imports.add_argument("--out", metavar="FILE", help="write the draft YAML here (default: standard output)")
    imports.add_argument("--format", choices=("json", "csv"), help="record format (default: from the text)")
    imports.add_argument("--force", action="store_true", help="replace --out if it exists")
    imports.set_defaults(func=import_command)


def list_command(args) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Built-in protocols", show_lines=False)
    for column in ("id", "phase", "arms", "enrolment", "title"):
        table.add_column(column)
    for protocol_id in builtin_protocol_ids():
        p = load_builtin_protocol(protocol_id)
        table.add_row(p.id, _phase_words(p.registry.phase), str(len(p.arms)), str(p.registry.enrollment),
                      p.title)
    Console().print(table)
    return 0


def show_command(args) -> int:
    protocol = read_protocol(args.protocol)
    if args.json:
        print(json.dumps(to_data(protocol), indent=2, ensure_ascii=False))
        return 0
    print_protocol_summary(protocol)
    return 0


def read_protocol(name: str) -> Protocol:
    """A built-in protocol by id, or a protocol YAML file."""
    path = Path(name)
    if path.is_file():
        return load_protocol(_read_text(path), source=str(path))
    if name in builtin_protocol_ids():
        return load_builtin_protocol(name)
    raise NotFound(f"'{name}' is neither a built-in protocol nor a file; built-in: "
                   f"{', '.join(builtin_protocol_ids())}", field="protocol",
                   hint="`oncotrial protocols list` shows the built-in protocols")


def validate_command(args) -> int:
    import yaml

    from oncotrial.domain.protocol.registry_draft import check_draft

    path = Path(args.file)
    if not path.is_file() and args.file in builtin_protocol_ids():
        text, path = builtin_protocol_text(args.file), Path(f"{args.file}.yaml")
    else:
        text = _read_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"{path}: not valid YAML: {error}", field="(file)",
                           hint="check indentation and quoting") from None
    problems = check_draft(text, data)
    if problems:
        listing = "\n".join(f"  - {field}: {problem}" for field, problem in problems)
        raise InvalidInput(f"{path}: {len(problems)} field(s) still missing:\n{listing}",
                           errors=[{"field": f, "message": m} for f, m in problems], field=problems[0][0],
                           hint="fill each field in; an `# unfilled:` header line counts as done once its "
                                "field has a value (delete the line if you renamed the id)")
    protocol = load_protocol(text, source=str(path))
    print(f"{path}: valid protocol '{protocol.id}' version {protocol.version}: {len(protocol.arms)} arm(s), "
          f"{len(protocol.interventions)} intervention(s), {len(protocol.endpoints)} endpoint(s), "
          f"{len(protocol.assumptions)} assumption(s)")
    return 0


def import_command(args) -> int:
    from oncotrial.domain.protocol.registry_draft import render_draft_yaml
    from oncotrial.domain.protocol.registry_import import import_registry_record

    path = Path(args.file)
    draft = import_registry_record(_read_text(path), args.format, source=str(path))
    text = render_draft_yaml(draft)
    summary = (f"{len(draft.unfilled)} field(s) could not be filled from the record; they are listed at "
               "the top of the draft")
    if not args.out:
        sys.stdout.write(text)
        print(summary, file=sys.stderr)
        return 0
    out = Path(args.out)
    if out.exists() and not args.force:
        raise Conflict(f"{out} exists; nothing was written", field="--out",
                       hint="choose another --out, or add --force to replace it")
    _write_atomically(out, text)
    print(f"wrote {out}: draft protocol '{draft.data.get('id', '?')}' from {path}; {summary}.")
    for note in draft.notes:
        print(f"note: {note}")
    print(f"next: complete it, then run `oncotrial protocols validate {out}`")
    return 0


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise NotFound(f"{path}: no such file", field="FILE", hint="check the path")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {error.start})", field="(file)",
                           hint="save the record as UTF-8") from None


def _write_atomically(out: Path, text: str) -> None:
    """Write to a temporary file beside ``out``, then rename: a reader never sees half a draft."""
    if not out.parent.is_dir():
        raise NotFound(f"{out.parent}: no such folder; nothing was written", field="--out")
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def print_protocol_summary(p: Protocol) -> None:
    """The protocol as a clinician reads it: design, arms, start rules, calendar, endpoints."""
    from rich.console import Console

    console = Console(highlight=False)
    console.print(f"[bold]{p.title}[/bold]")
    console.print(f"{p.id} version {p.version}" + (f" · {p.registry.nct_id}" if p.registry.nct_id else ""))
    for heading, lines in (("Design", _design_lines(p)), ("Arms", _arm_lines(p)),
                           ("Interventions", _intervention_lines(p)),
                           ("Imaging schedule", _schedule_lines(p)), ("Endpoints", _endpoint_lines(p)),
                           ("Randomization", _randomization_lines(p)),
                           ("Eligibility", _eligibility_lines(p)), ("Analysis sets", _analysis_lines(p)),
                           ("Statistical design", _statistics_lines(p)),
                           (f"Assumptions ({len(p.assumptions)}): values the registry does not state",
                            _assumption_lines(p))):
        console.print(f"\n[bold underline]{heading}[/bold underline]")
        for line in lines:
            console.print(line, markup=False)
    if p.registry.notice:
        console.print(f"\n{p.registry.notice}", markup=False, style="italic")


def _design_lines(p: Protocol) -> list[str]:
    r = p.registry
    sites = "; ".join(", ".join(x for x in (s.name, s.city, s.country) if x) for s in p.sites) or "none listed"
    return [f"phase {_phase_words(r.phase)}, {_words(r.study_type)}, allocation {_words(r.allocation)}, "
            f"{_words(r.intervention_model)}, masking {_words(r.masking)}, purpose {_words(r.primary_purpose)}",
            f"enrolment {r.enrollment} ({r.enrollment_type}); status {_words(r.status)}",
            f"sponsor: {r.sponsor or 'not stated'}; sites: {sites}",
            f"conditions: {', '.join(r.conditions) or 'not stated'}"]


def _arm_lines(p: Protocol) -> list[str]:
    lines = []
    for arm in p.arms:
        names = " + ".join(p.intervention(i).name for i in arm.interventions)
        lines.append(f"{arm.name} ({_words(arm.kind)}): {names}")
        lines += [f"  - {describe_start_rule(rule, p)}" for rule in arm.starts]
    return lines


def describe_start_rule(rule, p: Protocol) -> str:
    """A start rule in plain words: "chemotherapy + camrelizumab 7 days after each ablation"."""
    items = " + ".join(rule.items)
    kind, _, name = rule.anchor.partition(":")
    if kind == "procedure":
        event = f"each {name}" if rule.each_anchor else f"the {name}"
    elif kind == "first_dose":
        event = f"the first {name} dose"
    else:
        event = rule.anchor
    if rule.offset_days == 0:
        when = f"with {event}" if kind == "first_dose" else f"on the day of {event}"
    else:
        direction = "after" if rule.offset_days > 0 else "before"
        when = f"{abs(rule.offset_days)} days {direction} {event}"
    text = f"{items} {when}"
    if rule.window_days:
        text += f" (±{rule.window_days} days)"
    if rule.each_anchor:
        text += {"restart": "; a new one restarts the running cycle",
                 "skip": "; a new one inside a running cycle is ignored",
                 "complete": "; a new one takes effect after the running cycle"}[rule.reanchor_policy]
    return text


def _intervention_lines(p: Protocol) -> list[str]:
    lines = []
    for item in p.interventions:
        lines.append(f"{item.name} [{item.kind}]" + (f": {item.description}" if item.description else ""))
        if item.procedure:
            lines.append(f"  - {_procedure_words(item.procedure)}")
        if len(item.regimens) > 1 and item.choice == "one_per_patient":
            lines.append("  - one regimen chosen per patient:")
        for regimen in item.regimens:
            lines.append(f"  - {_regimen_words(regimen)}")
            lines += [f"      {_dose_words(d)}" for d in regimen.drugs]
    return lines


def _procedure_words(procedure) -> str:
    parts = [procedure.kind if not procedure.technique else f"{procedure.kind} ({procedure.technique})"]
    if procedure.dose_gy is not None:
        parts.append(f"{procedure.dose_gy:g} Gy in {procedure.fractions or '?'} fractions")
    if procedure.target:
        parts.append(f"target: {procedure.target}")
    if procedure.repeatable:
        parts.append("repeatable" + (f" up to {procedure.max_sessions} sessions"
                                     if procedure.max_sessions else ""))
    return ", ".join(parts)


def _regimen_words(regimen) -> str:
    weeks = regimen.cycle_days / 7
    every = f"q{weeks:g}w" if weeks == int(weeks) else f"every {regimen.cycle_days} days"
    limits = [f"max {regimen.max_cycles} cycles" if regimen.max_cycles else "",
              f"max {regimen.max_days} days" if regimen.max_days else "",
              "stops at progression" if regimen.stop_at_progression else "continues past progression"]
    return (f"{regimen.name}: {regimen.cycle_days}-day cycle ({every}), ±{regimen.window_days} days, "
            f"clock '{regimen.clock_name}'; " + ", ".join(x for x in limits if x))


def _dose_words(d) -> str:
    basis = {"flat": " (flat)", "bsa": "" if "m2" in d.unit else " per m² BSA",
             "weight": "" if "kg" in d.unit else " per kg"}[d.basis]
    days = _day_ranges(d.days)
    extra = [f"over {d.infusion_hours:g} h" if d.infusion_hours else "", d.note]
    return (f"{d.drug} {d.dose:g} {d.unit}{basis} {d.route} day {days}"
            + "".join(f", {x}" for x in extra if x))


def _day_ranges(days) -> str:
    days = sorted(days)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return ", ".join(map(str, days))


def _schedule_lines(p: Protocol) -> list[str]:
    s = p.assessment_schedule
    phases = []
    for phase in s.phases:
        weeks = phase.interval_days / 7
        every = f"every {weeks:g} weeks" if weeks == int(weeks) else f"every {phase.interval_days} days"
        until = f" until day {phase.until_day}" if phase.until_day else ""
        phases.append(f"{every} ±{phase.window_days} days{until}")
    return [f"{s.method}: " + ", then ".join(phases) + f", anchored on {s.anchor}",
            f"baseline within {s.baseline_window_days} days; tumour marker {s.tumour_marker}; "
            + ("stops at progression" if s.stop_at_progression else "continues after progression")
            + f"; survival contact every {s.survival_contact_days} days"]


def _endpoint_lines(p: Protocol) -> list[str]:
    lines = []
    for e in p.endpoints:
        lines.append(f"{e.role}: {e.name} [{_words(e.kind)}, rule {e.rule}]")
        if e.description:
            lines.append(f"  {e.description}")
        if e.time_frame:
            lines.append(f"  time frame: {e.time_frame}")
    return lines


def _randomization_lines(p: Protocol) -> list[str]:
    r = p.randomization
    if r.method == "none":
        return ["none (not randomized)"]
    ratio = ":".join(str(w.weight) for w in r.ratio)
    arms = " : ".join(p.arm(w.arm).name for w in r.ratio)
    lines = [f"{_words(r.method)}, ratio {ratio} ({arms})"]
    if r.factors:
        lines.append("strata: " + "; ".join(f"{f.name} ({'/'.join(f.levels)})" for f in r.factors)
                     + (" and site" if r.stratify_by_site else ""))
    if r.method == "permuted_blocks":
        total = sum(w.weight for w in r.ratio)
        lines.append("block sizes: " + ", ".join(str(m * total) for m in r.block_multiples) + ", chosen at random")
    if r.method == "minimization":
        lines.append(f"minimization with probability {r.minimization_probability:g}")
    return lines


def _eligibility_lines(p: Protocol) -> list[str]:
    return [f"{c.kind}: {c.text}" for c in p.eligibility] or ["not stated"]


def _analysis_lines(p: Protocol) -> list[str]:
    return [f"{a.name}: {a.definition}" for a in p.analysis_sets] or ["not stated"]


def _statistics_lines(p: Protocol) -> list[str]:
    d = p.design
    if d.method == "none":
        return ["none"]
    values = {"alpha": d.alpha, "sides": d.sides, "power": d.power, "p0": d.p0, "p1": d.p1,
              "landmark months": d.landmark_months, "control landmark rate": d.control_landmark_rate,
              "hazard ratio": d.hazard_ratio, "accrual months": d.accrual_months,
              "follow-up months": d.followup_months, "drop-out per year": d.dropout_per_year,
              "events at analysis": d.events_at_analysis, "sample size": d.sample_size}
    return [_words(d.method) + ": " + ", ".join(f"{k} {v:g}" for k, v in values.items() if v is not None)]


def _assumption_lines(p: Protocol) -> list[str]:
    return [f"{a.path}: {a.reason}" + (f" [{a.source}]" if a.source else "") for a in p.assumptions]


def _words(value) -> str:
    return "n/a" if value == "na" else str(value).replace("_", " ")


def _phase_words(phase: str) -> str:
    return {"na": "n/a", "early_phase1": "early phase I", "phase1": "I", "phase1_phase2": "I/II",
            "phase2": "II", "phase2_phase3": "II/III", "phase3": "III", "phase4": "IV"}[phase]
