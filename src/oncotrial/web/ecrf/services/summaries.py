"""Reads for the subject timeline (everything on one screen, with a spider plot of percent change)
and the safety summary (worst grade per subject and term, grade 3–4 rate). Nothing here writes."""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from oncotrial.domain.outcomes.local_control import derive_treated_lesion_outcomes
from oncotrial.domain.outcomes.records import AdverseEvent as DomainAE
from oncotrial.domain.outcomes.records import Procedure, TreatedSiteAssessment
from oncotrial.domain.outcomes.safety import derive_safety_summary, derive_subject_safety, derive_teae_flags
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.common import require_subject_reader
from oncotrial.web.ecrf.services.queries import list_queries
from oncotrial.web.ecrf.services.recist import assessment_rows
from oncotrial.web.ecrf.services.signatures import list_signatures
from oncotrial.web.ecrf.specs import choice_label
from oncotrial.web.models import AuditEvent, Subject
from oncotrial.web.services.permissions import can_see_arm, visible_sites

SAE_REPORTING_HOURS = 24


def sae_clock(ae: m.AdverseEvent, moment: dt.datetime) -> dict | None:
    """The expedited-reporting clock of an SAE: due 24 h after the site became aware (ICH E2A;
    the protocol may set another deadline), with hours left (negative when overdue).

    The form records the day the site became aware (``awareness_date``, else the start date) but
    not the hour, so the clock starts at 00:00 that day in the site's time zone: the earliest the
    site can have known, hence the strictest deadline. The clock is met when the record was saved as
    serious (the site's report in the EDC) by the deadline; ``state`` at ``moment`` is ``met``,
    ``late`` (reported after the deadline), ``overdue`` (not reported, deadline passed) or ``due``;
    ``overdue`` is true for both late states."""
    if not ae.serious:
        return None
    zone = ZoneInfo(ae.subject.site.timezone or "UTC")
    aware = ae.awareness_date or ae.start_date
    aware_at = dt.datetime.combine(aware, dt.time(0, 0), tzinfo=zone)
    try:
        due = aware_at + dt.timedelta(hours=SAE_REPORTING_HOURS)
    except OverflowError:  # a row stored before dates were bounded (9999-12-31): no deadline exists
        return {"aware_on": aware.isoformat(), "aware_at": aware_at.isoformat(), "due": None,
                "timezone": zone.key, "hours_left": None, "state": "invalid_date", "reported_at": None,
                "met": False, "overdue": False}
    reported_at = _reported_serious_at(ae)
    if reported_at is not None and reported_at > moment:
        reported_at = None  # the clock as it stood at `moment`, before the report
    hours_left = round((due - moment).total_seconds() / 3600, 1)
    if reported_at is not None:
        state = "met" if reported_at <= due else "late"
    else:
        state = "overdue" if moment > due else "due"
    return {"aware_on": aware.isoformat(), "aware_at": aware_at.isoformat(), "due": due.isoformat(),
            "timezone": zone.key, "hours_left": hours_left, "state": state,
            "reported_at": reported_at.astimezone(zone).isoformat() if reported_at else None,
            "met": state == "met", "overdue": state in ("overdue", "late")}


def _reported_serious_at(ae: m.AdverseEvent) -> dt.datetime | None:
    """When the record was first saved as serious, from the audit trail (entry or correction)."""
    rows = AuditEvent.objects.filter(entity="adverse_event", entity_id=str(ae.pk),
                                     action__in=("create", "update")).order_by("sequence")
    for row in rows.only("occurred_at", "changes"):
        if any(c.get("field") == "serious" and c.get("new") is True for c in row.changes or ()):
            return row.occurred_at
    return None


def subject_timeline(user, subject, moment: dt.datetime) -> dict:
    """Doses, procedures, assessments with responses, AEs, outcomes, queries and signatures of one
    subject in date order, and the series for the spider plot."""
    require_subject_reader(user, subject)
    assessments = assessment_rows(user, subject)
    items = [_item(a["date"], "assessment", f"{a['visit']}: {a['computed_response'] or '—'}"
                   f" (investigator {a['investigator_response'] or '—'})"
                   + (" ⚠ discrepancy" if a["discrepancy"] else ""), a["id"]) for a in assessments]
    for dose in m.DoseAdministration.objects.filter(subject=subject):
        amount = f"{dose.dose} {dose.unit}" if dose.dose is not None else ""
        share = (gettext(", %(percent)s%% of planned") % {"percent": dose.percent_of_planned}
                 if dose.percent_of_planned is not None else "")
        items.append(_item(dose.date, "dose", f"{dose.drug} {amount} {choice_label(dose.action)}{share}", dose.pk))
    for therapy in m.LocalTherapy.objects.filter(subject=subject):
        items.append(_item(therapy.date, "local_therapy",
                           f"{therapy.kind} of {', '.join(therapy.lesion_ids)}", therapy.pk))
    for ae in m.AdverseEvent.objects.filter(subject=subject):
        clock = sae_clock(ae, moment)
        detail = f"{ae.term} grade {ae.grade}" + (" SAE" if ae.serious else "")
        items.append({**_item(ae.start_date, "adverse_event", detail, ae.pk), "sae_clock": clock})
    for status in m.SubjectStatusChange.objects.filter(subject=subject):
        items.append(_item(status.date, "subject_status", f"{status.status}: {status.reason}", status.pk))
    for death in m.Death.objects.filter(subject=subject):
        items.append(_item(death.date, "death", death.cause or "death", death.pk))
    items.sort(key=lambda item: (item["date"], item["kind"]))
    series = [(a["date"], a["percent_change_from_baseline"]) for a in assessments
              if a["percent_change_from_baseline"] is not None or a["is_baseline"]]
    return {"subject": subject.identifier, "items": items, "assessments": assessments,
            "local_control": local_control_rows(subject, moment.date()),
            "queries": list_queries(user, subject.study, subject=subject),
            "signatures": list_signatures(user, subject), "spider": _spider_points(series)}


def _item(day, kind: str, detail: str, record_id) -> dict:
    return {"date": day if isinstance(day, str) else day.isoformat(), "kind": kind,
            "detail": detail, "record_id": record_id}


def _spider_points(series) -> list[dict]:
    if not series:
        return []
    start = dt.date.fromisoformat(series[0][0])
    return [{"day": (dt.date.fromisoformat(day) - start).days, "percent": pct or 0.0}
            for day, pct in series]


ARM_COLOURS = ("#1f5fa8", "#c2571a", "#2a8a4a", "#8a3ea8", "#a8891f")


def render_spider_svg(lines: dict[str, list[dict]], width: int = 720, height: int = 360,
                      arms: dict[str, str] | None = None) -> str:
    """An inline SVG spider plot: % change of the target sum from baseline against days, one line
    per subject coloured by arm (legend below), ticks on both axes and the +20 % and −30 % RECIST
    reference lines."""
    arms = arms or {}
    points = [p for line in lines.values() for p in line]
    max_day = max([p["day"] for p in points] + [42])
    low = min([p["percent"] for p in points] + [-40.0])
    high = max([p["percent"] for p in points] + [40.0])
    left, right, top, bottom = 52, 12, 12, 56
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day):
        return left + plot_w * day / max_day

    def y(pct):
        return top + plot_h * (high - pct) / (high - low)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="spider" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(gettext("Spider plot of percent change from baseline"))}">',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#bbb"/>']
    for pct in range(int(low // 20) * 20, int(high) + 1, 20):
        if low <= pct <= high:
            parts.append(f'<line x1="{left - 4}" x2="{left}" y1="{y(pct):.1f}" y2="{y(pct):.1f}" stroke="#555"/>'
                         f'<text x="{left - 7}" y="{y(pct) + 4:.1f}" font-size="12" text-anchor="end">'
                         f'{pct:+d}%</text>')
    step = _day_step(max_day)
    for day in range(0, int(max_day) + 1, step):
        parts.append(f'<line x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                     f'stroke="#555"/><text x="{x(day):.1f}" y="{top + plot_h + 17}" font-size="12" '
                     f'text-anchor="middle">{day}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{top + plot_h + 32}" font-size="12" '
                 f'text-anchor="middle">{escape(gettext("days from baseline"))}</text>')
    for pct in (20, 0, -30):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(pct):.1f}" y2="{y(pct):.1f}" '
                     f'stroke="#888" stroke-dasharray="{"0" if pct == 0 else "5 4"}"/>')
    colours = {arm: ARM_COLOURS[i % len(ARM_COLOURS)] for i, arm in enumerate(sorted(set(arms.values())))}
    for name, line in lines.items():
        colour = colours.get(arms.get(name), ARM_COLOURS[0])
        coords = " ".join(f"{x(p['day']):.1f},{y(p['percent']):.1f}" for p in line)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}">'
                     f'<title>{escape(name)}</title></polyline>')
        parts += [f'<circle cx="{x(p["day"]):.1f}" cy="{y(p["percent"]):.1f}" r="3.5" fill="{colour}"/>'
                  for p in line]
    for i, (arm, colour) in enumerate(colours.items()):
        lx = left + i * 260
        parts.append(f'<line x1="{lx}" x2="{lx + 22}" y1="{height - 8}" y2="{height - 8}" stroke="{colour}" '
                     f'stroke-width="3"/><text x="{lx + 28}" y="{height - 4}" font-size="12">{escape(arm)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _day_step(max_day: float) -> int:
    for step in (7, 14, 28, 42, 84, 168, 336):
        if max_day / step <= 10:
            return step
    return 672


def safety_summary(user, study) -> dict:
    """Worst TEAE grade per subject and term and the grade 3–4 rate over the safety set (subjects
    with any dose or local therapy), by the domain safety engine (spec endpoints.md §4.4)."""
    subjects = Subject.objects.filter(study=study, site__in=visible_sites(user, study)).order_by("identifier")
    per_subject, rows = [], []
    for subject in subjects:
        first, last = _treatment_span(subject)
        if first is None:
            continue
        events = [_domain_ae(subject, ae) for ae in m.AdverseEvent.objects.filter(subject=subject)]
        teae = derive_teae_flags(events, first, last)
        safety = derive_subject_safety(subject.identifier, teae)
        per_subject.append(safety)
        rows += [{"subject": subject.identifier, "site": subject.site.code, "term": term,
                  "worst_grade": grade} for term, grade in sorted(safety.worst_grade_by_term.items())]
    if not per_subject:
        empty = {"numerator": 0, "denominator": 0, "percent": None, "ci_lower": None, "ci_upper": None}
        return {"n_safety": 0, "definition": "No subject has received protocol therapy yet.",
                "rows": [], "grade_3_4": empty, "grade_3_plus": empty, "grade_5": empty,
                "worst_grade_counts": {}}
    summary = derive_safety_summary(per_subject)
    return {"n_safety": summary.n_safety, "definition": summary.definition, "rows": rows,
            "grade_3_4": _rate(summary.grade_3_4), "grade_3_plus": _rate(summary.grade_3_plus),
            "grade_5": _rate(summary.grade_5), "worst_grade_counts": dict(summary.worst_grade_counts)}


def _treatment_span(subject):
    dates = list(m.DoseAdministration.objects.filter(subject=subject, action__in=(
        "given", "delayed", "reduced")).values_list("date", flat=True))
    dates += list(m.LocalTherapy.objects.filter(subject=subject).values_list("date", flat=True))
    return (min(dates), max(dates)) if dates else (None, None)


def _domain_ae(subject, ae: m.AdverseEvent) -> DomainAE:
    attributions = {"anti-PD-1": ae.attribution_anti_pd1 or None,
                    "chemotherapy": ae.attribution_chemotherapy or None,
                    "procedure": ae.attribution_procedure or None}
    return DomainAE(subject.identifier, str(ae.pk), ae.term, ae.start_date, ae.grade, soc=ae.soc,
                    end_date=ae.end_date, attributions=attributions, serious=ae.serious,
                    immune_related=ae.immune_related)


def _rate(rate) -> dict:
    return {"numerator": rate.numerator, "denominator": rate.denominator,
            "percent": round(100 * rate.rate, 1) if rate.denominator else None,
            "ci_lower": round(100 * rate.ci_lower, 1) if rate.denominator else None,
            "ci_upper": round(100 * rate.ci_upper, 1) if rate.denominator else None}


def study_responses(user, study) -> dict:
    """Per subject: the engine's latest response, best % change, investigator discrepancies, and
    the spider-plot series of every subject with a baseline, at the sites the user may see."""
    rows, lines = [], {}
    subjects = Subject.objects.filter(study=study, site__in=visible_sites(user, study)).order_by("identifier")
    for subject in subjects:
        assessments = assessment_rows(user, subject)
        if not assessments:
            continue
        follow_ups = [a for a in assessments if not a["is_baseline"]]
        changes = [a["percent_change_from_baseline"] for a in follow_ups
                   if a["percent_change_from_baseline"] is not None]
        rows.append({"subject": subject.identifier, "site": subject.site.code,
                     "assessments": len(assessments),
                     "latest_response": follow_ups[-1]["computed_response"] if follow_ups else "",
                     "best_percent_change": min(changes) if changes else None,
                     "discrepancies": sum(a["discrepancy"] for a in assessments)})
        series = [(a["date"], a["percent_change_from_baseline"]) for a in assessments
                  if a["percent_change_from_baseline"] is not None or a["is_baseline"]]
        if len(series) > 1:
            lines[subject.identifier] = _spider_points(series)
    return {"subjects": rows, "spider": lines}


def spider_arms(user, study, identifiers) -> dict[str, str]:
    """Subject -> arm name (in the user's language) for colouring a spider plot; empty where the
    user may not see arms (a masked study)."""
    if not can_see_arm(user, study, masked=study.current_version().protocol.registry.masking != "none"):
        return {}
    subjects = Subject.objects.filter(study=study, identifier__in=list(identifiers))
    return {s.identifier: _arm_name(study, s) for s in subjects}


def _arm_name(study, subject) -> str:
    from oncotrial.web.protocol_texts import localized

    arm_id = getattr(getattr(subject, "randomization", None), "arm", "") or getattr(
        getattr(subject, "enrolment", None), "arm", "")
    arm = next((a for a in study.current_version().protocol.arms if a.id == arm_id), None)
    return localized(arm, "name") if arm else ""


def local_control_rows(subject, data_cutoff: dt.date) -> list[dict]:
    """Per treated lesion: technical success, technique efficacy and local tumour progression from
    the local-therapy and ablation-zone forms, by the domain engine (spec endpoints.md §5)."""
    sid = subject.identifier
    procedures = [Procedure(sid, f"LT{t.pk}", t.kind, t.date, tuple(t.lesion_ids), t.end_date,
                            technical_success=t.technical_success)
                  for t in m.LocalTherapy.objects.filter(subject=subject)]
    if not procedures:
        return []
    scans = [TreatedSiteAssessment(sid, z.lesion_id, z.date, z.finding,
                                   technique_efficacy_scan=z.technique_efficacy_scan)
             for z in m.AblationZoneAssessment.objects.filter(subject=subject)]
    death = m.Death.objects.filter(subject=subject).first()
    outcomes = derive_treated_lesion_outcomes(sid, procedures, scans, data_cutoff,
                                              death_date=death.date if death else None)
    return [{"lesion_id": o.lesion_id, "modality": o.modality, "technical_success": o.technical_success,
             "primary_technique_efficacy": o.primary_technique_efficacy,
             "secondary_technique_efficacy": o.secondary_technique_efficacy,
             "ltp_date": o.ltp_date.isoformat() if o.ltp_date else None,
             "ttlp_days": o.ttlp.aval_days if o.ttlp else None,
             "ttlp_event": o.ttlp.is_event if o.ttlp else None, "notes": list(o.notes)}
            for o in outcomes]
