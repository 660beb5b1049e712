"""Pages in English and Simplified Chinese; the shipped catalogue is complete and compiled."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import oncotrial.web

CATALOGUE = Path(oncotrial.web.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.django_db
def test_the_login_page_speaks_simplified_chinese(client):
    english = client.get("/accounts/login/").content.decode()
    chinese = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Log in" in english and "登录" in chinese and "用户名" in chinese


@pytest.mark.django_db
def test_field_errors_come_in_the_users_language(client, cast):
    client.force_login(cast.coordinator_a)
    reply = client.post(f"/studies/{cast.study.code}/subjects/new/", {"site": "01", "screened_on": "x"},
                        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert reply.status_code == 400 and "有效的日期" in reply.content.decode()


def test_every_message_is_translated():
    text = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'\nmsgid "(.+)"\nmsgstr "(.*)"', text)
    assert entries and not [msgid for msgid, msgstr in entries if not msgstr]
    assert "#, fuzzy" not in text, "makemessages guessed a translation: check it and drop the fuzzy flag"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
def test_the_compiled_catalogue_matches_the_source(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOGUE / "django.po")], check=True)
    assert compiled.read_bytes() == (CATALOGUE / "django.mo").read_bytes(), \
        "run: msgfmt -o src/oncotrial/web/locale/zh_Hans/LC_MESSAGES/django.mo ...django.po"
