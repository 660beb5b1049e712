"""The deterministic demo database: both seed trials, two sites, a cast of users and ~100 patients at
every stage (screening, ineligible, randomized, on treatment, progressed, died).

Every record goes through the services (so the demo's audit trail is a real, verifiable one) and
treatment follows the domain calendar engine: each dose, procedure and scan is placed on the date the
calendar makes due, with a small delay drawn from the rng. The same seed and as-of date give the
same database.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from zoneinfo import ZoneInfo

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import transaction

from oncotrial.errors import OncotrialError
from oncotrial.web.models import EventKind, Role, Subject
from oncotrial.web.services import events, subjects
from oncotrial.web.services.accounts import create_user, grant_role
from oncotrial.web.services.randomization import randomize_subject
from oncotrial.web.services.studies import add_site, create_study_from_builtin

DEMO_PASSWORD = "oncotrial-demo-2025"
DEMO_USERS = (
    # username, full name, role, site (None: every site)
    ("admin", "Ada Admin", Role.ADMINISTRATOR, None),
    ("investigator", "Ivy Investigator", Role.INVESTIGATOR, "01"),
    ("coordinator", "Cole Coordinator", Role.COORDINATOR, "01"),
    ("coordinator2", "Chen Coordinator", Role.COORDINATOR, "02"),
    ("monitor", "Mona Monitor", Role.MONITOR, None),
    ("datamanager", "Dana Datamanager", Role.DATA_MANAGER, None),
    ("statistician", "Stan Statistician", Role.STATISTICIAN, None),
    ("unblinded", "Una Unblinded", Role.UNBLINDED_STATISTICIAN, None),
    ("dsmb", "Dora DSMB", Role.DSMB, None),
    ("sponsor", "Spencer Sponsor", Role.SPONSOR_VIEWER, None),
)
DEMO_SITES = (
    ("01", "Fudan University Shanghai Cancer Center", "Shanghai", "China", "Asia/Shanghai"),
    ("02", "Demo Regional Cancer Hospital", "Hangzhou", "China", "Asia/Shanghai"),
)
# protocol id, people screened, median PFS in months per arm (literature anchors, seed-trials.md §5)
DEMO_STUDIES = (
    ("crlm-sbrt-sintilimab", 62, {"sbrt-chemo-sintilimab": 20.0, "chemo": 11.0}),
    ("crlm-mwa-camrelizumab", 36, {"mwa-chemo-camrelizumab": 11.0}),
)
ACCRUAL_DAYS = 540
INELIGIBLE_SHARE = 0.12


def build_demo(seed: int = 20241, as_of: dt.date | None = None, scale: float = 1.0) -> str:
    """Build the demo into an empty database in one transaction and describe what was made.

    ``scale`` shrinks the number of people screened (tests use a small demo).
    """
    as_of = as_of or dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    rng = np.random.default_rng(seed)
    with transaction.atomic():
        people = _create_people()
        counts = []
        for protocol_id, full_size, medians in DEMO_STUDIES:
            screened = max(4, round(full_size * scale))
            study = _create_study(people, protocol_id, as_of, int(rng.integers(2**62)))
            for i in range(screened):
                _simulate_subject(people, study, i, screened, medians, rng, as_of)
            counts.append(f"{study.code}: {study.subjects.count()} screened, "
                          f"{study.subjects.filter(enrolment__isnull=False).count()} enrolled")
        _add_ecrf_demo(people, rng, as_of)
    return "; ".join(counts)


def _create_people() -> dict:
    people = {}
    hashed = make_password(DEMO_PASSWORD)  # one Argon2 hash for all: hashing costs ~0.1-1 s each
    for username, name, _role, _site in DEMO_USERS:
        people[username] = create_user(None, username=username, password=DEMO_PASSWORD, full_name=name,
                                       how="system", check_password=False, password_hash=hashed)
    grant_role(None, people["admin"], role=Role.ADMINISTRATOR, how="system")
    return people


def _create_study(people, protocol_id: str, as_of: dt.date, allocation_seed: int):
    admin = people["admin"]
    start = as_of - dt.timedelta(days=ACCRUAL_DAYS + 30)
    study = create_study_from_builtin(admin, protocol_id, effective_on=start, how="system",
                                      add_protocol_sites=False, allocation_seed=allocation_seed)
    sites = {code: add_site(admin, study, code=code, name=name, city=city, country=country, timezone=tz,
                            how="system") for code, name, city, country, tz in DEMO_SITES}
    for username, _name, role, site in DEMO_USERS[1:]:
        grant_role(admin, people[username], role=role, study=study, site=sites.get(site) if site else None,
                   how="system")
    return study


def _simulate_subject(people, study, index: int, total: int, medians, rng, as_of: dt.date) -> None:
    protocol = study.current_version().protocol
    site = study.sites.get(code="01" if rng.random() < 0.6 else "02")
    staff = people["coordinator" if site.code == "01" else "coordinator2"]
    screened_on = as_of - dt.timedelta(days=int(ACCRUAL_DAYS * (1 - (index + rng.random()) / total)))
    sex = str(rng.choice(["female", "male"], p=[0.4, 0.6]))
    subject = subjects.register_screening(staff, study, site, screened_on=screened_on, how="system", sex=sex,
                                          initials=_initials(rng),
                                          birth_year=int(screened_on.year - rng.integers(35, 79)))
    subjects.record_consent(staff, subject, form_version="1.0", signed_on=screened_on, signer="(signed)",
                            how="system")
    if (as_of - screened_on).days < 5:
        return  # still in screening
    eligible = rng.random() >= INELIGIBLE_SHARE
    facts = _facts(protocol, rng, eligible, sex)
    assessed_on = screened_on + dt.timedelta(days=int(rng.integers(1, 4)))
    record = subjects.assess_eligibility(staff, subject, assessed_on=assessed_on, answers=facts, how="system")
    if not record.eligible:
        return
    enrolled_on = min(as_of, assessed_on + dt.timedelta(days=int(rng.integers(0, 3))))
    subjects.enrol_subject(staff, subject, enrolled_on=enrolled_on, how="system")
    if protocol.is_randomized:
        factors = {f.id: str(facts.get(f.field) or rng.choice(list(f.levels))) for f in protocol.randomization.factors}
        at = dt.datetime.combine(enrolled_on, dt.time(2, 30), tzinfo=dt.UTC)
        randomize_subject(staff, subject, factors=factors, how="system", randomized_at=at)
    subject = Subject.objects.get(pk=subject.pk)
    _choose_regimens(staff, subject, protocol, rng, enrolled_on)
    if (as_of - enrolled_on).days >= 10:  # the most recent stay randomized, awaiting treatment
        _simulate_treatment(staff, subject, protocol, medians, rng, as_of)


def _choose_regimens(staff, subject, protocol, rng, on: dt.date) -> None:
    """Investigator's choice of chemotherapy, recorded at enrolment (seed-trials.md §2.3)."""
    arm = protocol.arm(events._arm_of(subject))
    for intervention in protocol.interventions:
        if intervention.choice == "one_per_patient" and intervention.id in arm.interventions:
            regimen = str(rng.choice([r.id for r in intervention.regimens]))
            events.record_subject_event(staff, subject, kind=EventKind.REGIMEN_CHOICE, occurred_on=on,
                                        item=intervention.id, value=regimen, how="system")


def _initials(rng) -> str:
    letters = "ABCDEFGHJKLMNPQRSTWXYZ"
    return "".join(letters[int(i)] for i in rng.integers(0, len(letters), 2))


def _facts(protocol, rng, eligible: bool, sex: str) -> dict:
    """Screening answers that meet every criterion, or break one when ``eligible`` is false."""
    facts = {}
    for criterion in protocol.eligibility:
        facts[criterion.field] = _meeting(criterion, rng)
    if "sex" in facts:
        facts["sex"] = sex
    facts = {k: v for k, v in facts.items() if k}
    if not eligible:
        broken = protocol.eligibility[int(rng.integers(len(protocol.eligibility)))]
        facts[broken.field] = _breaking(broken)
    margin = str(rng.choice(["R0", "R1"], p=[0.6, 0.4]))  # drawn always: the demo stays the same
    if "resection_margin" not in facts and any(f.field == "resection_margin" for f in protocol.randomization.factors):
        facts["resection_margin"] = margin  # only facts the protocol reads are answers (issue 13)
    return facts


def _meeting(criterion, rng):
    holds = criterion.kind == "inclusion"
    op, value = criterion.operator, criterion.value
    if op in ("is_true", "is_false"):
        return holds if op == "is_true" else not holds
    if op == "in":
        return str(rng.choice(list(value)))
    if op == ">=":
        if criterion.field == "age_years":
            return int(rng.integers(38, 79))
        return round(float(value) * (1.1 + rng.random()), 1)
    if op == "<=":
        if isinstance(value, int):
            return int(rng.integers(0, int(value) + 1))
        return round(float(value) * rng.uniform(0.2, 0.9), 2)
    return value


def _breaking(criterion):
    op, value = criterion.operator, criterion.value
    if op in ("is_true", "is_false"):
        return criterion.kind == "exclusion" if op == "is_true" else criterion.kind != "exclusion"
    if op == "in":
        return "other"
    if op == ">=":
        return (value - 1) if isinstance(value, int) else round(float(value) * 0.7, 2)
    if op == "<=":
        return (value + 1) if isinstance(value, int) else round(float(value) * 1.6, 2)
    return None


def _simulate_treatment(staff, subject, protocol, medians, rng, as_of: dt.date) -> None:
    """Follow the calendar engine: record whatever it makes due next, until progression, death or today."""
    arm = events._arm_of(subject)
    origin = subject.enrolment.enrolled_on
    progression_on = origin + dt.timedelta(days=int(rng.exponential(medians[arm] * 30.44 / math.log(2))))
    death_on = progression_on + dt.timedelta(days=int(rng.exponential(14 * 30.44 / math.log(2))))
    stop = min(progression_on, as_of)
    for _ in range(60):
        due = [(max(day + dt.timedelta(days=int(rng.integers(0, 3))), origin), kind, item)
               for day, kind, item in _next_treatment(subject, as_of)]
        due = [item for item in due if item[0] <= stop]
        if not due or not _record_all(staff, subject, due):
            break
    scans = []
    for kind, due, window_start in _planned_scans(subject, as_of):
        # baseline imaging falls in the days before the anchor; later scans a few days either side
        shift = -int(rng.integers(0, 8)) if kind == "baseline_imaging" else int(rng.integers(-2, 3))
        scans.append((max(due + dt.timedelta(days=shift), window_start), EventKind.ASSESSMENT, ""))
    _record_all(staff, subject, sorted({scan for scan in scans if scan[0] < stop}))
    if progression_on <= as_of:
        _record_progression(staff, subject, progression_on, death_on, as_of)


def _next_treatment(subject, as_of: dt.date) -> list:
    """The next dose on every drug clock and any procedure due (clocks run independently)."""
    calendar = events.derive_subject_calendar(subject, as_of)
    due = [(p.due, EventKind.PROCEDURE, p.kind) for p in calendar.procedures if p.status in ("planned", "overdue")]
    return due or [(d.due, EventKind.DOSE, d.clock) for d in calendar.next_doses]


def _planned_scans(subject, as_of: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    calendar = events.derive_subject_calendar(subject, as_of)
    return [(a.kind, a.due, a.window_start) for a in calendar.assessments
            if a.kind in ("baseline_imaging", "imaging", "procedure_imaging") and a.status in ("planned", "overdue")]


def _record_all(staff, subject, items) -> bool:
    try:
        for day, kind, item in sorted(items, key=lambda i: i[0]):
            events.record_subject_event(staff, subject, kind=kind, occurred_on=day, item=item, how="system")
    except OncotrialError:
        return False
    return True


def _record_progression(staff, subject, progression_on: dt.date, death_on: dt.date, as_of: dt.date) -> None:
    for kind in (EventKind.ASSESSMENT, EventKind.PROGRESSION):
        events.record_subject_event(staff, subject, kind=kind, occurred_on=progression_on, how="system",
                                    reason="RECIST 1.1 progression" if kind == EventKind.PROGRESSION else "")
    contact = progression_on + dt.timedelta(days=90)
    while contact < min(death_on, as_of):
        events.record_subject_event(staff, subject, kind=EventKind.SURVIVAL_CONTACT, occurred_on=contact,
                                    how="system")
        contact += dt.timedelta(days=90)
    if death_on <= as_of:
        events.record_subject_event(staff, subject, kind=EventKind.DEATH, occurred_on=death_on, how="system",
                                    reason="disease progression")


def _add_ecrf_demo(people, rng, as_of: dt.date) -> None:
    """Let the eCRF app add its demo records (assessments, doses, AEs) when it provides
    ``oncotrial.web.ecrf.demo.build_ecrf_demo(people, rng, as_of)``."""
    if importlib.util.find_spec("oncotrial.web.ecrf") and importlib.util.find_spec("oncotrial.web.ecrf.demo"):
        from oncotrial.web.ecrf import demo

        demo.build_ecrf_demo(people, rng, as_of)
