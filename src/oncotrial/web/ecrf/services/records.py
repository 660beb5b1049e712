"""Saving one eCRF record: parse, compute, check, lock check, write, audit, queries, SDV, all in
one transaction. A rejected value raises `InvalidInput` with one entry per field and writes nothing."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from oncotrial.domain.conduct.check_kinds import CheckFailure
from oncotrial.domain.conduct.edit_checks import run_edit_checks
from oncotrial.errors import Conflict, InvalidInput
from oncotrial.web.ecrf.services import context as ctx
from oncotrial.web.ecrf.services.calendar_link import record_calendar_event, update_calendar_events
from oncotrial.web.ecrf.services.common import (
    FORM_MODELS,
    check_not_locked,
    check_revision,
    find_record,
    now,
    record_visit,
    require_site_staff,
    snapshot,
)
from oncotrial.web.ecrf.services.queries import sync_check_queries
from oncotrial.web.ecrf.services.sdv import drop_changed_verifications
from oncotrial.web.ecrf.specs import FORMS, parse_form
from oncotrial.web.services.audit import changes_from, record_audit

# A dose more than 10 times the prescribed one is a unit or typing error; the column holds 99999.9.
MAX_PERCENT_OF_PLANNED = 1000
SIMPLE_FORMS = tuple(name for name in FORMS if name != "tumour_assessment")


def raise_rejections(failures: tuple[CheckFailure, ...], prefix: str = "") -> None:
    """Refuse the save with every reject-level failure, each message in the request's language
    where the catalogue has it (the domain's English text is the message id)."""
    rejected = [f for f in failures if f.severity == "reject"]
    if rejected:
        errors = [{"field": prefix + f.field, "message": gettext(f.message), "check_id": f.check_id}
                  for f in rejected]
        raise InvalidInput(errors[0]["message"], field=prefix + rejected[0].field, errors=errors)


# Edit-check messages with a fixed text (domain/conduct/edit_checks.py), listed so that makemessages keeps
# their translations; messages that quote the entered value stay in English.
CHECK_MESSAGES = (
    gettext_noop("dose unit is required when action is 'given' or 'delayed' or 'reduced'."),
    gettext_noop("dose is required when action is 'given' or 'delayed' or 'reduced'."),
    gettext_noop("reason is required when action is 'delayed' or 'reduced' or 'held' or 'discontinued'."),
)


def require_reason(record, reason: str) -> None:
    if record is not None and not (reason or "").strip():
        raise InvalidInput(gettext("a reason for change is required to correct data after first entry"),
                           field="reason_for_change",
                           hint=gettext("Say why the value changes, e.g. 'transcription error, see source'."))


@transaction.atomic
def save_record(user, subject, form: str, raw: dict, *, record_id=None, reason: str = "",
                how: str = "page", expected_revision=None):
    """Create (no `record_id`) or correct one record of `form` for `subject`; return it."""
    if form not in SIMPLE_FORMS:
        raise InvalidInput(f"form {form!r} is not one of {', '.join(SIMPLE_FORMS)}", field="form")
    membership = require_site_staff(user, subject, f"enter {FORMS[form].label.lower()} data")
    record = find_record(form, record_id, subject, for_update=True) if record_id else None
    check_revision(form, record, expected_revision)
    check_not_locked(subject, form, record, record_visit(form, record) if record else "")
    values = parse_form(FORMS[form], raw, subject=subject)
    check_subject_takes_part(subject, form)
    check_unique(subject, form, values, record)
    context = ctx.build_context(subject, form, values, record)
    raise_rejections(run_edit_checks(form, values, context))
    extras = _derived(subject, form, values)
    context.update(extras.pop("_context", {}))
    failures = run_edit_checks(form, {**values, **extras}, context)
    raise_rejections(failures)
    require_reason(record, reason)
    old = snapshot(form, record) if record else {}
    record = _write(FORM_MODELS[form], subject, user, record, {**values, **extras})
    record_audit(user=user, role=membership.role, action="update" if old else "create", how=how,
                 entity=form, entity_id=record.pk, study=subject.study, site=subject.site,
                 subject=subject, changes=changes_from(old, snapshot(form, record)), reason=reason)
    drop_changed_verifications(subject, form, record, how=how)
    sync_check_queries(subject, form, record, failures, how=how)
    if not old:
        record_calendar_event(user, subject, form, record, how=how)
    else:
        update_calendar_events(user, subject, form, record, reason=reason, how=how)
    return record


def check_subject_takes_part(subject, form: str) -> None:
    """A death is recorded for a subject in the trial, not for one who failed screening."""
    if form == "death" and subject.status == "screen_failed":
        raise Conflict(f"subject {subject.identifier} is screen_failed; a death is recorded only for a "
                       "subject in the trial (screening, eligible, enrolled or later)", field="subject",
                       hint="Record the death in the screening log notes instead.")


def check_unique(subject, form: str, values: dict, record=None) -> None:
    """A second death, or a second status change of one kind, is a conflict with the stored record
    (409), refused before the database's unique constraint would fail the whole request."""
    model = FORM_MODELS[form]
    for constraint in model._meta.constraints:
        names = [name for name in getattr(constraint, "fields", ()) if name != "subject"]
        if "subject" not in getattr(constraint, "fields", ()):
            continue
        same = model.objects.filter(subject=subject, **{name: values.get(name) for name in names})
        if record is not None:
            same = same.exclude(pk=record.pk)
        existing = same.first()
        if existing is not None:
            what = ", ".join(f"{name} {values.get(name)}" for name in names)
            raise Conflict(f"subject {subject.identifier} already has a {FORMS[form].label.lower()} record"
                           f"{' with ' + what if what else ''} (record {existing.pk}); correct that record "
                           "instead", field=names[0] if names else "form")


def _write(model, subject, user, record, values: dict):
    moment = now()
    if record is None:
        record = model(subject=subject, protocol_version=subject.study.current_version(),
                       created_by=user, created_at=moment, revision=0)
    for name, value in values.items():
        field = model._meta.get_field(name)
        if value is None and not field.null:  # blank text is "", an unanswered flag is False
            value = field.get_default()
        setattr(record, name, value)
    record.revision += 1
    record.updated_by, record.updated_at = user, moment
    record.save()
    return record


def _derived(subject, form: str, values: dict) -> dict:
    """Values the platform computes, never the user: BSA and prescribed dose, the AE's SOC."""
    if form == "dose_administration":
        return _dose_extras(subject, values)
    if form == "adverse_event" and values.get("term"):
        term = ctx.require_ctcae_term(values["term"], specify=values.get("term_specify") or "")
        return {"term": term.term, "soc": term.soc}
    return {}


def _dose_extras(subject, values: dict) -> dict:
    prescribed = ctx.prescribed_dose_for(subject, values)
    if prescribed is None:
        return {"bsa_m2": None, "prescribed_dose": None, "percent_of_planned": None}
    given = values.get("dose")
    percent = (Decimal(str(round(100 * float(given) / prescribed.dose, 1)))
               if given is not None and prescribed.dose else None)
    if percent is not None and percent > MAX_PERCENT_OF_PLANNED:
        raise InvalidInput(f"subject {subject.identifier}: dose {given} {values.get('unit') or ''} is "
                           f"{percent}% of the prescribed dose ({prescribed.dose:g}); at most "
                           f"{MAX_PERCENT_OF_PLANNED}% of the prescribed dose can be recorded", field="dose",
                           hint="Check the unit (mg, g, mcg), the height, the weight and the reduction.")
    return {
        "bsa_m2": None if prescribed.bsa_m2 is None else Decimal(str(prescribed.bsa_m2)),
        "prescribed_dose": Decimal(str(prescribed.dose)),
        "percent_of_planned": percent,
        "_context": {"prescribed_dose": prescribed.dose},
    }
