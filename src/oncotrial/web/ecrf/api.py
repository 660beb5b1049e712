"""The eCRF REST API: a JSON twin of every eCRF page, mounted on the core API under ``/api/studies``.

Every form has create / read / correct endpoints generated from its declaration in ``specs.py``;
field values are taken as given and parsed by the same services as the pages, so a bad value gets
the same message and the platform's one error shape. Corrections need ``reason_for_change``.
"""


from ninja import Field, Router

from oncotrial.web.api import api
from oncotrial.web.api import responses as r
from oncotrial.web.api.responses import answers
from oncotrial.web.api.schemas import StrictSchema
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.schemas import MAX_LESION_ROWS, input_schema, record_schema
from oncotrial.web.ecrf.services import locks, queries, recist, records, sdv, signatures, summaries
from oncotrial.web.ecrf.services.common import find_record, now, require_subject_reader, snapshot
from oncotrial.web.ecrf.specs import FORMS, LESION_FIELDS
from oncotrial.web.services.queries import find_visible_study
from oncotrial.web.services.subjects import find_subject

router = Router(tags=["ecrf"])
SUBJECT = "/{code}/subjects/{identifier}/ecrf"


def _subject(request, code, identifier):
    study = find_visible_study(request.user, code)
    subject = find_subject(request.user, study, identifier)
    require_subject_reader(request.user, subject)
    return subject


def record_out(form: str, record) -> dict:
    data = {"id": record.pk, "form": form, "revision": record.revision,
            "protocol_version": record.protocol_version.version, **snapshot(form, record),
            "sdv": sdv.verification_status(form, record)}
    if form == "dose_administration":
        data.update(bsa_m2=_str(record.bsa_m2), prescribed_dose=_str(record.prescribed_dose),
                    percent_of_planned=_str(record.percent_of_planned))
    if form == "adverse_event":
        data.update(soc=record.soc, ctcae_version=record.ctcae_version,
                    sae_clock=summaries.sae_clock(record, now()))
    return data


def _str(value):
    return None if value is None else str(value)


LesionIn = input_schema("LesionIn", "lesion", LESION_FIELDS, with_meta=False)
AssessmentIn = input_schema("TumourAssessmentIn", "tumour_assessment", FORMS["tumour_assessment"].fields,
                            {"lesions": (list[LesionIn], Field(default_factory=list,
                                                               json_schema_extra={"maxItems": MAX_LESION_ROWS}))})
_EXTRA_OUT = {
    "dose_administration": {name: (str | None, ...) for name in ("bsa_m2", "prescribed_dose", "percent_of_planned")},
    "adverse_event": {"soc": (str, ...), "ctcae_version": (str, ...), "sae_clock": (r.Row | None, ...)},
    "tumour_assessment": {"lesions": (list[record_schema("LesionOut", LESION_FIELDS, with_meta=False)], ...)},
}
RECORD_OUT = {form: record_schema(f"{spec.model}Out", spec.fields, _EXTRA_OUT.get(form))
              for form, spec in FORMS.items()}


@router.get(SUBJECT, operation_id="ecrf_subject_timeline", response=answers(r.TimelineOut),
            summary="Subject eCRF timeline")
def subject_timeline(request, code: str, identifier: str):
    return summaries.subject_timeline(request.user, _subject(request, code, identifier), now())


@router.get(SUBJECT + "/tumour_assessment", operation_id="ecrf_list_tumour_assessment",
            response=answers(list[r.AssessmentRowOut]),
            summary="Tumour assessments with live RECIST")
def list_assessments(request, code: str, identifier: str):
    return recist.assessment_rows(request.user, _subject(request, code, identifier))


@router.post(SUBJECT + "/tumour_assessment", operation_id="ecrf_create_tumour_assessment",
             response=answers(RECORD_OUT["tumour_assessment"]))
def create_assessment(request, code: str, identifier: str, payload: AssessmentIn):
    return _save_assessment(request, code, identifier, payload, None)


@router.put(SUBJECT + "/tumour_assessment/{record_id}", operation_id="ecrf_update_tumour_assessment",
            response=answers(RECORD_OUT["tumour_assessment"]))
def update_assessment(request, code: str, identifier: str, record_id: int, payload: AssessmentIn):
    return _save_assessment(request, code, identifier, payload, record_id)


@router.get(SUBJECT + "/tumour_assessment/{record_id}", operation_id="ecrf_get_tumour_assessment",
            response=answers(RECORD_OUT["tumour_assessment"]))
def get_assessment(request, code: str, identifier: str, record_id: int):
    subject = _subject(request, code, identifier)
    return record_out("tumour_assessment", find_record("tumour_assessment", record_id, subject))


def _save_assessment(request, code, identifier, payload, record_id):
    subject = _subject(request, code, identifier)
    data = payload.dict()
    lesions = [dict(row) for row in data.pop("lesions")]
    reason, revision = data.pop("reason_for_change"), data.pop("expected_revision")
    record = recist.save_tumour_assessment(request.user, subject, data, lesions, record_id=record_id,
                                           reason=reason, how="api", expected_revision=revision)
    return record_out("tumour_assessment", record)


def _register_form(form: str) -> None:
    """create / read / correct endpoints for one simple form."""
    schema = input_schema(f"{FORMS[form].model}In", form, FORMS[form].fields)
    out = answers(RECORD_OUT[form])
    path = SUBJECT + f"/{form}"

    def create(request, code: str, identifier: str, payload: schema):
        data = payload.dict()
        reason = data.pop("reason_for_change")
        data.pop("expected_revision")
        subject = _subject(request, code, identifier)
        record = records.save_record(request.user, subject, form, data, reason=reason, how="api")
        return record_out(form, record)

    def update(request, code: str, identifier: str, record_id: int, payload: schema):
        data = payload.dict()
        reason, revision = data.pop("reason_for_change"), data.pop("expected_revision")
        subject = _subject(request, code, identifier)
        record = records.save_record(request.user, subject, form, data, record_id=record_id,
                                     reason=reason, how="api", expected_revision=revision)
        return record_out(form, record)

    def read(request, code: str, identifier: str, record_id: int):
        return record_out(form, find_record(form, record_id, _subject(request, code, identifier)))

    def listing(request, code: str, identifier: str):
        subject = _subject(request, code, identifier)
        return [record_out(form, r) for r in records.FORM_MODELS[form].objects.filter(subject=subject)]

    label = FORMS[form].label
    router.add_api_operation(path, ["POST"], create, operation_id=f"ecrf_create_{form}", summary=f"Enter {label}",
                             response=out)
    router.add_api_operation(path, ["GET"], listing, operation_id=f"ecrf_list_{form}", summary=f"List {label}",
                             response=answers(list[RECORD_OUT[form]]))
    router.add_api_operation(path + "/{record_id}", ["PUT"], update, operation_id=f"ecrf_update_{form}",
                             summary=f"Correct {label}", response=out)
    router.add_api_operation(path + "/{record_id}", ["GET"], read, operation_id=f"ecrf_get_{form}",
                             summary=f"Read {label}", response=out)


for _form in records.SIMPLE_FORMS:
    _register_form(_form)


class QueryIn(StrictSchema):
    form: str
    record_id: int
    text: str
    field: str = ""
    assigned_to: str = ""


class QueryActionIn(StrictSchema):
    answer: str = ""
    note: str = ""
    text: str = ""


class VerifyIn(StrictSchema):
    form: str
    record_id: int
    field: str = ""


class SignIn(StrictSchema):
    scope: str = "casebook"
    visit: str = ""
    password: str
    meaning: str = ""


class LockIn(StrictSchema):
    level: str
    visit: str = ""
    form: str = ""
    record_id: int | None = None


class UnlockIn(StrictSchema):
    reason: str


@router.get("/{code}/ecrf/queries", operation_id="ecrf_list_queries", summary="Per-site query list",
            response=answers(list[r.QueryOut]))
def list_queries(request, code: str, status: str = "", site: str = ""):
    return queries.list_queries(request.user, find_visible_study(request.user, code), status=status,
                                site=site)


@router.post(SUBJECT + "/queries", operation_id="ecrf_open_query", response=answers(r.QueryOut))
def open_query(request, code: str, identifier: str, payload: QueryIn):
    subject = _subject(request, code, identifier)
    query = queries.open_query(request.user, subject, form=payload.form, record_id=payload.record_id,
                               field=payload.field, text=payload.text, how="api",
                               assigned_to=queries.find_assignee(subject.study, payload.assigned_to))
    return queries.query_row(query)


@router.post("/{code}/ecrf/queries/{query_id}/{action}", operation_id="ecrf_query_action",
             response=answers(r.QueryOut),
             summary="answer, resolve, close or re-open a query")
def query_action(request, code: str, query_id: int, action: str, payload: QueryActionIn):
    query = queries.find_query(request.user, find_visible_study(request.user, code), query_id)
    actions = {"answer": lambda: queries.answer_query(request.user, query, answer=payload.answer, how="api"),
               "resolve": lambda: queries.resolve_query(request.user, query, how="api"),
               "close": lambda: queries.close_query(request.user, query, note=payload.note, how="api"),
               "reopen": lambda: queries.reopen_query(request.user, query, text=payload.text, how="api")}
    if action not in actions:
        from oncotrial.errors import InvalidInput

        raise InvalidInput(f"query action {action!r} is not one of {', '.join(actions)}", field="action")
    return queries.query_row(actions[action]())


@router.post(SUBJECT + "/verifications", operation_id="ecrf_verify_source", response=answers(r.SdvOut))
def verify_source(request, code: str, identifier: str, payload: VerifyIn):
    subject = _subject(request, code, identifier)
    sdv.verify_source(request.user, subject, form=payload.form, record_id=payload.record_id,
                      field=payload.field, how="api")
    return sdv.verification_status(payload.form, find_record(payload.form, payload.record_id, subject))


@router.get(SUBJECT + "/signatures", operation_id="ecrf_list_signatures",
            response=answers(list[r.SignatureOut]))
def list_signatures(request, code: str, identifier: str):
    return signatures.list_signatures(request.user, _subject(request, code, identifier))


@router.post(SUBJECT + "/signatures", operation_id="ecrf_sign", response=answers(r.SignatureOut, 429))
def sign(request, code: str, identifier: str, payload: SignIn):
    signature = signatures.sign(request.user, _subject(request, code, identifier), scope=payload.scope,
                                visit=payload.visit, password=payload.password, meaning=payload.meaning,
                                how="api")
    return signatures.signature_row(signature)


@router.post(SUBJECT + "/locks", operation_id="ecrf_lock_subject_data", response=answers(r.LockOut))
def lock_subject_data(request, code: str, identifier: str, payload: LockIn):
    subject = _subject(request, code, identifier)
    item = locks.lock(request.user, subject.study, level=payload.level, subject=subject, visit=payload.visit,
                      form=payload.form, record_id=payload.record_id, how="api")
    return locks.lock_row(item)


@router.post("/{code}/ecrf/locks", operation_id="ecrf_lock_study", response=answers(r.LockOut))
def lock_study(request, code: str):
    item = locks.lock(request.user, find_visible_study(request.user, code), level="study", how="api")
    return locks.lock_row(item)


@router.post("/{code}/ecrf/locks/{lock_id}/unlock", operation_id="ecrf_unlock", response=answers(r.LockOut))
def unlock(request, code: str, lock_id: int, payload: UnlockIn):
    find_visible_study(request.user, code)
    return locks.lock_row(locks.unlock(request.user, locks.find_lock(lock_id), reason=payload.reason, how="api"))


@router.get("/{code}/ecrf/safety", operation_id="ecrf_safety_summary", response=answers(r.SafetyOut))
def safety_summary(request, code: str):
    return summaries.safety_summary(request.user, find_visible_study(request.user, code))


@router.get("/{code}/ecrf/responses", operation_id="ecrf_study_responses", response=answers(r.ResponsesOut),
            summary="RECIST responses per subject and the spider-plot series")
def study_responses(request, code: str):
    return summaries.study_responses(request.user, find_visible_study(request.user, code))


@router.get("/{code}/ecrf/ctcae-terms", operation_id="ecrf_ctcae_terms", summary="CTCAE terms by SOC",
            response=answers(list[r.CtcaeTermOut]))
def ctcae_terms(request, code: str, version: str = "5.0"):
    find_visible_study(request.user, code)
    return [{"term": t.term, "soc": t.soc, "grades": t.grades, "protocol_defined": t.protocol_defined}
            for t in m.CtcaeTerm.objects.filter(version=version)]


api.add_router("/studies", router)
