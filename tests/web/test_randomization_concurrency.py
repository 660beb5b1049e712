"""Eight processes, each with its own database connection, randomize at once against PostgreSQL:
no allocation is duplicated or lost and every stratum's permuted blocks stay intact."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from django.db import OperationalError, connection, connections

from oncotrial.web.models import AllocationState, Randomization, Subject
from oncotrial.web.services import subjects
from oncotrial.web.services.audit import verify_audit_chain
from oncotrial.web.services.randomization import randomize_subject

from .conftest import build_cast

PROCESSES = 8
SUBJECTS_PER_PROCESS = 10
DAY = dt.date(2025, 3, 3)
FACTS = {"age_years": 60, "sex": "male", "crlm_confirmed": True, "metastasis_timing": "synchronous",
         "high_risk_local_recurrence": True, "curative_resection": True, "ecog": 0, "anc": 2.0,
         "platelets": 150, "extrahepatic_disease": False, "prior_anti_pd1": False}


def _enrolled_subjects(cast, n: int) -> list[int]:
    ids = []
    for i in range(n):
        site, user = (cast.site_a, cast.coordinator_a) if i % 2 == 0 else (cast.site_b, cast.outsider_b)
        subject = subjects.register_screening(user, cast.study, site, screened_on=DAY)
        subjects.record_consent(user, subject, form_version="1", signed_on=DAY, signer=f"person {i}")
        subjects.assess_eligibility(user, subject, assessed_on=DAY, answers=FACTS)
        subjects.enrol_subject(user, subject, enrolled_on=DAY)
        ids.append(subject.pk)
    return ids


def _randomize_batch(batch):
    """Runs in a child process with its own connection (the parent closed its own before forking)."""
    from django.contrib.auth import get_user_model

    connections.close_all()
    results = []
    for subject_id, factors in batch:
        subject = Subject.objects.select_related("site").get(pk=subject_id)
        user = get_user_model().objects.get(username="coa" if subject.site.code == "01" else "oub")
        for attempt in range(20):
            try:
                done = randomize_subject(user, subject, factors=factors)
                results.append((subject_id, done.sequence, done.arm, done.stratum))
                break
            except OperationalError:
                time.sleep(0.01 * (attempt + 1))
    connections.close_all()
    return results


@pytest.mark.postgres
@pytest.mark.slow
def test_eight_processes_randomize_without_duplicates_losses_or_broken_blocks(audit_flushable):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with ONCOTRIAL_DATABASE_URL=postgresql://root@127.0.0.1:5432/test")
    cast = build_cast()
    n = PROCESSES * SUBJECTS_PER_PROCESS
    rng = np.random.default_rng(20250303)
    ids = _enrolled_subjects(cast, n)
    levels = [{"margin": str(rng.choice(["R0", "R1"])), "timing": str(rng.choice(["synchronous", "metachronous"]))}
              for _ in ids]
    batches = [list(zip(ids[p::PROCESSES], levels[p::PROCESSES], strict=True)) for p in range(PROCESSES)]
    connections.close_all()
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
        results = [row for batch in pool.map(_randomize_batch, batches) for row in batch]
    elapsed = time.perf_counter() - start
    print(f"\nrandomization: {n} allocations from {PROCESSES} processes in {elapsed:.2f} s = "
          f"{n / elapsed:.1f} allocations/second; duplicates 0 expected")

    stored = list(Randomization.objects.order_by("sequence").values_list("subject_id", "sequence", "arm",
                                                                         "stratum", "details"))
    sequences = [row[1] for row in stored]
    assert len(results) == n, "an allocation was lost"
    assert sorted(sequences) == list(range(1, n + 1)), "sequence numbers duplicated or skipped"
    assert len({row[0] for row in stored}) == n, "a subject was randomized twice"
    assert AllocationState.objects.get(study=cast.study).allocated == n
    _assert_blocks_intact(stored)
    assert verify_audit_chain().ok, "concurrent appends forked the audit hash chain"


def _assert_blocks_intact(stored) -> None:
    """Within each stratum the allocations, in sequence order, fill blocks position 1..size, and each
    complete block holds every arm equally often (1:1)."""
    by_stratum = defaultdict(list)
    for _subject, _sequence, arm, stratum, details in stored:
        by_stratum[stratum].append((details["block_position"], details["block_size"], arm))
    for stratum, rows in by_stratum.items():
        block: list[str] = []
        for position, size, arm in rows:
            assert position == len(block) + 1, f"stratum {stratum}: block position {position} out of order"
            block.append(arm)
            if position == size:
                counts = Counter(block)
                assert len(set(counts.values())) == 1 and len(counts) == 2, f"stratum {stratum}: block {block}"
                block = []


@pytest.mark.slow
@pytest.mark.django_db
def test_eight_processes_randomize_safely_against_a_sqlite_file(tmp_path):
    """The same guarantee on the embedded default: separate processes, one SQLite file in WAL mode,
    transactions that begin IMMEDIATE."""
    if connection.vendor != "sqlite":
        pytest.skip("runs once, in the SQLite pass of the suite")
    worker = str(Path(__file__).with_name("concurrency_worker.py"))
    database = tmp_path / "concurrency.sqlite3"
    env = {**os.environ, "ONCOTRIAL_HOME": str(tmp_path), "ONCOTRIAL_DATABASE_URL": f"sqlite:///{database}",
           "ONCOTRIAL_SECRET_KEY": "concurrency-test"}
    n = PROCESSES * 5
    setup = subprocess.run([sys.executable, worker, "setup", str(n)], env=env, capture_output=True, text=True,
                           timeout=300, check=True)
    ids = json.loads(setup.stdout.strip().splitlines()[-1])
    rng = np.random.default_rng(7)
    items = [f"{i}:{rng.choice(['R0', 'R1'])}:{rng.choice(['synchronous', 'metachronous'])}" for i in ids]
    start = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, worker, "randomize", *items[p::PROCESSES]], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for p in range(PROCESSES)]
    outputs = [w.communicate(timeout=300) for w in workers]
    elapsed = time.perf_counter() - start
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _out, err in outputs]
    done = [row for out, _err in outputs for row in json.loads(out.strip().splitlines()[-1])]
    print(f"\nSQLite randomization: {n} allocations from {PROCESSES} processes in {elapsed:.2f} s "
          f"(including process start-up)")
    with sqlite3.connect(database) as db:
        stored = [(s, q, a, st, json.loads(d)) for s, q, a, st, d in db.execute(
            "SELECT subject_id, sequence, arm, stratum, details FROM web_randomization ORDER BY sequence")]
    assert len(done) == n and sorted(row[1] for row in stored) == list(range(1, n + 1))
    assert len({row[0] for row in stored}) == n
    _assert_blocks_intact(stored)
    verify = subprocess.run([sys.executable, "-m", "oncotrial", "audit", "verify"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
