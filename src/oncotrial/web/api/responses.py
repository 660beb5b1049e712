"""What every API operation answers, as declared in the OpenAPI schema (issue 13, item 4).

Each operation declares its 200 body as one of the models below and the one error shape for
400 / 401 / 403 / 404 / 409 (``answers(Model)``); the e-signature adds 429 (locked out). The models
name and type the keys every answer holds; nested rows that mirror a page (timeline entries,
calendar cycles, report tables) are objects whose keys the page documents, and a model admits keys
it does not name, so a new key is never a server error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

ERROR_STATUSES = (400, 401, 403, 404, 409)
Row = dict[str, Any]


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


Day = Annotated[str, BeforeValidator(_iso)]  # a date or time, as ISO 8601 text


class Out(BaseModel):
    """A response body: the named keys are always there; others may be added (a plain pydantic
    model: ninja's Schema reads only the declared keys of a dict, which would drop the rest)."""

    model_config = ConfigDict(extra="allow")


class ErrorItem(Out):
    field: str
    message: str


class ErrorOut(BaseModel):
    """The one error shape: 400 bad input, 401 not logged in, 403 role, 404 not visible, 409 conflict
    with stored state, 429 locked out."""

    ok: Literal[False]
    error: str
    errors: list[ErrorItem]
    status: int


def answers(model: Any, *more_statuses: int) -> dict:
    """``response=`` for an operation: `model` for 200 and the error shape for every error status."""
    return {200: model, **{status: ErrorOut for status in (*ERROR_STATUSES, *more_statuses)}}


class OkOut(Out):
    ok: Literal[True]


# --- core ---------------------------------------------------------------------------------------

class PublicStudyOut(Out):
    code: str
    title: str
    status: str
    design: Row
    arms: list[Row]
    eligibility: Row
    outcomes: list[Row]
    sites: list[Row]
    notice: str
    protocol_version: str


class UsersOut(OkOut):
    users: list[Row]


class AccessEventsOut(OkOut):
    events: list[Row]


class RoleOut(Out):
    study: str | None
    site: str | None
    role: str


class StudiesOut(OkOut):
    studies: list[Row]
    user: str
    roles: list[RoleOut]


class DashboardOut(OkOut):
    code: str
    title: str
    status: str
    protocol_id: str
    protocol_version: str
    randomized_design: bool
    masking: str
    target: int | None
    screened: int
    screen_failed: int
    enrolled: int
    randomized: int
    per_site: list[Row]
    per_arm: list[Row]


class WorklistOut(OkOut):
    as_of: Day | None
    items: list[Row]
    problems: list[Row]
    due_this_week: int
    overdue: int


class AuditOut(OkOut):
    rows: list[Row]


class AllocationsOut(OkOut):
    strata: list[Row]


class SubjectsOut(OkOut):
    subjects: list[Row]


class SubjectOut(OkOut):
    identifier: str
    site: str
    status: str
    screened_on: Day | None
    enrolled_on: Day | None
    randomized_at: Day | None
    arm: str | None
    protocol_version: str | None
    consents: list[Row]
    screenings: list[Row]
    randomization: Row | None
    timeline: list[Row]
    next_steps: list[Any]


class CalendarOut(OkOut):
    subject_id: str
    site: str
    timezone: str
    problem: str
    doses: list[Row]
    procedures: list[Row]


class ResultsOut(OkOut):
    header: Row
    arms: list[Row]


# --- eCRF ---------------------------------------------------------------------------------------

class SdvOut(Out):
    form: bool
    fields: list[str]
    dropped: int


class TimelineOut(Out):
    subject: str
    items: list[Row]
    assessments: list[Row]
    queries: list[Row]
    signatures: list[Row]


class AssessmentRowOut(Out):
    id: int
    visit: str
    date: Day | None
    is_baseline: bool
    computed_response: str
    investigator_response: str
    discrepancy: bool


class QueryOut(Out):
    id: int
    subject: str
    site: str
    form: str
    record_id: int
    field: str
    text: str
    status: str
    opened_by: str
    opened_at: Day


class SignatureOut(Out):
    id: int
    scope: str
    visit: str
    username: str
    signed_at: Day
    meaning: str
    data_hash: str
    valid: bool
    status: str


class LockOut(Out):
    id: int
    level: str
    visit: str
    form: str
    record_id: int | None
    locked_by: str
    locked_at: Day
    active: bool


class RateOut(Out):
    numerator: int
    denominator: int
    percent: float | None


class SafetyOut(Out):
    n_safety: int
    definition: str
    rows: list[Row]
    grade_3_4: RateOut
    grade_3_plus: RateOut
    grade_5: RateOut


class ResponsesOut(Out):
    subjects: list[Row]
    spider: Row


class CtcaeTermOut(Out):
    term: str
    soc: str
    grades: dict[str, str | None]
    protocol_defined: bool
