"""What every page shows the same way: links only where the role may follow them, values a user
reads in their language (statuses, sex, protocol names), dates as ISO 8601 (times in a named zone)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.translation import pgettext_lazy as pgettext

from oncotrial.web.protocol_texts import localized

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, study, action: str, site=None) -> bool:
    """Whether the page's user may follow a link to ``action`` (``audit``, ``record_events``,
    ``results``)."""
    from oncotrial.web.services.permissions import AUDIT_READERS, SITE_STAFF, find_role

    user = context.get("user")
    if user is None or not user.is_authenticated or study is None:
        return False
    if action == "results":
        from oncotrial.errors import PermissionDenied
        from oncotrial.web.analysis.service import require_results_reader

        try:
            require_results_reader(user, study, study.current_version().protocol)
        except PermissionDenied:
            return False
        return True
    roles = {"audit": AUDIT_READERS, "record_events": SITE_STAFF}[action]
    return find_role(user, study, site, roles) is not None


# The lower-case words the pages show for stored codes (English beside the code, and zh-Hans).
VALUE_WORDS = {
    "screening": pgettext("status", "screening"), "screen_failed": pgettext("status", "screen failed"),
    "eligible": pgettext("status", "eligible"), "enrolled": pgettext("status", "enrolled"),
    "randomized": pgettext("status", "randomized"), "on_treatment": pgettext("status", "on treatment"),
    "off_treatment": pgettext("status", "off treatment"), "withdrawn": pgettext("status", "withdrawn"),
    "died": pgettext("status", "died"), "off_study": pgettext("status", "off study"),
    "female": pgettext("sex", "female"), "male": pgettext("sex", "male"),
    "open": pgettext("query", "open"), "answered": pgettext("query", "answered"),
    "resolved": pgettext("query", "resolved"), "closed": pgettext("query", "closed"),
    "planned": pgettext("visit", "planned"), "done": pgettext("visit", "done"),
    "overdue": pgettext("visit", "overdue"), "missed": pgettext("visit", "missed"),
    "due": pgettext("visit", "due"), "out_of_window": pgettext("visit", "out of window"),
    "baseline_imaging": pgettext("visit", "baseline imaging"), "imaging": pgettext("visit", "imaging"),
    "procedure_imaging": pgettext("visit", "imaging after local therapy"),
    "survival_contact": pgettext("visit", "survival contact"), "baseline": pgettext("visit", "baseline"),
    "synchronous": pgettext("timing", "synchronous"), "metachronous": pgettext("timing", "metachronous"),
    "recruiting": pgettext("study", "recruiting"), "not_yet_recruiting": pgettext("study", "not yet recruiting"),
    "active_not_recruiting": pgettext("study", "active, not recruiting"), "completed": pgettext("study", "completed"),
    "none": pgettext("masking", "none (open label)"), "target": pgettext("lesion", "target"),
    "non_target": pgettext("lesion", "non-target"), "new": pgettext("lesion", "new"),
    "liver": pgettext("organ", "liver"), "lung": pgettext("organ", "lung"),
    "liver_and_lung": pgettext("organ", "liver and lung"),
    "self": pgettext("signer", "the subject"),
    "legal_representative": pgettext("signer", "legally acceptable representative"),
}


TIMELINE_WORDS = {
    "screening": pgettext("timeline", "screening"), "consent": pgettext("timeline", "consent"),
    "eligibility": pgettext("timeline", "eligibility"),
    "enrolment": pgettext("timeline", "enrolment"), "randomization": pgettext("timeline", "randomization"),
}


@register.filter
def word(code, kind: str = "") -> str:
    """A stored code (status, sex, query state, visit or event kind) as the word the user reads;
    ``kind="timeline"`` reads a timeline entry (screening as an event, not a status)."""
    from oncotrial.web.models import EventKind

    key = "" if code is None else str(code)
    first, second = (TIMELINE_WORDS, VALUE_WORDS) if kind == "timeline" else (VALUE_WORDS, TIMELINE_WORDS)
    found = first.get(key) or second.get(key)
    if found is None and key in EventKind.values:
        found = EventKind(key).label
    return str(found) if found is not None else key


@register.filter
def choice(code) -> str:
    """An eCRF choice code (target, long, given, none ...) as the word the user reads."""
    from oncotrial.web.ecrf.specs import choice_label

    return choice_label(code)


@register.filter
def arm_name(arm_id, study) -> str:
    """An arm id as the arm's name in the user's language (ids that name no arm pass through)."""
    if not arm_id or study is None:
        return arm_id or ""
    arm = next((a for a in study.current_version().protocol.arms if a.id == arm_id), None)
    return localized(arm, "name") if arm else str(arm_id)


@register.filter
def text(item, attr: str = "name") -> str:
    """A protocol item's name or text in the user's language (``name_zh`` / ``text_zh`` beside it)."""
    return localized(item, attr)


@register.filter
def isodate(value, zone: str = "") -> str:
    """A date as YYYY-MM-DD; a moment as YYYY-MM-DD HH:MM with its zone (the site's where given)."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value or " " in value.strip() else value
        except ValueError:
            return value
        if isinstance(value, str):
            return value
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        name = zone or "UTC"
        local = value.astimezone(ZoneInfo(name))
        return f"{local:%Y-%m-%d %H:%M} {name}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
