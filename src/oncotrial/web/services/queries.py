"""Reads shaped for pages and their JSON twins: each page's data comes from one function here, so the
HTML page and its API endpoint show the same thing. Nothing here writes."""

from __future__ import annotations

from django.db.models import Count, Q

from oncotrial.errors import NotFound
from oncotrial.web.models import Randomization, Study, StudySite, Subject, SubjectStatus
from oncotrial.web.services.permissions import (
    SITE_STAFF,
    can_see_arm,
    find_role,
    is_administrator,
    memberships,
    require_role,
    require_study_access,
    visible_sites,
)
from oncotrial.web.services.subjects import find_subject

ENROLLED_STATES = (SubjectStatus.ENROLLED, SubjectStatus.RANDOMIZED, SubjectStatus.ON_TREATMENT,
                   SubjectStatus.OFF_TREATMENT, SubjectStatus.WITHDRAWN, SubjectStatus.DIED)


def visible_studies(user):
    if is_administrator(user):
        return Study.objects.all()
    return Study.objects.filter(pk__in=memberships(user).values("study_id")).distinct()


def find_visible_study(user, code: str) -> Study:
    study = visible_studies(user).filter(code=code).first()
    if study is None:
        raise NotFound(f"study '{code}' does not exist or is not visible to you", field="study")
    return study


def _is_masked(study) -> bool:
    return study.current_version().protocol.registry.masking != "none"


def list_studies(user) -> list[dict]:
    """Studies the user holds a role in, with enrolment against target."""
    rows = []
    for study in visible_studies(user).order_by("code"):
        version = study.current_version()
        rows.append({
            "code": study.code, "title": study.title, "protocol_id": study.protocol_id,
            "protocol_version": version.version, "status": study.status,
            "enrolled": study.subjects.filter(status__in=ENROLLED_STATES).count(),
            "target": version.protocol.registry.enrollment,
        })
    return rows


def study_dashboard(user, study) -> dict:
    """Enrolment against target, per site and per arm (arms only for those who may see them)."""
    require_study_access(user, study)
    version = study.current_version()
    protocol = version.protocol
    counts = _status_counts(study.subjects.all())
    per_site = []
    for study_site in StudySite.objects.filter(study=study).select_related("site"):
        site_counts = _status_counts(study.subjects.filter(site=study_site.site))
        per_site.append({"site": study_site.site.code, "name": study_site.site.name, **site_counts})
    arms_visible = can_see_arm(user, study, None, _is_masked(study))
    return {
        "code": study.code, "title": study.title, "status": study.status,
        "protocol_id": study.protocol_id, "protocol_version": version.version,
        "protocol_versions": [{"version": v.version, "effective_on": v.effective_on.isoformat(),
                               "sha256": v.sha256} for v in study.protocol_versions.all()],
        "randomized_design": protocol.is_randomized, "masking": protocol.registry.masking,
        "target": protocol.registry.enrollment, **counts, "per_site": per_site,
        "per_arm": _arm_counts(study, protocol) if arms_visible else None,
    }


def _status_counts(subjects) -> dict:
    totals = subjects.aggregate(
        screened=Count("pk", distinct=True),
        screen_failed=Count("pk", filter=Q(status=SubjectStatus.SCREEN_FAILED), distinct=True),
        enrolled=Count("pk", filter=Q(status__in=ENROLLED_STATES), distinct=True),
        randomized=Count("pk", filter=Q(randomization__isnull=False), distinct=True),
        on_treatment=Count("pk", filter=Q(status=SubjectStatus.ON_TREATMENT), distinct=True),
        progressed=Count("pk", filter=Q(events__kind="progression"), distinct=True),
        died=Count("pk", filter=Q(status=SubjectStatus.DIED), distinct=True),
    )
    return {key: int(value or 0) for key, value in totals.items()}


def _arm_counts(study, protocol) -> list[dict]:
    if protocol.is_randomized:
        found = dict(Randomization.objects.filter(study=study).values_list("arm").annotate(n=Count("pk")))
    else:
        found = dict(study.subjects.filter(enrolment__isnull=False).values_list("enrolment__arm")
                     .annotate(n=Count("pk")))
    return [{"arm": arm.id, "name": arm.name, "subjects": int(found.get(arm.id, 0))} for arm in protocol.arms]


def list_subjects(user, study, *, site: str = "", status: str = "") -> list[dict]:
    """Subjects at the sites the user may see (outsiders see none of another site's subjects)."""
    require_study_access(user, study)
    sites = visible_sites(user, study)
    subjects = Subject.objects.filter(study=study, site__in=sites).select_related(
        "site", "enrolment", "randomization").order_by("site__code", "number")
    if site:
        subjects = subjects.filter(site__code=site)
    if status:
        subjects = subjects.filter(status=status)
    show_arm = can_see_arm(user, study, None, _is_masked(study))
    return [_subject_row(subject, show_arm) for subject in subjects]


def _subject_row(subject: Subject, show_arm: bool) -> dict:
    enrolment = getattr(subject, "enrolment", None)
    randomization = getattr(subject, "randomization", None)
    arm = (randomization.arm if randomization else (enrolment.arm if enrolment else "")) or None
    return {
        "identifier": subject.identifier, "site": subject.site.code, "status": subject.status,
        "screened_on": subject.screened_on.isoformat(),
        "enrolled_on": enrolment.enrolled_on.isoformat() if enrolment else None,
        "randomized_at": randomization.randomized_at.isoformat() if randomization else None,
        "arm": arm if show_arm else ("concealed" if arm else None),
    }


def subject_detail(user, study, identifier: str) -> dict:
    """Everything the subject page shows: details, consent, screening, enrolment, arm, timeline."""
    subject = find_subject(user, study, identifier)
    show_arm = can_see_arm(user, study, subject.site, _is_masked(study))
    row = _subject_row(subject, show_arm)
    consents = [{"form_version": c.form_version, "signed_on": c.signed_on.isoformat(), "signer": c.signer,
                 "signer_relationship": c.signer_relationship, "protocol_version": c.protocol_version.version}
                for c in subject.consents.select_related("protocol_version")]
    screenings = [{"assessed_on": s.assessed_on.isoformat(), "eligible": s.eligible, "answers": s.answers,
                   "reasons": s.reasons, "protocol_version": s.protocol_version.version}
                  for s in subject.screenings.select_related("protocol_version")]
    randomization = getattr(subject, "randomization", None)
    allocation = None
    if randomization is not None:
        arm_name = study.current_version().protocol.arm(randomization.arm).name if show_arm else "concealed"
        allocation = {"sequence": randomization.sequence, "method": randomization.method,
                      "factors": randomization.factors,
                      "arm": randomization.arm if show_arm else "concealed", "arm_name": arm_name,
                      "randomized_at": randomization.randomized_at.isoformat(),
                      "randomized_at_site": site_time(randomization.randomized_at, subject.site.timezone),
                      "protocol_version": randomization.protocol_version.version}
    return {
        **row, "initials": subject.initials, "sex": subject.sex, "birth_year": subject.birth_year,
        "protocol_version": subject.protocol_version.version, "consents": consents, "screenings": screenings,
        "randomization": allocation, "timeline": _timeline(subject, consents, screenings, allocation),
        "next_steps": next_steps(user, subject),
    }


def _timeline(subject, consents, screenings, allocation) -> list[dict]:
    events = [{"date": subject.screened_on.isoformat(), "event": "screening", "detail": subject.identifier}]
    events += [{"date": c["signed_on"], "event": "consent", "detail": f"form {c['form_version']}",
                "form_version": c["form_version"]} for c in consents]
    events += [{"date": s["assessed_on"], "event": "eligibility",
                "detail": "eligible" if s["eligible"] else "; ".join(s["reasons"])} for s in screenings]
    enrolment = getattr(subject, "enrolment", None)
    if enrolment is not None:
        events.append({"date": enrolment.enrolled_on.isoformat(), "event": "enrolment", "detail": enrolment.arm})
    if allocation is not None:
        events.append({"date": allocation["randomized_at_site"][:10], "event": "randomization",
                       "detail": allocation["arm"]})
    for event in subject.events.order_by("occurred_on", "id") if hasattr(subject, "events") else ():
        events.append({"date": event.occurred_on.isoformat(), "event": event.kind, "detail": event.label})
    return sorted(events, key=lambda e: e["date"])


def next_steps(user, subject) -> list[str]:
    """Which workflow forms the user may open now: consent, eligibility, enrol, randomize."""
    if find_role(user, subject.study, subject.site, SITE_STAFF) is None:
        return []
    status = subject.status
    steps = []
    if status in (SubjectStatus.SCREENING, SubjectStatus.SCREEN_FAILED, SubjectStatus.ELIGIBLE):
        steps.append("consent")
        if subject.consents.exists():
            steps.append("eligibility")
    if status == SubjectStatus.ELIGIBLE:
        steps.append("enrol")
    if status == SubjectStatus.ENROLLED and subject.study.current_version().protocol.is_randomized:
        steps.append("randomize")
    return steps


def require_site_staff(user, study, site):
    return require_role(user, study, site, SITE_STAFF, "enter data at this site")


AUDIT_COLUMNS = ("sequence", "occurred_at", "username", "role", "action", "how", "entity", "entity_id",
                 "site_code", "subject_identifier", "changes", "reason", "software_version", "hash")


def list_audit(user, study, *, subject: str = "", username: str = "", date_from=None, date_to=None,
               limit: int | None = 500) -> list[dict]:
    """Audit rows of a study, filterable by subject, user and date (UTC); site roles see their sites."""
    from oncotrial.web.models import AuditEvent
    from oncotrial.web.services.permissions import ALLOCATION_VIEWERS, AUDIT_READERS

    membership = require_role(user, study, None, AUDIT_READERS, "read the audit trail")
    rows = AuditEvent.objects.filter(study_code=study.code)
    if membership.site_id is not None:
        rows = rows.filter(site_code__in=list(visible_sites(user, study).values_list("code", flat=True)))
    if subject:
        rows = rows.filter(subject_identifier=subject)
    if username:
        rows = rows.filter(username=username)
    if date_from:
        rows = rows.filter(occurred_at__date__gte=date_from)
    if date_to:
        rows = rows.filter(occurred_at__date__lte=date_to)
    rows = rows.order_by("-sequence")
    conceal = _is_masked(study) and find_role(user, study, None, ALLOCATION_VIEWERS) is None
    zones = dict(study.sites.values_list("code", "timezone"))
    return [_audit_row(event, conceal, zones) for event in (rows[:limit] if limit else rows)]


def site_time(moment, timezone_name: str) -> str:
    """A UTC timestamp as the site's wall-clock time with its zone, e.g. ``2025-03-03 10:30 Asia/Shanghai``."""
    from zoneinfo import ZoneInfo

    return f"{moment.astimezone(ZoneInfo(timezone_name or 'UTC')):%Y-%m-%d %H:%M} {timezone_name or 'UTC'}"


def _audit_row(event, conceal_arm: bool, zones: dict | None = None) -> dict:
    changes = [dict(c, old="concealed", new="concealed") if conceal_arm and c.get("field") == "arm" else c
               for c in event.changes]
    row = {name: getattr(event, name) for name in AUDIT_COLUMNS}
    row["occurred_at"] = event.occurred_at.isoformat()
    zone = (zones or {}).get(event.site_code)
    row["occurred_at_site"] = site_time(event.occurred_at, zone) if zone else ""
    row["changes"] = changes
    return row


def list_users(user) -> list[dict]:
    """Every account with its active roles (administrators only)."""
    from django.contrib.auth import get_user_model

    from oncotrial.errors import PermissionDenied
    from oncotrial.web.models import Membership

    if not is_administrator(user):
        raise PermissionDenied("only an administrator may manage users and roles")
    roles: dict[int, list[dict]] = {}
    for m in Membership.objects.filter(active=True).select_related("study", "site"):
        roles.setdefault(m.user_id, []).append({"id": m.pk, "role": m.role, "study": m.study.code if m.study else None,
                                                "site": m.site.code if m.site else None})
    return [{"username": u.username, "full_name": u.get_full_name(), "email": u.email, "active": u.is_active,
             "roles": roles.get(u.pk, [])} for u in get_user_model().objects.order_by("username")]


def recent_access_events(user, limit: int = 50) -> list[dict]:
    """Logins, logouts, failed logins and account changes, newest first (administrators only)."""
    from oncotrial.web.models import AuditEvent

    list_users(user)
    actions = ("login", "logout", "login_failed", "user_create", "user_deactivate", "role_grant", "role_revoke")
    rows = AuditEvent.objects.filter(action__in=actions).order_by("-sequence")[:limit]
    return [{"occurred_at": e.occurred_at.isoformat(), "username": e.username, "action": e.action,
             "how": e.how, "remote_addr": e.remote_addr, "reason": e.reason} for e in rows]
