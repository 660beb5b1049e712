"""What actually happened to one subject, as the calendar reads it: enrolment, randomization,
procedures, doses given, holds and delays, reductions, stops, assessments, survival contacts,
progression, off-treatment, off-study and death (seed-trials.md §2.3, §3.3), with the plain
(JSON/YAML) form and the replay of events as they stood on a past day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from oncotrial.errors import InvalidInput


@dataclass(frozen=True)
class ProcedureDone:
    """A local therapy session that took place (an ablation session, an SBRT course, a resection)."""

    kind: str
    date: date
    end_date: date | None = None


@dataclass(frozen=True)
class DoseGiven:
    """Day 1 of a cycle given on ``date``; ``item`` is a clock, regimen or intervention id."""

    item: str
    date: date
    note: str = ""


@dataclass(frozen=True)
class DoseHold:
    """Dosing on one clock withheld from ``start``; until ``end`` (a delay) or open-ended."""

    item: str
    start: date
    end: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class DoseReduction:
    """From ``date`` on, ``drug`` on the clock of ``item`` is given at ``percent`` of the protocol dose."""

    item: str
    drug: str
    date: date
    percent: float


@dataclass(frozen=True)
class DoseStop:
    """Permanent discontinuation from ``date``: of one ``drug`` of the clock, or of the whole clock."""

    item: str
    date: date
    drug: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SubjectEvents:
    """What actually happened to one subject, as the calendar needs it.

    ``regimen_choices`` maps an intervention whose protocol ``choice`` is ``one_per_patient`` to the
    regimen chosen at enrolment (seed-trials.md §2.3: investigator's choice is a per-patient attribute),
    e.g. ``{"chemotherapy": "xelox"}``. ``assessments`` are the dates of tumour assessments done,
    ``survival_contacts`` the dates of survival follow-up contacts.
    """

    subject_id: str
    arm: str
    enrolment_date: date | None = None
    randomization_date: date | None = None
    regimen_choices: tuple[tuple[str, str], ...] = ()
    procedures: tuple[ProcedureDone, ...] = ()
    doses: tuple[DoseGiven, ...] = ()
    holds: tuple[DoseHold, ...] = ()
    reductions: tuple[DoseReduction, ...] = ()
    stops: tuple[DoseStop, ...] = ()
    assessments: tuple[date, ...] = ()
    survival_contacts: tuple[date, ...] = ()
    progression_date: date | None = None
    off_treatment_date: date | None = None
    off_treatment_reason: str = ""
    off_study_date: date | None = None
    death_date: date | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "events") -> SubjectEvents:
        """Read the plain (JSON/YAML) form; dates as ISO text or dates; errors name the field.

        ``delays: [{item, date, until, reason}]`` is accepted as holds that end on ``until``.
        """
        return _events_from_dict(data, source)

    def choice(self, intervention_id: str) -> str | None:
        return dict(self.regimen_choices).get(intervention_id)


def events_as_of(events: SubjectEvents, as_of: date) -> SubjectEvents:
    """Only what had happened by ``as_of``: later events are ignored, not an error."""
    def upto(day):
        return day if day is not None and day <= as_of else None

    return SubjectEvents(
        events.subject_id, events.arm, upto(events.enrolment_date), upto(events.randomization_date),
        events.regimen_choices, tuple(p for p in events.procedures if p.date <= as_of),
        tuple(d for d in events.doses if d.date <= as_of),
        tuple(h for h in events.holds if h.start <= as_of),
        tuple(r for r in events.reductions if r.date <= as_of),
        tuple(s for s in events.stops if s.date <= as_of),
        tuple(d for d in events.assessments if d <= as_of),
        tuple(d for d in events.survival_contacts if d <= as_of),
        upto(events.progression_date), upto(events.off_treatment_date),
        events.off_treatment_reason if upto(events.off_treatment_date) else "",
        upto(events.off_study_date), upto(events.death_date))


def _parse_date(value, path: str, *, required: bool = False) -> date | None:
    if value is None:
        if required:
            raise InvalidInput(f"{path} is required (a date, YYYY-MM-DD)", field=path)
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{path} {value!r} is not a date; write YYYY-MM-DD", field=path) from None


def _records(data, key: str, source: str, build) -> tuple:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise InvalidInput(f"{source}: {key} must be a list", field=key)
    out = []
    for i, item in enumerate(items):
        path = f"{key}[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput(f"{source}: {path} must be a mapping", field=path)
        try:
            out.append(build(item, path))
        except KeyError as missing:
            raise InvalidInput(f"{source}: {path}.{missing.args[0]} is required",
                               field=f"{path}.{missing.args[0]}") from None
        except (TypeError, ValueError) as error:
            raise InvalidInput(f"{source}: {path} has a value of the wrong kind: {error}", field=path,
                               hint="percent is a number; dates are YYYY-MM-DD") from None
    return tuple(out)


def _dates(data, key: str, source: str) -> tuple[date, ...]:
    values = data.get(key) or []
    if not isinstance(values, list):
        raise InvalidInput(f"{source}: {key} must be a list of dates", field=key)
    return tuple(_parse_date(v, f"{key}[{i}]", required=True) for i, v in enumerate(values))


def _events_from_dict(data, source: str) -> SubjectEvents:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{source}: the events must be a mapping", field="(top level)")
    allowed = {"subject_id", "arm", "enrolment_date", "randomization_date", "regimen_choices", "procedures",
               "doses", "holds", "delays", "reductions", "stops", "assessments", "survival_contacts",
               "progression_date", "off_treatment_date", "off_treatment_reason", "off_study_date",
               "death_date"}
    for key in data:
        if key not in allowed:
            raise InvalidInput(f"{source}: unknown field '{key}'; allowed: {', '.join(sorted(allowed))}",
                               field=str(key))
    for key in ("subject_id", "arm"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise InvalidInput(f"{source}: {key} is required (text)", field=key)
    day = _parse_date
    choices = data.get("regimen_choices") or {}
    if not isinstance(choices, Mapping):
        raise InvalidInput(f"{source}: regimen_choices must map intervention ids to regimen ids",
                           field="regimen_choices")
    holds = _records(data, "holds", source, lambda r, p: DoseHold(
        str(r["item"]), day(r["start"], f"{p}.start", required=True), day(r.get("end"), f"{p}.end"),
        str(r.get("reason", ""))))
    holds += _records(data, "delays", source, lambda r, p: DoseHold(
        str(r["item"]), day(r["date"], f"{p}.date", required=True),
        day(r["until"], f"{p}.until", required=True), str(r.get("reason", "delay"))))
    return SubjectEvents(
        subject_id=data["subject_id"], arm=data["arm"],
        enrolment_date=day(data.get("enrolment_date"), "enrolment_date"),
        randomization_date=day(data.get("randomization_date"), "randomization_date"),
        regimen_choices=tuple(sorted((str(k), str(v)) for k, v in choices.items())),
        procedures=_records(data, "procedures", source, lambda r, p: ProcedureDone(
            str(r["kind"]), day(r["date"], f"{p}.date", required=True), day(r.get("end_date"), f"{p}.end_date"))),
        doses=_records(data, "doses", source, lambda r, p: DoseGiven(
            str(r["item"]), day(r["date"], f"{p}.date", required=True), str(r.get("note", "")))),
        holds=holds,
        reductions=_records(data, "reductions", source, lambda r, p: DoseReduction(
            str(r["item"]), str(r["drug"]), day(r["date"], f"{p}.date", required=True), float(r["percent"]))),
        stops=_records(data, "stops", source, lambda r, p: DoseStop(
            str(r["item"]), day(r["date"], f"{p}.date", required=True), str(r.get("drug", "")),
            str(r.get("reason", "")))),
        assessments=_dates(data, "assessments", source),
        survival_contacts=_dates(data, "survival_contacts", source),
        progression_date=day(data.get("progression_date"), "progression_date"),
        off_treatment_date=day(data.get("off_treatment_date"), "off_treatment_date"),
        off_treatment_reason=str(data.get("off_treatment_reason") or ""),
        off_study_date=day(data.get("off_study_date"), "off_study_date"),
        death_date=day(data.get("death_date"), "death_date"))
