"""The demo database and the web verbs of the command line."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import transaction

from oncotrial.cli import main
from oncotrial.web.models import AuditEvent, Membership, Randomization, Subject, SubjectEvent
from oncotrial.web.services.audit import verify_audit_chain
from oncotrial.web.services.demo import build_demo

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)


def snapshot() -> list:
    subjects = list(Subject.objects.order_by("study__code", "identifier").values_list(
        "study__code", "identifier", "status", "screened_on", "sex", "birth_year"))
    arms = list(Randomization.objects.order_by("study__code", "sequence").values_list("subject__identifier", "arm"))
    events = list(SubjectEvent.objects.order_by("subject__identifier", "occurred_on", "kind", "item").values_list(
        "subject__identifier", "kind", "occurred_on", "item"))
    return [subjects, arms, events]


def test_the_demo_is_deterministic_and_covers_every_stage():
    with transaction.atomic():
        build_demo(seed=7, as_of=AS_OF, scale=0.2)
        first = snapshot()
        transaction.set_rollback(True)
    build_demo(seed=7, as_of=AS_OF, scale=0.2)
    assert snapshot() == first
    statuses = set(Subject.objects.values_list("status", flat=True))
    assert {"screen_failed", "on_treatment", "off_treatment"} <= statuses
    assert SubjectEvent.objects.filter(kind="progression").exists()
    assert SubjectEvent.objects.filter(kind="dose").count() > 50
    assert Randomization.objects.exists()
    assert verify_audit_chain().ok
    assert Membership.objects.filter(user__username="coordinator2", site__code="02").count() == 2


def test_createuser_hashes_with_argon2_grants_the_role_and_audits_it(monkeypatch, cast, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-passphrase\n"))
    assert main(["createuser", "newcoord", "--password-stdin", "--role", "coordinator",
                 "--study", cast.study.code, "--site", "02"]) == 0
    membership = Membership.objects.get(user__username="newcoord")
    assert (membership.role, membership.site.code) == ("coordinator", "02")
    assert membership.user.password.startswith("argon2")
    assert AuditEvent.objects.filter(action="role_grant", how="cli").exists()


def test_createuser_reports_a_weak_password_without_a_traceback(monkeypatch, cast, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    assert main(["createuser", "weak", "--password-stdin"]) == 2
    assert "password for 'weak'" in capsys.readouterr().err


def test_the_web_verbs_are_registered(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for verb in ("serve", "migrate", "createuser", "demo", "audit"):
        assert verb in out


def test_study_verbs_create_amend_and_add_sites(tmp_path, capsys):
    from oncotrial.domain.protocol.model import dump_protocol
    from oncotrial.protocols import load_builtin_protocol
    from oncotrial.web.models import Study

    assert main(["study", "create", "crlm-mwa-camrelizumab", "--code", "trial-a", "--effective", "2025-01-06"]) == 0
    assert main(["study", "add-site", "trial-a", "03", "Third Hospital", "--timezone", "Asia/Shanghai"]) == 0
    text = dump_protocol(load_builtin_protocol("crlm-mwa-camrelizumab")).replace('version: "1.0"', 'version: "1.1"', 1)
    (tmp_path / "amended.yaml").write_text(text.replace("version: '1.0'", "version: '1.1'", 1))
    assert main(["study", "amend", "trial-a", str(tmp_path / "amended.yaml"), "--reason", "amendment 1"]) == 0
    study = Study.objects.get(code="trial-a")
    assert study.current_version().version == "1.1" and list(study.sites.values_list("code", flat=True)) == ["03"]
    assert main(["study", "create", "no-such-protocol"]) == 2
    assert "no built-in protocol" in capsys.readouterr().err
    assert set(AuditEvent.objects.filter(how="cli").values_list("action", flat=True)) >= {"create", "site_add", "amend"}
