"""eCRF service and edit-check messages follow the user's language (translated at the web layer,
from the eCRF app's catalogue), on the page and in the API."""

from django.test import Client
from tests.web.ecrf.test_form_lock import CON_MED

from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services import locks
from oncotrial.web.ecrf.services.records import save_record

API = "/api/studies/{code}/subjects/{sid}/ecrf"
DOSE = {"drug": "sintilimab", "date": "2025-02-10", "action": "given", "dose": "200"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_edit_check_message_comes_in_simplified_chinese(cast, subject_a):
    url = API.format(code=cast.study.code, sid=subject_a.identifier) + "/dose_administration"
    client = client_for(cast.coordinator_a)
    chinese = client.post(url, DOSE, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 400
    assert chinese.json()["error"] == "给药情况为“已给药”“延迟”或“减量”时，必须填写剂量单位。"
    assert chinese.json()["errors"][0]["check_id"] == "DA-08"
    english = client.post(url, DOSE, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"].startswith("dose unit is required")
    assert not m.DoseAdministration.objects.exists()


def test_a_lock_refusal_comes_in_simplified_chinese_on_page_and_api(cast, subject_a):
    record = save_record(cast.coordinator_a, subject_a, "con_med", CON_MED)
    locks.lock(cast.data_manager, cast.study, level="form", subject=subject_a, form="con_med",
               record_id=record.pk)
    url = API.format(code=cast.study.code, sid=subject_a.identifier) + f"/con_med/{record.pk}"
    reply = client_for(cast.coordinator_a).put(
        url, {**CON_MED, "reason_for_change": "x"}, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert reply.status_code == 409
    assert reply.json()["error"].startswith("此合并用药自 ") and "锁定的数据不能修改" in reply.json()["error"]
    page = f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/forms/con_med/{record.pk}/"
    html = client_for(cast.coordinator_a).post(page, {**CON_MED, "reason_for_change": "x"},
                                               HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "锁定的数据不能修改" in html


def test_unlocking_without_a_reason_is_refused_in_simplified_chinese(cast, subject_a):
    record = save_record(cast.coordinator_a, subject_a, "con_med", CON_MED)
    item = locks.lock(cast.data_manager, cast.study, level="form", subject=subject_a, form="con_med",
                      record_id=record.pk)
    reply = client_for(cast.data_manager).post(
        f"/api/studies/{cast.study.code}/ecrf/locks/{item.pk}/unlock", {"reason": " "},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert reply.status_code == 400 and reply.json()["error"] == "解锁必须填写原因"
