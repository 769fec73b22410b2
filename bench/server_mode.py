"""The Prefect-server mode's costs: a flow run's overhead on a process worker, and an advance of N schools
embedded against the same advance through the deployments with 2 workers.

    .venv/bin/python bench/server_mode.py [--schools 200] [--classes 10] [--runs 5]

A sample district in a fresh PostgreSQL database and two copies (CREATE DATABASE … TEMPLATE): one runs the
days embedded (Prefect's in-process API, as `xinyu advance`), one through a stack with 2 workers, one through
a stack with 1 worker (xinyu/devstack/: each its own Prefect database and port, no schedules). Printed:

- a flow run's overhead: dispatch-outbox on an empty outbox, `--runs` times: the wall time seen by the caller,
  split by the run's states (Scheduled→Pending: the worker's poll; Pending→Running: the subprocess starts,
  imports Prefect and the flow, reads the deployment; Running→Completed: the flow itself), and the CPU
  the flow-run processes used (their worker's cutime);
- opening the month, the advance on the day the month's first tasks are created and on a day of the ladder:
  embedded, via a stack with 2 batch workers (the parent run hands its batches to both) and via a stack with 1
  (groups=1: the parent run alone), each on its own copy; ratios to embedded. The counts of all
  three are checked to be equal.

Wall clock on a shared 2-core machine: the load of other processes shows up; the load average is printed.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BASE = PG_ADMIN_URL.rsplit("/", 1)[0]
SEED = 7


def children_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of the finished children of these processes (cutime + cstime)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[13]) + int(fields[14])) / tick
    return total


def state_times(api_url: str, run_id: str) -> dict[str, float]:
    import httpx

    states = httpx.get(f"{api_url}/flow_run_states/", params={"flow_run_id": run_id}, timeout=10).json()
    stamps = {s["type"]: datetime.fromisoformat(s["timestamp"]) for s in states}
    t0 = stamps["SCHEDULED"]
    return {k: (v - t0).total_seconds() for k, v in stamps.items()}


DAYS = [("open", "2026-10-01T00:10"), ("tasks", "2026-10-08T17:00"), ("ladder", "2026-10-20T17:00")]


def run_days(url: str, runs: object, batch: int) -> list[tuple[float, dict[str, int]]]:
    """Open the month, the day the first tasks are created, then people work and the ladder day:
    the seconds and the counts of each open/advance (`runs`: a ServerOrchestrator, or None: embedded)."""
    from flows.monthly_cycle import AdvanceParams, OpenMonthParams, advance_flow, open_month_flow
    from xinyu.clock import parse_at
    from xinyu.cycle import PackBook
    from xinyu.db import make_engine, transaction
    from xinyu.simulation import simulate_work

    os.environ["XINYU_DATABASE_URL"] = url
    measured = []
    for label, at in DAYS:
        now = parse_at(at)
        if label == "ladder":
            world = make_engine(url)
            with transaction(world) as session:
                simulate_work(session, now=now, book=PackBook(world), seed=SEED, late_rate=0.3)
            world.dispose()
        started = time.perf_counter()
        if runs is None:
            got = (open_month_flow(OpenMonthParams(month="2026-10", at=at, batch_size=batch)) if label == "open"
                   else advance_flow(AdvanceParams(at=at, batch_size=batch)))
        else:
            got = runs.open_month("2026-10", now) if label == "open" else runs.advance(now)  # type: ignore[attr-defined]
        measured.append((time.perf_counter() - started, got))
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from xinyu.clock import parse_at
    from xinyu.db import make_engine, migrate
    from xinyu.demo import load_demo_district
    from xinyu.devstack import running_pid, server_stack, worker_name

    work = Path(tempfile.mkdtemp(prefix="xinyu-server-bench-"))
    os.environ.update({"PREFECT_HOME": str(work / "embedded-prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                       "PREFECT_LOGGING_LEVEL": "WARNING", "XINYU_OUTBOX_DIR": str(work / "outbox-embedded"),
                       "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"})
    names = [f"xinyu_srvbench_{uuid.uuid4().hex[:8]}_{n}" for n in range(3)]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    batch = max(1, args.schools // 4)  # four batches: two per batch worker when handed to two
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
        migrate(f"{BASE}/{names[0]}")
        engine = make_engine(f"{BASE}/{names[0]}")
        started = time.perf_counter()
        load_demo_district(engine, workdir=work / "roster", schools=args.schools, classes=args.classes, seed=SEED)
        engine.dispose()
        print(f"sample district: {args.schools} schools × {args.classes} classes imported in "
              f"{time.perf_counter() - started:.1f} s; {batch} schools a batch")
        with admin.connect() as conn:
            for name in names[1:]:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"'))
        embedded_url, two_url, one_url = (f"{BASE}/{n}" for n in names)

        from flows.dispatch import DispatchParams, dispatch_outbox_flow

        os.environ["XINYU_DATABASE_URL"] = embedded_url
        dispatch_outbox_flow(DispatchParams(at="2026-09-30T09:00"))  # starts Prefect's in-process API: not timed
        embedded = run_days(embedded_url, None, batch)
        results: dict[int, list[tuple[float, dict[str, int]]]] = {}
        for workers, url in ((2, two_url), (1, one_url)):
            started = time.perf_counter()
            with server_stack(url, workers=workers, worker_env={"XINYU_OUTBOX_DIR": str(work / f"outbox{workers}")}) \
                    as stack:
                print(f"stack with {workers} worker(s) up (server on a new database, pool, deploy --all, workers): "
                      f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f}")
                if workers == 2:
                    overhead(stack, args.runs, [p for p in (running_pid(stack.config, worker_name(n))
                                                            for n in (1, 2)) if p], parse_at("2026-09-30T09:00"))
                results[workers] = run_days(url, stack.orchestrator(batch_size=batch, groups=workers), batch)
        print(f"\n{'':8}{'embedded':>10}{'2 workers':>11}{'ratio':>7}{'1 worker':>10}{'ratio':>7}   (seconds)")
        for n, (label, _) in enumerate(DAYS):
            base, two, one = embedded[n], results[2][n], results[1][n]
            assert two[1] == base[1] and one[1] == base[1], (label, base[1], two[1], one[1])
            print(f"{label:8}{base[0]:10.2f}{two[0]:11.2f}{two[0] / base[0]:7.2f}{one[0]:10.2f}{one[0] / base[0]:7.2f}")
        print(f"(counts of all three equal; load average {os.getloadavg()[0]:.1f})")
    finally:
        with admin.connect() as conn:
            for name in reversed(names):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)


def overhead(stack: object, runs: int, workers: list[int], at: datetime) -> None:
    """The dispatch flow on an empty outbox does almost nothing: its round trip is a flow run's overhead."""
    orchestrator = stack.orchestrator()  # type: ignore[attr-defined]
    walls, phases, cpus = [], [], []
    for _ in range(runs):
        cpu = children_cpu(workers)
        started = time.perf_counter()
        orchestrator.dispatch(at)
        walls.append(time.perf_counter() - started)
        time.sleep(0.5)  # the worker reaps its finished child
        cpus.append(children_cpu(workers) - cpu)
        phases.append(state_times(stack.api_url, orchestrator.flow_runs[-1]))  # type: ignore[attr-defined]
    med = {k: statistics.median(p[k] for p in phases) for k in ("PENDING", "RUNNING", "COMPLETED")}
    start = med["RUNNING"] - med["PENDING"]
    print(f"a flow run (dispatch-outbox, empty outbox), median of {runs}: {statistics.median(walls):.2f} s for the"
          f" caller; worker's poll {med['PENDING']:.2f} s, process start to Running {start:.2f} s, the flow"
          f" {med['COMPLETED'] - med['RUNNING']:.2f} s; CPU of the flow-run process "
          f"{statistics.median(cpus):.2f} s (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
