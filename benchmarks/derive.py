"""Benchmark: RECIST timepoints, BOR and PFS for synthetic subjects (issue 15 goal at 1,000,000
subjects: ≤ 5 s and ≤ 2 GB peak resident memory on the 2-core build machine).

Runs the columnar batch path (`oncotrial.domain.outcomes.batch`) on the whole trial and, as the named peer,
the per-subject engine (`derive_subject_outcomes`) on a sample of the same subjects; prints
subjects per second for both, their ratio, and the process's peak resident memory (the whole
process: simulating the trial included). The batch time is the median of three derivations.

    python3 benchmarks/derive.py [n_subjects] [peer_sample]     # run.py passes 1000000
"""

from __future__ import annotations

import dataclasses
import resource
import sys
import time
from datetime import date

import numpy as np

from oncotrial.domain.outcomes import batch as bt
from oncotrial.domain.outcomes.derivation_rules import DerivationOptions
from oncotrial.domain.outcomes.derive import derive_subject_outcomes
from oncotrial.domain.protocol.model import AssessmentSchedule, SchedulePhase
from oncotrial.protocols import load_builtin_protocol

CUTOFF = date(2026, 3, 31)


def peak_memory_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n_subjects: int = 100_000, peer_sample: int = 500) -> int:
    rng = np.random.default_rng(20241122)
    started = time.perf_counter()
    # 12 planned scans: after deaths and missed visits about 10 remain per subject.
    batch = bt.simulate_tumour_batch(rng, n_subjects, n_assessments=12)
    simulated = time.perf_counter()
    seconds, cpu_seconds = [], []
    for _ in range(3):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = bt.derive_batch_outcomes(batch, bt.BatchRules(CUTOFF))
        seconds.append(time.perf_counter() - wall0)
        cpu_seconds.append(time.process_time() - cpu0)
    batch_seconds, batch_cpu = float(np.median(seconds)), float(np.median(cpu_seconds))
    assessments = int((batch.day < bt.NO_DAY).sum())
    targets = int(batch.target_used.sum())

    protocol = dataclasses.replace(
        load_builtin_protocol("crlm-sbrt-sintilimab"),
        assessment_schedule=AssessmentSchedule("randomization", (SchedulePhase(56, 7),)))
    options = DerivationOptions(data_cutoff=CUTOFF)
    sample = [bt.derive_records_from_batch(batch, i) for i in range(min(peer_sample, n_subjects))]
    peer_start = time.perf_counter()
    for records in sample:
        derive_subject_outcomes(protocol, options=options, **records)
    peer_seconds = time.perf_counter() - peer_start

    batch_rate = n_subjects / batch_seconds
    peer_rate = len(sample) / peer_seconds
    print(f"subjects: {n_subjects:,}  assessments: {assessments:,}  target lesions: {targets:,}")
    print(f"PFS events: {int((result.pfs_cnsr == 0).sum()):,}  "
          f"responders (BOR CR/PR): {int(np.isin(result.bor, (bt.CR, bt.PR)).sum()):,}")
    print(f"simulate:           {simulated - started:7.2f} s")
    print(f"batch derive:       {batch_seconds:7.2f} s   {batch_rate:12,.0f} subjects/s "
          f"(CPU {batch_cpu:.2f} s; median of 3)")
    print(f"per-subject engine: {peer_seconds:7.2f} s   {peer_rate:12,.0f} subjects/s "
          f"(sample of {len(sample)}; full derivation incl. OS, safety, local control)")
    print(f"ratio batch / per-subject: {batch_rate / peer_rate:,.0f}x")
    print(f"peak memory (max RSS): {peak_memory_mb():,.0f} MB")
    goal = batch_seconds <= 5 and peak_memory_mb() <= 2048
    print(f"goal at 1M subjects (<= 5 s, <= 2 GB): {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
