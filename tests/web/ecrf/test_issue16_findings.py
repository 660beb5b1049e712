"""Issue 16: the findings of a full walk through both trials, each pinned by a test that failed
before its fix (service and Django-client level; the browser walk is tests/browser/test_issue16_walk.py)."""

import datetime as dt
import re

from tests.web.ecrf.conftest import CONSENT, enrolled_subject_a, enter_baseline, enter_follow_up

from oncotrial.web.ecrf.services.recist import assessment_rows
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.services.events import derive_subject_calendar

FIRST_DOSE = dt.date(2025, 2, 17)


def _dose(cast, subject, day=FIRST_DOSE):
    save_record(cast.coordinator_a, subject, "dose_administration",
                {"drug": "camrelizumab", "date": day.isoformat(), "action": "given", "dose": "200", "unit": "mg"})


def test_it_shows_the_baseline_row_its_own_sum_when_a_follow_up_is_on_the_first_therapy_day(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))  # own sum 50
    _dose(cast, subject)
    enter_follow_up(cast.coordinator_a, subject, "W1", FIRST_DOSE, (20, 14), "PR")  # 34: -32 %
    rows = {row["visit"]: row for row in assessment_rows(cast.investigator_a, subject)}
    assert rows["BL"]["sum_mm"] == 50.0
    assert rows["W1"]["sum_mm"] == 34.0
    assert rows["W1"]["computed_response"] == "PR"
    assert rows["W1"]["percent_change_from_baseline"] == -32.0
    assert "first" in rows["W1"]["note"] and FIRST_DOSE.isoformat() in rows["W1"]["note"]


def test_a_baseline_assessment_marks_baseline_imaging_done_on_the_calendar(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20), date=CONSENT)  # the enrolment day
    calendar = derive_subject_calendar(subject, dt.date(2025, 2, 6))
    (baseline,) = [a for a in calendar.assessments if a.kind == "baseline_imaging"]
    assert (baseline.status, baseline.done_on) == ("done", CONSENT)


def _hrefs(html: str) -> set[str]:
    import re

    return {h for h in re.findall(r'href="(/[^"#]*)"', html) if not h.startswith(("/static/", "/api/"))}


def _walk(client, start: str, limit: int = 60) -> dict[str, int]:
    """Every page reachable by links from ``start`` (breadth first, up to ``limit`` pages)."""
    seen, queue = {}, [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or "format=csv" in url or url.endswith(".csv"):
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            queue += sorted(_hrefs(response.content.decode()) - set(seen))
    return seen


def test_no_link_a_role_sees_leads_to_a_403(client, single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20), date=CONSENT)
    forbidden = {}
    for name, user in cast.everyone().items():
        client.force_login(user)
        walked = _walk(client, f"/studies/{cast.study.code}/")
        forbidden[name] = sorted(url for url, status in walked.items() if status == 403)
        client.logout()
    assert forbidden == {name: [] for name in forbidden}


def test_the_study_navigation_links_the_safety_and_tumour_response_pages(client, single_arm_cast):
    client.force_login(single_arm_cast.monitor)
    page = client.get(f"/studies/{single_arm_cast.study.code}/").content.decode()
    nav = page.split("<nav>")[1].split("</nav>")[0]
    assert "/ecrf/safety/" in nav and "/ecrf/responses/" in nav


def test_the_close_button_is_shown_only_to_roles_that_may_close_and_a_monitor_closes_their_own(client, single_arm_cast):
    from oncotrial.web.ecrf import models as m
    from oncotrial.web.ecrf.services.queries import close_query, open_query

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    record = enter_baseline(cast.coordinator_a, subject, sizes=(30, 20), date=CONSENT)
    query = open_query(cast.monitor, subject, form="tumour_assessment", record_id=record.pk, field="cea",
                       text="CEA unit?")
    other = open_query(cast.data_manager, subject, form="tumour_assessment", record_id=record.pk, field="date",
                       text="date?")
    url = f"/studies/{cast.study.code}/ecrf/queries/"
    for user, closable in ((cast.investigator_a, set()), (cast.coordinator_a, set()),
                           (cast.monitor, {query.pk}), (cast.data_manager, {query.pk, other.pk})):
        client.force_login(user)
        html = client.get(url).content.decode()
        shown = {q for q in (query.pk, other.pk) if f"/ecrf/queries/{q}/close/" in html}
        assert shown == closable, user.username
    close_query(cast.monitor, query, note="unit confirmed")
    assert m.Query.objects.get(pk=query.pk).status == "closed"


def test_a_query_names_a_field_chosen_from_the_form(client, single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20), date=CONSENT)
    client.force_login(cast.monitor)
    html = client.get(f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/").content.decode()
    assert '<select name="field"' in html and '<option value="cea">' in html


def test_the_dose_form_offers_the_subjects_regimen_drugs_and_refuses_others(client, single_arm_cast):
    import pytest

    from oncotrial.errors import InvalidInput

    cast = single_arm_cast
    subject = enrolled_subject_a(cast, regimen="folfiri")
    client.force_login(cast.coordinator_a)
    html = client.get(f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/forms/"
                      "dose_administration/new/").content.decode()
    select = html.split('<select name="drug"')[1].split("</select>")[0]
    assert {"camrelizumab", "irinotecan", "fluorouracil"} <= set(re.findall(r'<option value="([^"]+)"', select))
    assert "oxaliplatin" not in select  # mFOLFOX6 and XELOX were not chosen
    for drug in ("oxaliplatine", "aspirin"):
        with pytest.raises(InvalidInput) as caught:
            save_record(cast.coordinator_a, subject, "dose_administration",
                        {"drug": drug, "date": "2025-02-17", "action": "given", "dose": "100", "unit": "mg"})
        assert caught.value.field == "drug" and "irinotecan" in caught.value.message


def test_an_ae_outside_the_bundled_terms_is_recorded_as_other_specify_within_its_soc(client, single_arm_cast):
    import pytest

    from oncotrial.errors import InvalidInput
    from oncotrial.web.ecrf import models as m

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    client.force_login(cast.coordinator_a)
    html = client.get(f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/forms/"
                      "adverse_event/new/").content.decode()
    term = "Gastrointestinal disorders - Other, specify"
    assert f'<option value="{term}">' in html and 'name="term_specify"' in html
    ae = {"term": term, "grade": "2", "start_date": "2025-02-20", "outcome": "recovering"}
    with pytest.raises(InvalidInput) as caught:
        save_record(cast.coordinator_a, subject, "adverse_event", ae)
    assert caught.value.field == "term_specify"
    record = save_record(cast.coordinator_a, subject, "adverse_event", {**ae, "term_specify": "gastric ulcer bleed"})
    record = m.AdverseEvent.objects.get(pk=record.pk)
    assert (record.term, record.term_specify, record.soc) == (term, "gastric ulcer bleed", "Gastrointestinal disorders")


def test_the_api_takes_the_other_specify_text_as_the_page_does(client, single_arm_cast):
    import json

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    client.force_login(cast.coordinator_a)
    url = f"/api/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/adverse_event"
    body = {"term": "Investigations - Other, specify", "term_specify": "troponin increased", "grade": 1,
            "start_date": "2025-02-20", "outcome": "recovering"}
    reply = client.post(url, json.dumps(body), content_type="application/json")
    assert reply.status_code in (200, 201), reply.content.decode()[:500]
    missing = client.post(url, json.dumps({**body, "term_specify": ""}), content_type="application/json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "term_specify"
