"""Load benchmark (issue 14): C concurrent clients enter eCRF records through the API, each write
audited, mixed with page reads, against `oncotrial serve` on loopback; then every acknowledged write
is checked in the database and the audit chain is verified.

    python3 benchmarks/load.py                                   # SQLite 1 worker, PostgreSQL 2 and 4
    python3 benchmarks/load.py --backend sqlite --clients 32 --seconds 60
    python3 benchmarks/load.py --backend postgresql --workers 2 4 --json-out load.json

Bounded and loopback only: the server listens on 127.0.0.1 on a free port, in a scratch
ONCOTRIAL_HOME; each run lasts `--seconds` (default 60) and stops at `--max-requests` (default
40000). PostgreSQL runs use a scratch database `loadbench_<pid>` on postgresql://root@127.0.0.1:5432,
created here and dropped afterwards (the runs for several worker counts share it, one after
another). The data is the demo (`--data demo`, both seed trials, about 100 patients: the results
reads then analyse a real study) or one bare study (`--data empty`).

Writes are concomitant-medication records (the crash test's ledger, scripts/crash-test) spread over
the coordinator's subjects; `--read-share` (default 0.1) of the requests are reads, in turn the
results JSON (the results and statistics pages' twin), the responses summary and the safety summary.
Printed per run: writes/s, p50 / p95 / p99 of writes and of each read, errors (any non-2xx or broken
connection), lost writes (acknowledged but not stored whole), `oncotrial audit verify`'s exit, and the
server processes' CPU per request (user + system, from /proc: what the load average does not change
much, so runs on a busy machine stay comparable).
Not a test: the goals (issue 14) are judged from its figures; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import importlib.machinery
import importlib.util
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"  # never anything else: the load is loopback only
ROOT = Path(__file__).resolve().parent.parent
READS = ("results", "responses", "safety")


def _crash_test():
    """scripts/crash-test as a module: its ledger, checks, server start and scratch PostgreSQL."""
    path = str(ROOT / "scripts" / "crash-test")
    loader = importlib.machinery.SourceFileLoader("crash_test", path)
    spec = importlib.util.spec_from_loader("crash_test", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


ct = _crash_test()


# --- inside Django (a child process with the scratch environment) --------------------------------

def setup_data(data: str) -> dict:
    """The study, the coordinator's writable subjects and API tokens for writer and reader."""
    from django.contrib.auth import get_user_model

    from oncotrial.web.services.tokens import create_api_token

    if data == "demo":
        from oncotrial.web.models import Subject
        from oncotrial.web.services.demo import build_demo

        build_demo(seed=20241)
        study = "crlm-mwa-camrelizumab"
        subjects = list(Subject.objects.filter(study__code=study, site__code="01")
                        .exclude(status="screen_failed").values_list("identifier", flat=True)[:16])
        writer = get_user_model().objects.get(username="coordinator")
    else:
        setup = ct.setup_study()
        study, subjects = setup["study"], [setup["subject"]]
        writer = get_user_model().objects.get(username=ct.USER)
    reader = _reader(data)
    return {"study": study, "subjects": subjects,
            "writer": create_api_token(None, writer, name="load benchmark", how="cli")[1],
            "reader": create_api_token(None, reader, name="load benchmark", how="cli")[1]}


def _reader(data: str):
    from django.contrib.auth import get_user_model

    if data == "demo":
        return get_user_model().objects.get(username="statistician")
    from oncotrial.web.models import Role, Study
    from oncotrial.web.services.accounts import create_user, grant_role

    user = create_user(None, username="loadstat", password="load-bench-stat-2025", how="system")
    grant_role(None, user, role=Role.STATISTICIAN, study=Study.objects.get(code=ct.STUDY), how="system")
    return user


def django_child(mode: str, data: str) -> int:
    from oncotrial.commands.web import setup_django

    setup_django()
    print(json.dumps(setup_data(data) if mode == "setup" else ct.stored_state()))
    return 0


def in_django(env: dict, mode: str, data: str) -> dict:
    done = subprocess.run([sys.executable, __file__, f"--django-{mode}", "--data", data], env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"load: {mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the load -------------------------------------------------------------------------------------

class Ledger(ct.Ledger):
    def next_body(self) -> dict:
        body = super().next_body()
        body["name"] = body["name"].replace("crash-", "load-", 1)
        return body


class Client:
    """One client thread's keep-alive connection; reconnects after an error."""

    def __init__(self, port: int):
        self.port, self.connection = port, None

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, json.dumps(body) if body is not None else None, headers)
            reply = self.connection.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise


def run_load(port: int, setup: dict, args, run: str) -> dict:
    ledger = Ledger(run)
    timings = {"write": [], **{name: [] for name in READS}}
    errors: list[str] = []
    lock = threading.Lock()
    counter = itertools.count()
    base = f"/api/studies/{setup['study']}"
    read_every = round(1 / args.read_share) if args.read_share > 0 else 0
    started = time.monotonic()

    def one(client: Client, number: int) -> None:
        if read_every and number % read_every == read_every - 1:
            name = READS[(number // read_every) % len(READS)]
            path = f"{base}/results" if name == "results" else f"{base}/ecrf/{name}"
            status, _ = client.request("GET", path, setup["reader"])
            outcome = name if status == 200 else f"{name} answered {status}"
        else:
            subject = setup["subjects"][number % len(setup["subjects"])]
            body = ledger.next_body()
            try:
                status, data = client.request("POST", f"{base}/subjects/{subject}/ecrf/con_med", setup["writer"], body)
            except (OSError, http.client.HTTPException):
                ledger.add(body, "lost_in_flight")
                raise
            if 200 <= status < 300:
                ledger.add(body, "acknowledged", json.loads(data)["id"], status)
                outcome = "write"
            else:
                ledger.add(body, "refused", None, status)
                outcome = f"write answered {status}: {data[:200]!r}"
        return outcome

    def worker() -> None:
        client = Client(port)
        while time.monotonic() - started < args.seconds:
            number = next(counter)
            if number >= args.max_requests:
                return
            begun = time.perf_counter()
            try:
                outcome = one(client, number)
            except (OSError, http.client.HTTPException) as error:
                outcome = f"connection: {error!r}"
            elapsed = time.perf_counter() - begun
            with lock:
                if outcome in timings:
                    timings[outcome].append(elapsed)
                else:
                    errors.append(outcome)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.seconds + 120)
    return {"ledger": ledger, "timings": timings, "errors": errors, "seconds": time.monotonic() - started}


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(1000 * ordered[-1], 1)}


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of the server process and its children (gunicorn workers), from /proc."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def run_one(backend: str, workers: int, env: dict, setup: dict, args, home: Path) -> dict:
    port = ct.free_port()
    log = open(home / f"server-{workers}.log", "w")  # noqa: SIM115 - closed below
    command = ct.oncotrial("serve", "--host", HOST, "--port", str(port), "--workers", str(workers),
                           "--threads", str(args.threads))
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(port, server)
        load_before, cpu_before = os.getloadavg(), server_cpu_seconds(server.pid)
        outcome = run_load(port, setup, args, f"lb{os.getpid()}w{workers}")
        load_after = os.getloadavg()
        outcome["server_cpu_s"] = server_cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    return _summarise(backend, workers, env, outcome, load_before, load_after, args)


def _wait_ready(port: int, server) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"load: the server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("load: the server was not ready within 180 s")


def _summarise(backend, workers, env, outcome, load_before, load_after, args) -> dict:
    ledger, timings = outcome["ledger"], outcome["timings"]
    state = in_django(env, "state", args.data)
    mine = f"load-{ledger.run}-"  # the demo's records and earlier runs' on the same database are not
    before = {pk for pk, row in state["rows"].items() if not row["name"].startswith(mine)}
    state = {"rows": {pk: row for pk, row in state["rows"].items() if pk not in before},
             "audited": [pk for pk in state["audited"] if pk not in before]}
    problems = ct.check(ledger, state)
    audit = subprocess.run(ct.oncotrial("audit", "verify"), env=env, capture_output=True, text=True, timeout=900)
    lost = sum(1 for p in problems if p.startswith("acknowledged write"))
    writes = len(timings["write"])
    requests = sum(len(values) for values in timings.values()) + len(outcome["errors"])
    return {
        "backend": backend, "workers": workers, "threads": args.threads, "clients": args.clients,
        "seconds": round(outcome["seconds"], 1), "writes_acknowledged": writes,
        "writes_per_s": round(writes / outcome["seconds"], 1),
        "write": percentiles(timings["write"]), **{name: percentiles(timings[name]) for name in READS},
        "server_cpu_ms_per_request": round(1000 * outcome["server_cpu_s"] / max(1, requests), 1),
        "errors": len(outcome["errors"]), "error_examples": sorted(set(outcome["errors"]))[:5],
        "lost_writes": lost, "problems": problems[:10], "audit_verify_exit": audit.returncode,
        "audit_verify": audit.stdout.strip()[-200:],
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
    }


def run_backend(backend: str, workers: list[int], args, work: Path) -> list[dict]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ONCOTRIAL_", "DJANGO_"))}
    home = work / backend
    home.mkdir(mode=0o700)
    env.update(ONCOTRIAL_HOME=str(home), ONCOTRIAL_ALLOWED_HOSTS="127.0.0.1")
    database = f"loadbench_{os.getpid()}"
    if backend == "postgresql":
        ct._postgres(f"CREATE DATABASE {database}")
        env["ONCOTRIAL_DATABASE_URL"] = f"{ct.PG_SERVER}/{database}"
    try:
        subprocess.run(ct.oncotrial("migrate"), env=env, check=True, capture_output=True, timeout=600)
        setup = in_django(env, "setup", args.data)
        results = []
        for count in workers:
            result = run_one(backend, count, env, setup, args, home)
            print(json.dumps(result, indent=2), flush=True)
            results.append(result)
        return results
    finally:
        if backend == "postgresql":
            ct._postgres(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, nargs="+", default=None,
                        help="worker processes, one run each (default: 1 on SQLite, 2 and 4 on PostgreSQL)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")
    parser.add_argument("--clients", type=int, default=32, help="client threads (default 32)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each run (default 60)")
    parser.add_argument("--max-requests", type=int, default=40000, help="at most this many requests a run")
    parser.add_argument("--read-share", type=float, default=0.1, help="share of requests that read (0.1)")
    parser.add_argument("--data", choices=("demo", "empty"), default="demo")
    parser.add_argument("--json-out", help="write the figures as JSON here")
    parser.add_argument("--django-setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--django-state", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.django_setup or args.django_state:
        return django_child("setup" if args.django_setup else "state", args.data)
    if not (0 < args.seconds <= 600 and 0 < args.max_requests <= 200_000 and 1 <= args.clients <= 64
            and 0 <= args.read_share <= 0.5 and all(1 <= w <= 8 for w in args.workers or [1])):
        parser.error("bounds: 0 < --seconds <= 600, --max-requests <= 200000, 1-64 clients, 1-8 workers, "
                     "--read-share 0-0.5")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if args.backend == "both" and not ct.postgres_answers():
        print("load: PostgreSQL does not answer on 127.0.0.1:5432; SQLite only", file=sys.stderr)
        backends = ["sqlite"]
    results = []
    with tempfile.TemporaryDirectory(prefix="oncotrial-load-") as work:
        for backend in backends:
            workers = args.workers or ([1] if backend == "sqlite" else [2, 4])
            results += run_backend(backend, workers, args, Path(work))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    ok = all(r["errors"] == 0 and r["lost_writes"] == 0 and not r["problems"] and r["audit_verify_exit"] == 0
             for r in results)
    print(f"load: {'no errors, no lost writes, audit chain intact' if ok else 'FAILED'} "
          f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
