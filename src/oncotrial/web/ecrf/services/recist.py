"""Tumour assessments: saving a visit with its lesion rows, and the live RECIST 1.1 results from
the domain engine (sum, nadir, percent change, timepoint response) beside the investigator's own.

The baseline form enforces target selection through the engine's own checks (spec endpoints.md
§1.2: at most 5 targets, 2 per organ, nodes by short axis ≥ 15 mm, no ablated or irradiated lesion
as a target); any input problem the engine finds for the saved visit rolls the save back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from oncotrial.domain.conduct.edit_checks import run_edit_checks
from oncotrial.domain.tumour.lesions import (
    Assessment,
    Lesion,
    LesionMeasurement,
    LesionRole,
    LocalTherapy,
    Method,
    NewLesion,
    NewLesionCertainty,
    NonTargetState,
    NonTargetStatus,
    TargetResult,
    TumourRecords,
)
from oncotrial.domain.tumour.recist import RecistResult, derive_timepoint_responses
from oncotrial.errors import Conflict, InvalidInput
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services import context as ctx
from oncotrial.web.ecrf.services.calendar_link import record_calendar_event, update_calendar_events
from oncotrial.web.ecrf.services.common import (
    check_not_locked,
    check_revision,
    find_record,
    now,
    require_site_staff,
    require_subject_reader,
    snapshot,
)
from oncotrial.web.ecrf.services.queries import sync_check_queries
from oncotrial.web.ecrf.services.records import raise_rejections, require_reason
from oncotrial.web.ecrf.services.sdv import drop_changed_verifications
from oncotrial.web.ecrf.specs import FORMS, LESION_FIELDS, FormSpec, parse_form
from oncotrial.web.services.audit import changes_from, record_audit

FORM = "tumour_assessment"
ROW_CONTENT = ("lesion_id", "organ", "location", "size_mm", "result", "non_target_state", "certainty")
SELECTION_FLAGS = ("TARGET_SELECTION_VIOLATION", "TREATED_LESION_AS_TARGET", "NODE_SA_MISSING")
LESION_SPEC = FormSpec("lesion", "Lesion", "LesionRecord", LESION_FIELDS)


@transaction.atomic
def save_tumour_assessment(user, subject, header: dict, lesions: list[dict], *, record_id=None,
                           reason: str = "", how: str = "page",
                           expected_revision=None) -> m.TumourAssessment:
    """Create or correct one tumour assessment and its lesion rows."""
    membership = require_site_staff(user, subject, "enter tumour assessments")
    record = find_record(FORM, record_id, subject, for_update=True) if record_id else None
    check_revision(FORM, record, expected_revision)
    values = parse_form(FORMS[FORM], header, subject=subject)
    values["is_baseline"] = bool(values.get("is_baseline"))
    check_not_locked(subject, FORM, record, values.get("visit") or (record.visit if record else ""))
    if record is not None and record.visit != values.get("visit"):
        check_not_locked(subject, FORM, record, record.visit)
    failures = run_edit_checks(FORM, values, ctx.build_context(subject, FORM, values, record))
    raise_rejections(failures)
    _check_visit_is_free(subject, values.get("visit"), record)
    rows = _parse_lesions(subject, values, lesions)
    require_reason(record, reason)
    old = snapshot(FORM, record) if record else {}
    record = _write(subject, user, record, values, rows)
    _check_with_engine(subject, record)
    record_audit(user=user, role=membership.role, action="update" if old else "create", how=how,
                 entity=FORM, entity_id=record.pk, study=subject.study, site=subject.site,
                 subject=subject, changes=changes_from(old, snapshot(FORM, record)), reason=reason)
    drop_changed_verifications(subject, FORM, record, how=how)
    sync_check_queries(subject, FORM, record, failures, how=how)
    if not old:
        record_calendar_event(user, subject, FORM, record, how=how)
    else:
        update_calendar_events(user, subject, FORM, record, reason=reason, how=how)
    return record


def _check_visit_is_free(subject, visit: str, record) -> None:
    """One tumour assessment per visit: a second one is a conflict, not a database error."""
    others = m.TumourAssessment.objects.filter(subject=subject, visit=visit)
    if record is not None:
        others = others.exclude(pk=record.pk)
    if others.exists():
        raise Conflict(f"subject {subject.identifier} already has a tumour assessment for visit {visit}",
                       field="visit", hint="open that assessment and correct it, or name another visit")


MAX_LESION_ROWS = 60  # 5 targets, and generous room for non-target and new lesions


def _parse_lesions(subject, header: dict, raw_rows: list[dict]) -> list[dict]:
    if not isinstance(raw_rows, list | tuple) or len(raw_rows) > MAX_LESION_ROWS:
        count = len(raw_rows) if isinstance(raw_rows, list | tuple) else "not a list of"
        raise InvalidInput(f"subject {subject.identifier}: an assessment has {count} lesion rows; at most "
                           f"{MAX_LESION_ROWS} allowed", field="lesions",
                           hint="Record one row per lesion: at most 5 targets, then non-target and new lesions.")
    is_baseline = header["is_baseline"]
    context = {"baseline_lesion_ids": None if is_baseline else ctx.baseline_lesion_ids(subject)}
    rows, errors = [], []
    for index, raw in enumerate(raw_rows):
        if not any(str(raw.get(name) or "").strip() for name in ROW_CONTENT):
            continue  # an empty row of the form (kind / axis defaults alone are not content)
        prefix = f"lesions[{index}]."
        try:
            row = parse_form(LESION_SPEC, raw)
        except InvalidInput as problem:
            errors += [{**e, "field": prefix + e["field"]} for e in problem.errors]
            continue
        row["is_lymph_node"] = bool(row.get("is_lymph_node"))
        row["treated_by"] = row.get("treated_by") or "none"
        form = "new_lesion" if row.get("kind") == "new" else "lesion"
        record = {**row, "is_baseline": is_baseline, "role": row.get("kind")}
        for failure in run_edit_checks(form, record, context):
            if failure.severity == "reject":
                errors.append({"field": prefix + failure.field, "message": f"row {index + 1}: {failure.message}",
                               "check_id": failure.check_id})
        errors += _row_problems(row, index, prefix, is_baseline, context["baseline_lesion_ids"])
        rows.append(row)
    ids = [row["lesion_id"] for row in rows if row.get("lesion_id")]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        errors.append({"field": "lesions", "message": f"lesion id {duplicate} appears twice in this visit"})
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)
    return rows


def _row_problems(row, index, prefix, is_baseline, baseline_ids) -> list[dict]:
    kind = row.get("kind")
    if kind is None:
        return [{"field": prefix + "kind", "message": f"row {index + 1}: say whether the lesion is a "
                 "target, a non-target or a new lesion"}]
    if is_baseline and kind == "new":
        return [{"field": prefix + "kind", "message": f"row {index + 1}: a baseline assessment has no "
                 "new lesions"}]
    if kind == "new" and baseline_ids and row.get("lesion_id") in baseline_ids:
        return [{"field": prefix + "lesion_id", "message": f"row {index + 1}: new lesion id "
                 f"{row['lesion_id']} is already a baseline lesion; give the new lesion its own id"}]
    return []


def _write(subject, user, record, values: dict, rows: list[dict]) -> m.TumourAssessment:
    moment = now()
    if record is None:
        record = m.TumourAssessment(subject=subject, protocol_version=subject.study.current_version(),
                                    created_by=user, created_at=moment, revision=0)
    for name, value in values.items():
        setattr(record, name, "" if value is None and name in ("investigator_response", "comment") else value)
    record.revision += 1
    record.updated_by, record.updated_at = user, moment
    record.save()
    record.lesions.all().delete()
    baseline = {} if values["is_baseline"] else _baseline_rows(subject)
    for row in rows:
        inherited = baseline.get(row["lesion_id"])
        fields = {name: ("" if value is None and name not in ("size_mm",) else value)
                  for name, value in row.items()}
        if inherited is not None:  # organ, node and therapy tags are fixed at baseline
            fields.update(organ=inherited.organ, location=inherited.location,
                          is_lymph_node=inherited.is_lymph_node, treated_by=inherited.treated_by)
        m.LesionRecord.objects.create(assessment=record, **fields)
    return record


def _baseline_rows(subject) -> dict:
    baseline = ctx.baseline_assessment(subject)
    return {} if baseline is None else {row.lesion_id: row for row in baseline.lesions.all()}


def _check_with_engine(subject, record) -> None:
    result = derive_subject_recist(subject, collect_problems=True)
    if result is None:
        return
    problems = [p for p in result.problems if p.visit in ("", record.visit)]
    if record.is_baseline:
        problems += [f for f in result.baseline.flags if f.code in SELECTION_FLAGS]
    if problems:
        errors = [{"field": "lesions", "message": p.message, "check_id": p.code} for p in problems]
        raise InvalidInput(problems[0].message, field="lesions", errors=errors,
                           hint="RECIST 1.1: at most 5 targets, 2 per organ (all nodes one organ), "
                                "nodes ≥ 15 mm short axis, ablated or irradiated lesions never targets.")


def load_tumour_records(subject) -> TumourRecords:
    """The subject's assessments and lesion rows as the domain engine's input records."""
    sid = subject.identifier
    treated = ctx.treated_lesions(subject)
    lesions, assessments, measurements, statuses, new = [], [], [], [], []
    for assessment in m.TumourAssessment.objects.filter(subject=subject).prefetch_related("lesions"):
        method = Method(assessment.method)
        assessments.append(Assessment(sid, assessment.visit, assessment.date, method,
                                      cea=assessment.cea, cea_uln=assessment.cea_uln))
        for row in assessment.lesions.all():
            if assessment.is_baseline and row.kind != "new":
                lesions.append(_lesion(sid, row, method, treated.get(row.lesion_id)))
            _finding(sid, assessment, row, measurements, statuses, new)
    return TumourRecords(sid, tuple(lesions), tuple(assessments), tuple(measurements),
                         tuple(statuses), tuple(new))


def _lesion(sid, row, method, treatment) -> Lesion:
    treated_by, treated_on = LocalTherapy(row.treated_by or "none"), None
    if treatment is not None:
        treated_by, treated_on = LocalTherapy(treatment[0]), treatment[1]
    return Lesion(sid, row.lesion_id, row.organ, row.location, row.is_lymph_node, method,
                  treated_by, treated_on,
                  role=LesionRole.TARGET if row.kind == "target" else LesionRole.NON_TARGET)


def _finding(sid, assessment, row, measurements, statuses, new) -> None:
    size = None if row.size_mm is None else Decimal(row.size_mm)
    if row.kind == "target":
        result = TargetResult(row.result or "measured")
        measurements.append(LesionMeasurement(
            sid, assessment.visit, row.lesion_id, result,
            size=size if result == TargetResult.MEASURED else None))
    elif row.kind == "non_target":
        state = NonTargetState(row.non_target_state or "present")
        statuses.append(NonTargetStatus(sid, assessment.visit, row.lesion_id, state, size=size))
    else:
        new.append(NewLesion(sid, assessment.visit, row.lesion_id,
                             NewLesionCertainty(row.certainty or "unequivocal"), row.organ,
                             row.is_lymph_node, size=size))


def subject_start_date(subject) -> dt.date | None:
    """The analysis start the engine measures from: randomization, else the first protocol therapy,
    never before the baseline scan (RECIST needs a baseline on or before start)."""
    baseline = ctx.baseline_assessment(subject)
    if baseline is None:
        return None
    candidates = [d for d in (ctx.randomization_date(subject), _first_treatment(subject)) if d]
    start = min(candidates) if candidates else baseline.date
    return max(start, baseline.date)


def _engine_start(subject, start: dt.date) -> dt.date:
    """The eCRF names its baseline explicitly (``is_baseline``), so every follow-up is post-baseline
    even when dated on or before the start of therapy: the engine's start moves to the day before
    the earliest follow-up (never before the baseline scan), so the engine neither takes a follow-up
    for the baseline nor leaves it without a response."""
    first = (m.TumourAssessment.objects.filter(subject=subject, is_baseline=False)
             .order_by("date").values_list("date", flat=True).first())
    if first is None or first > start:
        return start
    baseline = ctx.baseline_assessment(subject)
    return max(baseline.date, first - dt.timedelta(days=1))


def _first_treatment(subject) -> dt.date | None:
    dates = [d.date for d in m.DoseAdministration.objects.filter(subject=subject, action__in=(
        "given", "delayed", "reduced")).order_by("date")[:1]]
    dates += [t.date for t in m.LocalTherapy.objects.filter(subject=subject).order_by("date")[:1]]
    return min(dates) if dates else None


def derive_subject_recist(subject, *, collect_problems: bool = True) -> RecistResult | None:
    start = subject_start_date(subject)
    if start is None:
        return None
    records = load_tumour_records(subject)
    therapy = m.NewAnticancerTherapy.objects.filter(subject=subject).order_by("start_date").first()
    return derive_timepoint_responses(records, _engine_start(subject, start), enrolment_date=None,
                                      new_anticancer_therapy_date=therapy.start_date if therapy else None,
                                      collect_problems=collect_problems)


def assessment_rows(user, subject) -> list[dict]:
    """Each assessment with the engine's sum, nadir, % change and response beside the investigator's
    response, and a discrepancy flag (the page and the API show exactly this)."""
    require_subject_reader(user, subject)
    result = derive_subject_recist(subject)
    start = subject_start_date(subject)
    by_visit = {tp.visit: tp for tp in result.timepoints} if result else {}
    engine_baseline = result.baseline.assessment.visit if result and result.baseline.assessment else None
    rows = []
    for assessment in m.TumourAssessment.objects.filter(subject=subject).order_by("date", "id"):
        tp = None if assessment.is_baseline else by_visit.get(assessment.visit)
        computed = tp.response.value if tp else ("baseline" if assessment.is_baseline else "")
        own_sum = result.baseline.baseline_sum if result and assessment.visit == engine_baseline else None
        row = {
            "id": assessment.pk, "visit": assessment.visit, "date": assessment.date.isoformat(),
            "method": assessment.method, "is_baseline": assessment.is_baseline,
            "note": _timing_note(assessment, tp, start),
            "sum_mm": _num(tp.target_sum if tp else (own_sum if assessment.is_baseline else None)),
            "nadir_mm": _num(tp.nadir) if tp else None,
            "percent_change_from_baseline": _num(tp.percent_change_from_baseline) if tp else None,
            "percent_change_from_nadir": _num(tp.percent_change_from_nadir) if tp else None,
            "target_response": tp.target_response.value if tp else "",
            "non_target_response": tp.non_target_response.value if tp else "",
            "computed_response": computed,
            "progression_reasons": list(tp.progression_reasons) if tp else [],
            "investigator_response": assessment.investigator_response,
        }
        row["discrepancy"] = bool(tp and assessment.investigator_response
                                  and assessment.investigator_response != computed)
        rows.append(row)
    return rows


def _timing_note(assessment, tp, start: dt.date | None) -> str:
    """Why a follow-up has the response it has, when its date alone would surprise a reader."""
    if assessment.is_baseline:
        return ""
    if start is None:
        return gettext("no response computed: the subject has no baseline assessment")
    if tp is None:
        return gettext("no response computed: the engine could not read this visit (see the messages above)")
    if assessment.date <= start:
        return gettext("dated %(date)s, on or before the first therapy or randomization (%(start)s); its "
                       "response is computed against the baseline") % {"date": assessment.date.isoformat(),
                                                                        "start": start.isoformat()}
    return ""


def _num(value) -> float | None:
    return None if value is None else float(round(Decimal(value), 1))
