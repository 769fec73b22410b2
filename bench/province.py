"""A province on the Prefect server: the heaviest days of a month at 10,000 schools × 30 classes on PostgreSQL,
with 1, 2 and 4 workers, and a paper model of what a province needs.

    .venv/bin/python bench/province.py [--schools 10000] [--classes 30] [--workers 1,2,4]
                                       [--days open,due,overdue,carry] [--batch-size N] [--rebuild]

1. The city, built once and cached: the sample roster of `--schools` schools (xinyu.simulate.city, ~150 a
   district, one officer each, no students) imported through the real importer into the PostgreSQL database
   `xinyu_bench_h15_province_<S>x<C>`. Its COMMENT names the build (bench version, schools, classes, seed,
   late rate, alembic head): a database whose comment differs is rebuilt, as with --rebuild.
2. The state before each measured day, prepared once and cached as a template database (`…_<day>`, same
   marker): the simulation's days (xinyu.simulate: people work their tasks, lessons, inboxes; the core
   advances at 16:00, as `xinyu advance --direct`) from 2025-09-01 up to the day before.
3. Per worker count, a Prefect server stack of its own on PostgreSQL (xinyu.devstack.server_stack, the same
   machinery as `scripts/prefect-server up --workers N`: a process worker for the deployments' flow runs and N
   batch workers, Prefect task workers serving the batches; no schedules: this script is the clock); per
   measured day, that day's template copied under the stack's database name (CREATE DATABASE … TEMPLATE …) and
   the deployment the scheduler would run at that time (open-month at 00:10 on the 1st, advance-cycles at
   07:00), its batches handed to the N batch workers. Printed: wall time for the caller, rows inserted per
   table, CPU of the workers and of PostgreSQL, commits and lock waits in the run's database, per-batch
   overhead from Prefect's task runs, and the ratio against the 1-worker run of the same day in this
   invocation. The copies are dropped, the stacks torn down.

The days (September 2025; screening is due on the 5th working day, its overdue ladder reaches the district 5
working days later):

  open     2025-09-01 00:10  open-month: every school's cycle and first tasks
  due      2025-09-05 07:00  advance-cycles: the first screening due (due-day reminders, next steps open)
  overdue  2025-09-12 07:00  advance-cycles: 5th working day overdue (escalations to the district)
  carry    2025-10-01 00:10  open-month of October after September: the month end's carry-over

Wall clock on a shared 2-core machine (other helpers' load shows; the load average is printed): 4 workers are
oversubscribed here, so the 2→4 step measures contention, not capacity. The paper model at the end says what
is measured and what is assumed.
"""

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BASE = PG_ADMIN_URL.rsplit("/", 1)[0]
VERSION = "province-bench v1"
PREFIX = "xinyu_bench_h15_province"
SEED, LATE_RATE = 7, 0.2
TABLES = ("cycle", "step", "task", "chase_event", "escalation", "outbox", "course_record", "audit_log")
DEADLINE_SECONDS = 300  # the 07:00 run must be done by 07:05


@dataclass(frozen=True)
class Day:
    key: str
    label: str
    flow: str            # "open" (open-month) or "advance" (advance-cycles)
    at: datetime         # Asia/Shanghai, the scheduler's time of the run
    prepared_through: date | None  # the simulation's days before it, from 2025-09-01; None: the city alone

    @property
    def month(self) -> str:
        return f"{self.at.year:04d}-{self.at.month:02d}"


def _sh(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    from xinyu.clock import SHANGHAI

    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def all_days() -> list[Day]:
    """The heaviest days of a month, in the order their states are prepared."""
    return [
        Day("open", "month opening (open-month 09-01 00:10)", "open", _sh(2025, 9, 1, 0, 10), None),
        Day("due", "first screening due (advance 09-05 07:00)", "advance", _sh(2025, 9, 5, 7, 0), date(2025, 9, 4)),
        Day("overdue", "5th working day overdue (advance 09-12 07:00)", "advance", _sh(2025, 9, 12, 7, 0),
            date(2025, 9, 11)),
        Day("carry", "month end, carry-over (open-month 10-01 00:10)", "open", _sh(2025, 10, 1, 0, 10),
            date(2025, 9, 30)),
    ]


def pick_days(keys: str) -> list[Day]:
    days = {d.key: d for d in all_days()}
    wanted = [k.strip() for k in keys.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in days]
    if unknown:
        raise ValueError(f"unknown days {unknown}; choose from {', '.join(days)}")
    return [d for d in all_days() if d.key in wanted]  # preparation order, whatever the order asked


def default_batch_size(schools: int) -> int:
    """The product's 100 schools a batch, but at least 16 batches at small sizes (4 workers get work)."""
    return max(1, min(100, math.ceil(schools / 16)))


# ----------------------------------------------------------------------------------------------- databases

def admin_engine() -> Any:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def marker(schools: int, classes: int, head: str, day: str) -> str:
    return f"{VERSION} schools={schools} classes={classes} seed={SEED} late={LATE_RATE} head={head} state={day}"


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    from xinyu.db import alembic_config

    return str(ScriptDirectory.from_config(alembic_config(PG_ADMIN_URL)).get_current_head())


def database_comment(name: str) -> str | None:
    """The database's COMMENT, or None when it does not exist ('' without a comment)."""
    with admin_engine().connect() as conn:
        row = conn.execute(text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
                           {"n": name}).first()
    return None if row is None else (row[0] or "")


def create_database(name: str, *, template: str | None = None, comment: str | None = None) -> None:
    with admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        if comment is not None:
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'"))


def drop_database(name: str) -> None:
    with admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def url_of(name: str) -> str:
    return f"{BASE}/{name}"


def count_rows(name: str) -> dict[str, int]:
    engine = create_engine(url_of(name))
    try:
        with engine.connect() as conn:
            return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}
    finally:
        engine.dispose()


def build_city(name: str, schools: int, classes: int, comment: str, workdir: Path) -> float:
    """The city imported through the real importer into a new database `name`; the seconds it took."""
    from xinyu.db import make_engine, migrate
    from xinyu.simulate.city import CityPlan
    from xinyu.simulate.city import build_city as import_city
    from xinyu.simulate.run import at

    started = time.perf_counter()
    create_database(name)
    migrate(url_of(name))
    engine = make_engine(url_of(name))
    try:
        for line in import_city(engine, CityPlan(schools=schools, classes=classes, seed=SEED),
                                workdir=workdir, now=at(date(2025, 9, 1) - timedelta(days=7), 10)):
            print(f"    {line}", flush=True)
    finally:
        engine.dispose()
    with admin_engine().connect() as conn:
        conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'"))
    return time.perf_counter() - started


class _CoreOnly:
    """The simulation's orchestrator for preparing states: the core advances; nothing is dispatched (the
    measured days' deployments do not read the messages' sent state)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def advance(self, at: datetime) -> dict[str, int]:
        result: dict[str, int] = self.inner.advance(at)
        return result

    def dispatch(self, at: datetime) -> dict[str, int]:
        return {}


def prepare_states(city: str, days: list[Day], schools: int, classes: int, head: str, rebuild: bool,
                   workdir: Path) -> dict[str, str]:
    """{day key: template database}: cached ones reused, the rest prepared in one pass of the simulation."""
    from xinyu.cycle import PackBook
    from xinyu.cycle.packbook import release_reader
    from xinyu.db import make_engine
    from xinyu.months import month_range
    from xinyu.settings import Settings, get_settings
    from xinyu.simulate.orchestrators import DirectOrchestrator
    from xinyu.simulate.people import People
    from xinyu.simulate.run import MonthStats, _day

    templates = {d.key: (city if d.prepared_through is None else f"{city}_{d.key}") for d in days}
    missing = [d for d in days if d.prepared_through is not None and
               (rebuild or database_comment(templates[d.key]) != marker(schools, classes, head, d.key))]
    if not missing:
        return templates
    working = f"{PREFIX}_prep_{uuid.uuid4().hex[:8]}"
    create_database(working, template=city)
    engine = make_engine(url_of(working))
    try:
        base = get_settings()
        settings = Settings(database_url=url_of(working), packs_dir=base.packs_dir, default_pack=base.default_pack,
                            outbox_dir=workdir / "outbox", base_url=base.base_url, sms_url=None,
                            robot_webhooks=False)
        book = PackBook(engine, pin_newest=True)
        people = People(book=book, seed=SEED, late_rate=LATE_RATE)
        runner = _CoreOnly(DirectOrchestrator(engine, book=book, settings=settings))
        day, stats = month_range("2025-09")[0], MonthStats(month="prep")
        for target in missing:
            assert target.prepared_through is not None
            started = time.perf_counter()
            while day <= target.prepared_through:
                _day(day, engine=engine, book=book, people=people, orchestrator=runner, stats=stats)
                day += timedelta(days=1)
            engine.dispose()  # a template must have no connections: the engine's, the pack book's
            book.close()
            create_database(templates[target.key], template=working,
                            comment=marker(schools, classes, head, target.key))
            print(f"  state before '{target.key}' prepared (simulated through {target.prepared_through}): "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
    finally:
        engine.dispose()
        release_reader(engine)
        drop_database(working)
    return templates


# ------------------------------------------------------------------------------------------------ measuring

def _proc_cpu(pid: int, *, children: bool = True) -> float:
    """User + system CPU seconds of a process (and of its reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = int(fields[11]) + int(fields[12])
    return (own + (int(fields[13]) + int(fields[14]) if children else 0)) / tick


def _descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_cpu(pid: int) -> float:
    """CPU of a process and all its descendants, the finished ones included (they are reaped into cutime)."""
    return _proc_cpu(pid) + sum(_proc_cpu(c, children=False) for c in _descendants(pid))


def postmaster_pid() -> int | None:
    with admin_engine().connect() as conn:
        backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    try:
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None  # PostgreSQL on another host or in a container: its CPU is not measured


class LockSampler:
    """Polls pg_stat_activity every `interval` s: backends of `database` waiting on a lock, and active ones."""

    def __init__(self, database: str, interval: float = 0.25) -> None:
        self.database, self.interval = database, interval
        self.samples = self.lock_waits = self.active = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "LockSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        engine = admin_engine()
        try:
            with engine.connect() as conn:
                while not self._stop.wait(self.interval):
                    row = conn.execute(text(
                        "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FILTER (WHERE state = "
                        "'active') FROM pg_stat_activity WHERE datname = :d"), {"d": self.database}).one()
                    self.samples += 1
                    self.lock_waits += int(row[0])
                    self.active += int(row[1])
        finally:
            engine.dispose()

    @property
    def lock_wait_seconds(self) -> float:
        """Backend-seconds spent waiting on locks (sampled)."""
        return self.lock_waits * self.interval

    @property
    def mean_active(self) -> float:
        return self.active / self.samples if self.samples else 0.0


def commits(name: str) -> int:
    with admin_engine().connect() as conn:
        return int(conn.execute(text("SELECT xact_commit FROM pg_stat_database WHERE datname = :n"),
                                {"n": name}).scalar_one() or 0)


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


BATCH_TASKS = ("open_batch", "advance_batch")


def batch_overheads(task_runs: list[dict[str, Any]], flow_runs: list[dict[str, Any]]) -> dict[str, float]:
    """Per-batch overhead from Prefect's own timestamps: a batch is handed out when its task run is created
    (a background task) or when the child flow run that carries it is created (the child-deployment
    fan-out); its result is in at the task run's end. Overhead per batch = Σ over hand-out units
    (unit's end − unit's creation − Σ its batches' run times) / batches; also the median hand-out → start of
    the first batch of each unit."""
    batches = [t for t in task_runs if any(k in (t.get("task_key") or "") for k in BATCH_TASKS)
               and t.get("state_type") == "COMPLETED" and t.get("start_time") and t.get("end_time")]
    if not batches:
        return {}
    flows = {f["id"]: f for f in flow_runs}
    root = {f["id"] for f in flow_runs if not f.get("parent_task_run_id")}
    units: dict[str, list[dict[str, Any]]] = {}
    for t in batches:
        parent = t.get("flow_run_id")
        key = parent if parent and parent not in root else f"task:{t['id']}"
        units.setdefault(key, []).append(t)
    overhead, waits = 0.0, []
    for key, members in units.items():
        runs = sum((_ts(t["end_time"]) - _ts(t["start_time"])).total_seconds() for t in members)  # type: ignore[operator]
        if key.startswith("task:"):  # the server records a task run from events, after it started: the
            created = _ts(members[0].get("expected_start_time") or members[0]["created"])  # client's submit time
            end = _ts(members[0]["end_time"])
        else:
            created = _ts(flows[key]["created"])
            end = max(_ts(t["end_time"]) for t in members)  # type: ignore[type-var]
        first = min(_ts(t["start_time"]) for t in members)  # type: ignore[type-var]
        overhead += (end - created).total_seconds() - runs  # type: ignore[operator]
        waits.append((first - created).total_seconds())  # type: ignore[operator]
    intervals = [(_ts(t["start_time"]), _ts(t["end_time"])) for t in batches]
    run_times = [(end - start).total_seconds() for start, end in intervals]  # type: ignore[operator]
    return {"batches": len(batches), "units": len(units), "overhead_per_batch": overhead / len(batches),
            "handout_to_start": statistics.median(waits), "batch_run": statistics.median(run_times),
            "busy": busy_seconds(intervals)}  # type: ignore[arg-type]


def busy_seconds(intervals: list[tuple[datetime, datetime]]) -> float:
    """Seconds during which at least one batch ran (the union of the intervals)."""
    total, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += (stop - start).total_seconds()
            end = stop
        elif stop > end:
            total += (stop - end).total_seconds()
            end = stop
    return total


def prefect_runs(api_url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every task run and flow run of the stack's (own, fresh) Prefect database."""
    import httpx

    def every(path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = httpx.post(f"{api_url}{path}", json={"limit": 200, "offset": len(rows)}, timeout=30).json()
            rows.extend(page)
            if len(page) < 200:
                return rows

    return every("/task_runs/filter"), every("/flow_runs/filter")


@dataclass
class Measured:
    day: str
    workers: int
    seconds: float
    rows: dict[str, int]
    counts: dict[str, int]
    worker_cpu: float  # the process worker (parent flow run) and the batch workers
    pg_cpu: float | None
    commits: int
    lock_wait_seconds: float
    mean_active: float
    batches: dict[str, float] = field(default_factory=dict)


@contextmanager
def stack_for(workers: int, workdir: Path) -> Iterator[tuple[Any, str]]:
    """A server stack with `workers` workers whose app database is `run` (recreated from a template per day,
    under the same name: the flows' engines ping their connections before use); dropped on leaving."""
    from xinyu.devstack import server_stack

    run = f"{PREFIX}_run_w{workers}_{uuid.uuid4().hex[:8]}"
    create_database(run)
    try:
        started = time.perf_counter()
        with server_stack(url_of(run), workers=workers,
                          worker_env={"XINYU_OUTBOX_DIR": str(workdir / f"outbox-{run}")}) as stack:
            print(f"  stack with {workers} worker(s) up in {time.perf_counter() - started:.0f} s "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
            yield stack, run
    finally:
        drop_database(run)


def measure(stack: Any, run: str, day: Day, template: str, workers: int, batch_size: int,
            before: dict[str, int]) -> Measured:
    from xinyu.devstack import running_pid, worker_name
    from xinyu.devstack.workers import PROCESS_WORKER

    create_database(run, template=template)  # the day's saved state, under the stack's database name
    names = [PROCESS_WORKER] + [worker_name(n) for n in range(1, workers + 1)]  # the parent's, the batch workers
    pids = [p for p in (running_pid(stack.config, name) for name in names) if p]
    runs = stack.orchestrator(batch_size=batch_size, groups=2)  # ≥ 2: hand the batches to the task workers
    seen_tasks, seen_flows = (({r["id"] for r in rows}) for rows in prefect_runs(stack.api_url))
    postmaster = postmaster_pid()
    cpu0 = sum(tree_cpu(p) for p in pids)
    pg0 = tree_cpu(postmaster) if postmaster else None
    commits0 = commits(run)
    with LockSampler(run) as sampler:
        started = time.perf_counter()
        counts = runs.open_month(day.month, day.at) if day.flow == "open" else runs.advance(day.at)
        seconds = time.perf_counter() - started
    time.sleep(0.6)  # finished flow-run processes are reaped; their statistics flushed
    worker_cpu = sum(tree_cpu(p) for p in pids) - cpu0
    pg_cpu = tree_cpu(postmaster) - pg0 if postmaster and pg0 is not None else None
    committed = commits(run) - commits0
    task_runs, flow_runs = prefect_runs(stack.api_url)
    after = count_rows(run)
    return Measured(day=day.key, workers=workers, seconds=seconds,
                    rows={t: after[t] - before[t] for t in TABLES if after[t] != before[t]},
                    counts={k: v for k, v in counts.items() if isinstance(v, int)}, worker_cpu=worker_cpu,
                    pg_cpu=pg_cpu, commits=committed, lock_wait_seconds=sampler.lock_wait_seconds,
                    mean_active=sampler.mean_active,
                    batches=batch_overheads([t for t in task_runs if t["id"] not in seen_tasks],
                                            [f for f in flow_runs if f["id"] not in seen_flows]))


# ----------------------------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class PaperModel:
    """What a province needs, from one day's measured runs (see `paper_model`)."""
    day: str
    schools_measured: int
    fixed_seconds: float          # the 1-worker run's wall outside its batches: flow start, listing, digests
    batch_seconds_per_school: float  # batches' busy time per school with 1 worker (measured)
    pg_cpu_per_school: float | None  # PostgreSQL CPU seconds per school (measured, whole server)
    commits_per_school: float
    speedup_2: float | None       # measured 1 → 2 workers
    province: int
    deadline: float
    workers_needed: int           # -1: the fixed part alone misses the deadline
    pg_cores_at_deadline: float | None  # PostgreSQL cores busy to finish the province within the deadline
    pg_cores_assumed: int
    max_workers_pg: int | None    # workers beyond which the single PostgreSQL is saturated


def paper_model(runs: list[Measured], *, schools: int, province: int = 10_000, deadline: float = DEADLINE_SECONDS,
                pg_cores: int = 8) -> PaperModel:
    """T(N, W) = fixed + N × batch time a school / W: the fixed part and the batch time per school from the
    1-worker run (Prefect's task runs: the union of its batches' run intervals), assuming each worker a core
    of its own and the work linear in schools. PostgreSQL's CPU per school (measured, 1-worker run) at the
    province's rate: it saturates when that reaches `pg_cores` (assumed: the province's database server)."""
    one = min(runs, key=lambda r: r.workers)
    busy = min(one.batches.get("busy", one.seconds), one.seconds)
    fixed = one.seconds - busy
    per_school = busy / schools
    budget = deadline - fixed
    need = -1 if budget <= 0 else max(1, math.ceil(per_school * province / budget))
    pg_per_school = None if one.pg_cpu is None else one.pg_cpu / schools
    pg_cores_needed = None if pg_per_school is None or budget <= 0 else pg_per_school * province / budget
    max_workers = None
    if pg_per_school and per_school > 0:
        max_workers = max(1, int(pg_cores * per_school / pg_per_school))  # each worker drives pg/ps cores of PG
    two = next((r for r in runs if r.workers == 2), None)
    return PaperModel(day=one.day, schools_measured=schools, fixed_seconds=fixed, batch_seconds_per_school=per_school,
                      pg_cpu_per_school=pg_per_school, commits_per_school=one.commits / schools,
                      speedup_2=one.seconds / two.seconds if two else None, province=province, deadline=deadline,
                      workers_needed=need, pg_cores_at_deadline=pg_cores_needed, pg_cores_assumed=pg_cores,
                      max_workers_pg=max_workers)


def model_lines(model: PaperModel) -> list[str]:
    pg = (f"{model.pg_cpu_per_school * 1000:.1f} ms" if model.pg_cpu_per_school is not None else "n/a")
    lines = [f"  day '{model.day}' at {model.schools_measured:,} schools, 1 worker: fixed {model.fixed_seconds:.1f} s, "
             f"batches {model.batch_seconds_per_school * 1000:.1f} ms a school, PostgreSQL CPU {pg} a school, "
             f"{model.commits_per_school:.2f} commits a school"
             + (f"; measured 1→2 workers ×{model.speedup_2:.2f}" if model.speedup_2 else "")]
    if model.workers_needed < 0:
        lines.append(f"  → the fixed part alone exceeds {model.deadline:.0f} s: no number of workers meets 07:05")
        return lines
    lines.append(f"  → {model.province:,} schools by 07:05 ({model.deadline:.0f} s): {model.workers_needed} workers "
                 f"(a core each; linear in schools assumed)")
    if model.pg_cores_at_deadline is not None and model.pg_cpu_per_school and model.max_workers_pg is not None:
        share = model.pg_cpu_per_school / model.batch_seconds_per_school
        lines.append(f"  → PostgreSQL then busy {model.pg_cores_at_deadline:.2f} cores; each worker keeps {share:.2f} "
                     f"of a PostgreSQL core busy, so a {model.pg_cores_assumed}-core server (assumed) saturates at "
                     f"~{model.max_workers_pg} workers")
    return lines


# ---------------------------------------------------------------------------------------------------- main

@contextmanager
def workspace() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="xinyu-province-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def print_day(day: Day, runs: list[Measured]) -> None:
    base = next((r for r in runs if r.workers == 1), runs[0])
    print(f"\n  {day.label}: {', '.join(f'{k} {v:,}' for k, v in sorted(base.counts.items()) if v)}")
    for run in runs:
        b = run.batches
        print(f"    {run.workers} worker(s): {run.seconds:7.2f} s (×{base.seconds / run.seconds:.2f} of "
              f"{base.workers} worker{'s' if base.workers > 1 else ''}); CPU workers {run.worker_cpu:6.1f} s, "
              f"PostgreSQL " + (f"{run.pg_cpu:6.1f} s" if run.pg_cpu is not None else "n/a")
              + f"; {run.commits:,} commits, lock waits {run.lock_wait_seconds:.1f} backend-s, "
              f"{run.mean_active:.1f} active backends")
        if b:
            print(f"      batches {b['batches']:.0f} in {b['units']:.0f} hand-outs: overhead "
                  f"{b['overhead_per_batch']:.2f} s a batch, hand-out→start {b['handout_to_start']:.2f} s (median), "
                  f"a batch runs "
                  f"{b['batch_run']:.2f} s (median)")
        print("      rows inserted: " + (" · ".join(f"{t} {n:,}" for t, n in run.rows.items()) or "none"))
        if run.counts != base.counts:
            print(f"      !! counts differ from the {base.workers}-worker run: {run.counts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--days", default="open,due,overdue,carry", help="of: open, due, overdue, carry")
    parser.add_argument("--batch-size", type=int, default=None, help="schools a batch (default 100, ≥16 batches)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached city and states")
    parser.add_argument("--build-only", action="store_true", help="build the cached databases and stop")
    parser.add_argument("--province", type=int, default=10_000, help="schools of the paper model's province")
    parser.add_argument("--pg-cores", type=int, default=8, help="the paper model's database server (assumed)")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    days = pick_days(args.days)
    workers = sorted({int(w) for w in args.workers.split(",")})
    batch = args.batch_size or default_batch_size(args.schools)
    head = alembic_head()
    city = f"{PREFIX}_{args.schools}x{args.classes}"
    print(f"province bench: {args.schools:,} schools × {args.classes} classes, days {[d.key for d in days]}, "
          f"workers {workers}, {batch} schools a batch, alembic head {head}; {os.cpu_count()} cores here, load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    with workspace() as work:
        if args.rebuild or database_comment(city) != marker(args.schools, args.classes, head, "city"):
            print(f"  building {city} (the real importer)…", flush=True)
            seconds = build_city(city, args.schools, args.classes, marker(args.schools, args.classes, head, "city"),
                                 work / "roster")
            print(f"  city built in {seconds:.1f} s", flush=True)
        else:
            print(f"  {city} cached ({database_comment(city)})")
        started = time.perf_counter()
        templates = prepare_states(city, days, args.schools, args.classes, head, args.rebuild, work)
        print(f"  states ready in {time.perf_counter() - started:.1f} s: {', '.join(templates.values())}", flush=True)
        if args.build_only:
            return 0
        results: dict[str, list[Measured]] = {d.key: [] for d in days}
        before = {d.key: count_rows(templates[d.key]) for d in days}
        for n in workers:  # one stack per worker count (its start is minutes on a loaded machine), every day on it
            with stack_for(n, work) as (stack, run):
                for day in days:
                    print(f"  {day.key} · {n} worker(s)… (load {os.getloadavg()[0]:.1f})", flush=True)
                    got = measure(stack, run, day, templates[day.key], n, batch, before[day.key])
                    results[day.key].append(got)
                    print(f"    {got.seconds:.2f} s; {got.batches.get('batches', 0):.0f} batches, overhead "
                          f"{got.batches.get('overhead_per_batch', float('nan')):.2f} s a batch", flush=True)
        for day in days:
            print_day(day, results[day.key])
    print(f"\npaper model (province {args.province:,} schools, 07:00 run done by 07:05). Measured: wall, worker "
          f"and PostgreSQL CPU, commits, lock waits above. Assumed: linear in schools, a core per worker, a "
          f"{args.pg_cores}-core database server. This machine has {os.cpu_count()} cores: 4 workers (plus the "
          f"server, PostgreSQL and this script) are oversubscribed; PostgreSQL's CPU is the whole server's (other "
          f"databases' load included).")
    for day in days:
        for line in model_lines(paper_model(results[day.key], schools=args.schools, province=args.province,
                                            pg_cores=args.pg_cores)):
            print(line)
    curve = {d.key: [f"{r.workers}w {results[d.key][0].seconds / r.seconds:.2f}×" for r in results[d.key]]
             for d in days}
    print("  scaling curve (speed-up against 1 worker): "
          + "; ".join(f"{k}: {', '.join(v)}" for k, v in curve.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
