"""Two `oncotrial serve` processes on two ports over one PostgreSQL database (issue 14): eCRF writes
alternate between them and both randomize at once; no allocation is duplicated or lost, every
acknowledged write is stored, and the one audit chain is intact.

The database is a scratch one, `servetest_<pid>`, created and dropped here on the server named by
ONCOTRIAL_DATABASE_URL (the PostgreSQL pass of the suite). Bounded: 16 randomizations and 40 writes
from 6 client threads, well under a minute once both servers are up.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBJECTS = 16
WRITES = 40
DAY = dt.date(2025, 3, 3)
FACTS = {"age_years": 60, "sex": "male", "crlm_confirmed": True, "metastasis_timing": "synchronous",
         "high_risk_local_recurrence": True, "curative_resection": True, "ecog": 0, "anc": 2.0,
         "platelets": 150, "extrahepatic_disease": False, "prior_anti_pd1": False}


def _setup() -> dict:
    """In a child process on the scratch database: the tables, the cast, enrolled subjects, a consented one, a token."""
    from oncotrial.commands.web import migrate_database, setup_django

    setup_django()
    migrate_database()
    from oncotrial.web.services import subjects
    from oncotrial.web.services.tokens import create_api_token
    from oncotrial.web.testing import build_cast

    cast = build_cast()
    enrolled = []
    for number in range(SUBJECTS):
        subject = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
        subjects.record_consent(cast.coordinator_a, subject, form_version="1", signed_on=DAY, signer=f"p {number}")
        subjects.assess_eligibility(cast.coordinator_a, subject, assessed_on=DAY, answers=FACTS)
        subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)
        enrolled.append(subject.identifier)
    writer = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    subjects.record_consent(cast.coordinator_a, writer, form_version="1", signed_on=DAY, signer="w")
    _token, text = create_api_token(None, cast.coordinator_a, name="two servers", how="cli")
    return {"study": cast.study.code, "enrolled": enrolled, "writer": writer.identifier, "token": text}


def _state() -> dict:
    from oncotrial.commands.web import setup_django

    setup_django()
    from oncotrial.web.ecrf.models import ConMed
    from oncotrial.web.models import AllocationState, Randomization
    from oncotrial.web.services.audit import verify_audit_chain

    verification = verify_audit_chain()
    return {"con_meds": {str(pk): name for pk, name in ConMed.objects.values_list("pk", "name")},
            "allocations": list(Randomization.objects.values_list("subject__identifier", "sequence")),
            "allocated": sum(AllocationState.objects.values_list("allocated", flat=True)),
            "audit_ok": verification.ok, "audit_rows": verification.checked}


def _child(env: dict, mode: str) -> dict:
    done = subprocess.run([sys.executable, __file__, mode], env=env, capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(port: int, method: str, path: str, token: str, body: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, json.dumps(body), {"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {token}"})
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read() or b"{}")
    finally:
        connection.close()


def _wait_ready(port: int, server) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve on {port} exited with {server.returncode}"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve on {port} was not ready within 180 s")


@pytest.fixture
def scratch_database():
    url = os.environ.get("ONCOTRIAL_DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        pytest.skip("needs ONCOTRIAL_DATABASE_URL=postgresql://... (the suite's PostgreSQL pass)")
    import psycopg

    parts = urlsplit(url)
    name = f"servetest_{os.getpid()}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
@pytest.mark.slow
def test_two_servers_over_one_database_keep_one_intact_chain_and_unique_allocations(scratch_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCOTRIAL_", "DJANGO_"))}
    env.update(ONCOTRIAL_HOME=str(tmp_path), ONCOTRIAL_DATABASE_URL=scratch_database,
               ONCOTRIAL_ALLOWED_HOSTS="127.0.0.1", PYTHONPATH=str(ROOT / "src"))
    begun = time.monotonic()
    setup = _child(env, "setup")
    prepared = time.monotonic()
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen([sys.executable, "-m", "oncotrial", "serve", "--port", str(port), "--threads", "4"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            _wait_ready(port, server)
        ready = time.monotonic()
        outcomes = _load(ports, setup)
        print(f"\nmigrate + setup {prepared - begun:.1f} s, servers up {ready - prepared:.1f} s, "
              f"load {time.monotonic() - ready:.1f} s")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(60)
    state = _child(env, "state")

    randomized = [o for o in outcomes if o[0] == "randomize"]
    assert sorted(status for _, status, _ in randomized) == [200] * SUBJECTS
    assert {port for _, _, port in randomized} == set(ports)  # both servers randomized
    sequences = [sequence for _, sequence in state["allocations"]]
    assert sorted(sequences) == list(range(1, SUBJECTS + 1)), "an allocation was duplicated or skipped"
    assert Counter(identifier for identifier, _ in state["allocations"]) == Counter(setup["enrolled"])
    assert state["allocated"] == SUBJECTS

    written = [o for o in outcomes if o[0] == "write"]
    assert [status for _, status, _ in written] == [200] * WRITES
    assert sorted(state["con_meds"].values()) == sorted(f"two-servers {n:03d}" for n in range(WRITES))
    assert state["audit_ok"], "two servers forked the audit hash chain"
    assert state["audit_rows"] > SUBJECTS + WRITES


def _load(ports: list[int], setup: dict) -> list[tuple[str, int, int]]:
    """Writes alternate between the two servers (request n to ports[n % 2]); the enrolled subjects
    are randomized half through each, all at once from 6 threads."""
    base = f"/api/studies/{setup['study']}/subjects"
    jobs = [("randomize", n) for n in range(SUBJECTS)] + [("write", n) for n in range(WRITES)]
    jobs.sort(key=lambda job: job[1])
    outcomes, lock, queue = [], threading.Lock(), list(reversed(jobs))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                kind, number = queue.pop()
            port = ports[number % 2]
            if kind == "randomize":
                status, _ = _request(port, "POST", f"{base}/{setup['enrolled'][number]}/randomize", setup["token"],
                                     {"factors": {"margin": "R0" if number % 3 else "R1",
                                                  "timing": "synchronous" if number % 2 else "metachronous"}})
            else:
                status, _ = _request(port, "POST", f"{base}/{setup['writer']}/ecrf/con_med", setup["token"],
                                     {"name": f"two-servers {number:03d}", "indication": "pain", "dose_text": "1 g",
                                      "start_date": "2025-03-04"})
            with lock:
                outcomes.append((kind, status, port))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


if __name__ == "__main__":
    print(json.dumps(_setup() if sys.argv[1] == "setup" else _state()))
