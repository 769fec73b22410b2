"""A whole month's lifecycle on SQLite: the real Prefect flows against the naive granularity.

    .venv/bin/python bench/month_lifecycle.py [--schools 1000] [--classes 30] [--baseline-schools 10]

October 2026 (National Day: the first working day is 2026-10-08). The month is opened, then for
each of the five steps (screening with its phased consolidation, ledgers, meeting, course check,
feedback) every open task is completed with evidence (xinyu.simulation) and the cycles are advanced
with the clock at the step's dates, until every cycle has all five steps done — which is asserted,
with the side effects (ledger reviews, minutes, reports, outbox, audit).

OURS      flows/monthly_cycle.py (open_month_flow, advance_flow: one Prefect task per batch of schools)
          and bench/bench_flows.complete_flow (one Prefect task per batch calling complete_tasks).
BASELINE  one Prefect task per school for school-level work (open, advance, school tasks) and one per
          class for class-level work (the class's task completed and its school reconciled). It runs
          on a subset of schools and is scaled linearly to the full size: its Prefect task runs, the
          cost that dominates it, grow linearly with schools and classes.

Organisation setup (bulk inserts) is not timed; each timed phase is one flow call, wall clock.
--profile adds a run of the same lifecycle through the core alone (no Prefect, same batches) under
cProfile, so Prefect's share and the core's hot spots can be told apart.
"""

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
# Import bench modules as `bench.…` from the project root, never bare from bench/ (no shadowing).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

# Before Prefect is imported: no telemetry, quiet logs, the project's Prefect home (as `make bench`).
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))

MONTH = "2026-10"
OPEN_AT = "2026-10-01T00:10"
SEED = 7


def db_url(name: str) -> str:
    return f"sqlite:///{OUT / name}"


def fresh_db(name: str) -> str:
    from bench.out_db import fresh_sqlite

    return fresh_sqlite(name)


# --- drivers: how each phase is run ---------------------------------------------------------------

class Driver(Protocol):
    name: str

    def open(self, month: str, at: str) -> dict[str, int]: ...
    def advance(self, at: str) -> dict[str, int]: ...
    def complete(self, at: str) -> dict[str, int]: ...


@dataclass
class OursDriver:
    schools: int
    batch_size: int
    sync_complete: bool = False
    name: str = "ours"

    def _runs(self) -> int:
        return 1 + -(-self.schools // self.batch_size)  # list_batches + one per batch

    def open(self, month: str, at: str) -> dict[str, int]:
        from flows.monthly_cycle import OpenMonthParams, open_month_flow

        result = open_month_flow(OpenMonthParams(month=month, at=at, batch_size=self.batch_size))
        return {**result, "prefect_tasks": self._runs()}

    def advance(self, at: str) -> dict[str, int]:
        from flows.monthly_cycle import AdvanceParams, advance_flow

        result = advance_flow(AdvanceParams(at=at, batch_size=self.batch_size))
        return {**result, "prefect_tasks": self._runs()}

    def complete(self, at: str) -> dict[str, int]:
        from bench.bench_flows import complete_flow, complete_flow_sync

        if self.sync_complete:
            return complete_flow_sync(at, self.batch_size, SEED)
        return asyncio.run(complete_flow(at, self.batch_size, SEED))


@dataclass
class NaiveDriver:
    sync_complete: bool = False
    name: str = "baseline"

    def open(self, month: str, at: str) -> dict[str, int]:
        from bench.bench_flows import naive_open_flow

        return naive_open_flow(month, at)

    def advance(self, at: str) -> dict[str, int]:
        from bench.bench_flows import naive_advance_flow

        return naive_advance_flow(at)

    def complete(self, at: str) -> dict[str, int]:
        from bench.bench_flows import naive_complete_flow, naive_complete_flow_sync

        if self.sync_complete:
            return naive_complete_flow_sync(at, SEED)
        return asyncio.run(naive_complete_flow(at, SEED))


@dataclass
class CoreDriver:
    """The same work and batches as OURS, calling the core directly: no Prefect at all."""

    url: str
    batch_size: int
    name: str = "core"

    def _batches(self) -> list[list[int]]:
        from flows.runtime import school_batches

        return school_batches(self.batch_size)

    def open(self, month: str, at: str) -> dict[str, int]:
        from flows.runtime import engine, pack_book
        from xinyu.clock import parse_at
        from xinyu.cycle import open_month
        from xinyu.db import transaction

        total = 0
        for batch in self._batches():
            with transaction(engine()) as session:
                total += open_month(session, month=month, now=parse_at(at), book=pack_book(), school_ids=batch).opened
        return {"opened": total, "prefect_tasks": 0}

    def advance(self, at: str) -> dict[str, int]:
        from flows.runtime import engine, pack_book
        from xinyu.chase import queue_district_digests, run_chase
        from xinyu.clock import parse_at
        from xinyu.cycle import advance
        from xinyu.db import transaction

        totals = {"steps_opened": 0, "steps_done": 0, "tasks_created": 0, "prefect_tasks": 0}
        for batch in self._batches():
            with transaction(engine()) as session:  # the same work as the flow: advance, then chase
                result = advance(session, now=parse_at(at), book=pack_book(), school_ids=batch)
                run_chase(session, now=parse_at(at), book=pack_book(), school_ids=batch)
            totals["steps_opened"] += result.steps_opened
            totals["steps_done"] += result.steps_done
            totals["tasks_created"] += result.tasks_created
        with transaction(engine()) as session:
            queue_district_digests(session, now=parse_at(at), book=pack_book())
        return totals

    def complete(self, at: str) -> dict[str, int]:
        from bench.lifecycle_work import open_task_completions
        from flows.runtime import engine, pack_book
        from xinyu.clock import parse_at
        from xinyu.cycle import complete_tasks
        from xinyu.db import transaction

        done = 0
        for batch in self._batches():
            with transaction(engine()) as session:
                book, now = pack_book(), parse_at(at)
                completions = open_task_completions(session, now=now, book=book, seed=SEED, school_ids=batch)
                if completions:
                    complete_tasks(session, completions=completions, now=now, book=book)
                done += len(completions)
        return {"completed": done, "prefect_tasks": 0}


# --- the month -------------------------------------------------------------------------------------

@dataclass
class Phase:
    label: str
    clock: str
    seconds: float
    cpu: float = 0.0  # CPU time of this process (all its threads; not the Prefect server's)
    prefect_tasks: int = 0
    completed: int = 0
    created: int = 0
    steps_opened: int = 0
    steps_done: int = 0


@dataclass
class MonthRun:
    driver: str
    schools: int
    classes: int
    phases: list[Phase] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    @property
    def cpu(self) -> float:
        return sum(p.cpu for p in self.phases)

    @property
    def prefect_tasks(self) -> int:
        return sum(p.prefect_tasks for p in self.phases)

    @property
    def completed(self) -> int:
        return sum(p.completed for p in self.phases)


def count_tasks(url: str) -> int:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from flows.runtime import engine_for
    from models import Task

    with Session(engine_for(url)) as session:
        return int(session.exec(select(func.count()).select_from(Task)).one())


def step_schedule(url: str, month: str) -> list[tuple[str, date, date]]:
    """(key, earliest, calendar due) of each step in order — the same for every school of the pack."""
    from sqlmodel import Session, col, select

    from flows.runtime import engine_for
    from models import Cycle, Step

    with Session(engine_for(url)) as session:
        rows = set(session.exec(
            select(Step.order, Step.key, Step.earliest, Step.calendar_due)  # type: ignore[call-overload]
            .join(Cycle, col(Cycle.id) == col(Step.cycle_id)).where(Cycle.month == month)))
    orders = [r[0] for r in rows]
    assert len(orders) == len(set(orders)), f"schools disagree on the step dates: {sorted(rows)}"
    return [(key, earliest, due) for _, key, earliest, due in sorted(rows)]


def step_status_counts(url: str, month: str, key: str) -> dict[str, int]:
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from flows.runtime import engine_for
    from models import Cycle, Step

    with Session(engine_for(url)) as session:
        return dict(session.exec(  # type: ignore[arg-type]
            select(Step.status, func.count()).join(Cycle, col(Cycle.id) == col(Step.cycle_id))
            .where(Cycle.month == month, Step.key == key).group_by(col(Step.status))).all())


def open_task_mix(url: str) -> str:
    from sqlalchemy import func
    from sqlmodel import Session, col, select

    from flows.runtime import engine_for
    from models import Task

    with Session(engine_for(url)) as session:
        rows = session.exec(select(Task.template, func.count()).where(Task.status == "open")
                            .group_by(col(Task.template)).order_by(func.min(Task.id))).all()
    return ", ".join(f"{template}×{n}" for template, n in rows)


def run_month(driver: Driver, url: str, *, schools: int, classes: int, month: str = MONTH,
              log: Callable[[str], None] = lambda _: None) -> MonthRun:
    """Open the month, then complete and advance step by step until every cycle is done."""
    os.environ["XINYU_DATABASE_URL"] = url  # flows.runtime reads it on every call
    run = MonthRun(driver=driver.name, schools=schools, classes=classes)

    def timed(label: str, at: str, call: Callable[[], dict[str, int]]) -> dict[str, int]:
        before = count_tasks(url)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = call()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        phase = Phase(label=label, clock=at[5:16].replace("T", " "), seconds=seconds, cpu=cpu,
                      prefect_tasks=result.get("prefect_tasks", 0), completed=result.get("completed", 0),
                      created=count_tasks(url) - before, steps_opened=result.get("steps_opened", 0),
                      steps_done=result.get("steps_done", 0))
        run.phases.append(phase)
        log(f"    [{driver.name} {schools}×{classes}] {label:<44} {phase.seconds:8.2f} s")
        return result

    opened = timed("open month", OPEN_AT, lambda: driver.open(month, OPEN_AT))
    assert opened.get("opened") == schools, f"opened {opened.get('opened')} cycles, expected {schools}"
    schedule = step_schedule(url, month)
    assert [k for k, _, _ in schedule] == ["screening", "ledgers", "meeting", "course_check", "feedback"], schedule
    for number, (key, earliest, due) in enumerate(schedule):
        status = step_status_counts(url, month, key)
        if status.get("pending"):
            at = f"{earliest.isoformat()}T09:00"
            timed(f"advance → open {key}", at, lambda at=at: driver.advance(at))  # type: ignore[misc]
            status = step_status_counts(url, month, key)
        assert set(status) <= {"open", "done"} and sum(status.values()) == schools, f"{key} did not open: {status}"
        # Work on the step until the next step may open (on time), the last one on its due day.
        day = min(due, schedule[number + 1][1]) if number + 1 < len(schedule) else due
        day = max(day, earliest)
        for round_number in range(1, 4):
            if step_status_counts(url, month, key) == {"done": schools}:
                break
            moment = datetime.combine(day, datetime.min.time()).replace(hour=16) + timedelta(minutes=20 * round_number)
            at, later = moment.isoformat(), (moment + timedelta(minutes=5)).isoformat()
            mix = open_task_mix(url)
            result = timed(f"complete {key} #{round_number}", at, lambda at=at: driver.complete(at))  # type: ignore[misc]
            assert result.get("completed"), f"nothing to complete in {key} round {round_number} — stuck"
            log(f"        completed: {mix}")
            timed(f"advance after {key} #{round_number}", later, lambda at=later: driver.advance(at))  # type: ignore[misc]
        final = step_status_counts(url, month, key)
        assert final == {"done": schools}, f"{key} not done for every school: {final}"
    run.counts = verify(url, schools=schools, classes=classes, month=month, completed=run.completed)
    return run


def verify(url: str, *, schools: int, classes: int, month: str, completed: int) -> dict[str, int]:
    """The month really happened: every step done, no open task, and every side effect written."""
    from sqlalchemy import case, func
    from sqlmodel import Session, col, select

    from flows.runtime import engine_for
    from models import AuditEntry, Cycle, LedgerReview, Meeting, MonthlyReport, OutboxMessage, Step, Task

    def count(session: Session, model: Any, *where: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())

    with Session(engine_for(url)) as session:
        counts = {
            "cycles": count(session, Cycle, Cycle.month == month),
            "steps": count(session, Step),
            "steps done": count(session, Step, Step.status == "done"),
            "tasks created": count(session, Task),
            "tasks done": count(session, Task, Task.status == "done"),
            "tasks open": count(session, Task, Task.status == "open"),
            "class reports done": count(session, Task, Task.template == "class_report", Task.status == "done"),
            "consolidations done": count(session, Task, Task.template == "consolidate", Task.status == "done"),
            "decision tasks": count(session, Task, Task.kind == "decision"),
            "rectification tasks": count(session, Task, Task.kind == "rectification"),
            "ledger reviews": count(session, LedgerReview),
            "meetings with minutes": count(session, Meeting, col(Meeting.minutes).is_not(None)),
            "monthly reports": count(session, MonthlyReport),
            "report emails": count(session, OutboxMessage, col(OutboxMessage.dedupe_key).startswith("monthly-report:")),
            "chase messages": count(session, OutboxMessage, col(OutboxMessage.dedupe_key).startswith("chase:")),
            "audit entries": count(session, AuditEntry, AuditEntry.action == "complete_task"),
        }
        per_cycle = session.exec(
            select(Step.cycle_id, func.count(), func.sum(case((col(Step.status) == "done", 1), else_=0)))
            .group_by(col(Step.cycle_id))).all()
    assert counts["cycles"] == schools, counts
    assert len(per_cycle) == schools and all(n == 5 and d == 5 for _, n, d in per_cycle), "a cycle is not done"
    assert counts["steps"] == counts["steps done"] == 5 * schools, counts
    assert counts["tasks open"] == 0, counts
    assert counts["tasks done"] == counts["tasks created"] == completed == counts["audit entries"], counts
    assert counts["class reports done"] == schools * classes, counts
    assert counts["consolidations done"] == schools, counts
    assert counts["decision tasks"] == 2 * schools, counts
    assert counts["ledger reviews"] == 4 * schools, counts
    assert counts["meetings with minutes"] == counts["monthly reports"] == counts["report emails"] == schools
    return counts


# --- output ----------------------------------------------------------------------------------------

def phase_table(run: MonthRun) -> list[str]:
    lines = [f"  {'phase':<32} {'clock':<11} {'Prefect':>8} {'tasks':>8} {'tasks':>8} {'steps':>6} {'steps':>6}"
             f" {'seconds':>8} {'share':>6}",
             f"  {'':<32} {'':<11} {'tasks':>8} {'done':>8} {'created':>8} {'opened':>6} {'done':>6}"]
    total = run.seconds or 1.0
    for p in run.phases:
        lines.append(f"  {p.label:<32} {p.clock:<11} {p.prefect_tasks:>8,} {p.completed:>8,} {p.created:>8,}"
                     f" {p.steps_opened:>6,} {p.steps_done:>6,} {p.seconds:>8.2f} {p.seconds / total:>6.1%}")
    lines.append(f"  {'total':<32} {'':<11} {run.prefect_tasks:>8,} {run.completed:>8,}"
                 f" {run.counts['tasks created']:>8,} {'':>6} {'':>6} {run.seconds:>8.2f} {1:>6.0%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--classes", type=int, default=30, help="classes per school")
    parser.add_argument("--baseline-schools", type=int, default=10, help="subset for the baseline (scaled up)")
    parser.add_argument("--batch-size", type=int, default=100, help="schools per Prefect task (ours)")
    parser.add_argument("--no-core", action="store_true",
                        help="skip the reference run of the core alone (same batches, no Prefect)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the core alone under cProfile and print the hot spots")
    parser.add_argument("--sync-complete", action="store_true",
                        help="run the completion flows synchronously (each then waits ~1 s for its heartbeat)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    assert args.baseline_schools <= args.schools

    def log(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    import prefect
    from prefect.testing.utilities import prefect_test_harness

    logging.getLogger("xinyu.workdays").addFilter(_Once())

    from bench.lifecycle_org import build_org
    from xinyu.cycle import PackBook

    size, subset = f"{args.schools}x{args.classes}", f"{args.baseline_schools}x{args.classes}"

    def prepared(name: str, schools: int) -> tuple[str, float, Any]:
        started = time.perf_counter()
        url = fresh_db(name)
        from flows.runtime import engine_for

        book = PackBook(engine_for(url), pin_newest=True)  # the packs fresh_db's migrate installed
        org = build_org(engine_for(url), schools=schools, classes=args.classes, month=MONTH, book=book, seed=SEED)
        return url, time.perf_counter() - started, org

    load_before = os.getloadavg()
    log("Preparing databases (bulk inserts, not timed) …")
    warm_ours, _, _ = prepared("warmup-ours.db", 2)
    warm_naive, _, _ = prepared("warmup-baseline.db", 2)
    base_url, _, _ = prepared(f"baseline-{subset}.db", args.baseline_schools)
    small_url, _, _ = prepared(f"ours-{subset}.db", args.baseline_schools)
    full_url, setup_seconds, org = prepared(f"ours-{size}.db", args.schools)
    log(f"  full-size organisation: {org.schools:,} schools, {org.classes:,} classes, {org.people:,} people,"
        f" {org.roles:,} role assignments, {org.course_records:,} course records in {setup_seconds:.1f} s")

    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        log(f"Prefect test harness up in {time.perf_counter() - started:.1f} s; warming up (untimed) …")
        # Warm-up (untimed): imports, Prefect client, SQLAlchemy statement caches — for both drivers.
        sync = args.sync_complete
        run_month(OursDriver(2, args.batch_size, sync), warm_ours, schools=2, classes=args.classes)
        run_month(NaiveDriver(sync), warm_naive, schools=2, classes=args.classes)
        flow_cost = empty_flow_cost()
        # OURS first: the baseline's thousands of task runs leave the Prefect server busy for a while,
        # which would slow whatever ran next.
        log("Ours on the subset …")
        ours_small = run_month(OursDriver(args.baseline_schools, args.batch_size, sync), small_url,
                               schools=args.baseline_schools, classes=args.classes, log=log)
        log("Ours at full size …")
        ours = run_month(OursDriver(args.schools, args.batch_size, sync), full_url, schools=args.schools,
                         classes=args.classes, log=log)
        log("Baseline on the subset …")
        baseline = run_month(NaiveDriver(sync), base_url, schools=args.baseline_schools, classes=args.classes,
                             log=log)

    core = None
    if not args.no_core:
        log("Core alone at full size (no Prefect) …")
        core_url, _, _ = prepared(f"core-{size}.db", args.schools)
        core = run_month(CoreDriver(url=core_url, batch_size=args.batch_size), core_url, schools=args.schools,
                         classes=args.classes, log=log)
    hot_spots = profile_core(args, prepared, log) if args.profile else None
    load_after = os.getloadavg()

    scale = args.schools / args.baseline_schools
    # Linear scaling of the baseline, without multiplying the per-flow-run fixed cost (an empty flow's
    # time × the flows it ran): that part does not grow with schools. The plain ×scale is shown too.
    fixed = flow_cost_of(baseline, flow_cost, args.sync_complete)
    baseline_full = fixed + (baseline.seconds - fixed) * scale
    baseline_plain = baseline.seconds * scale
    ratio_full = baseline_full / ours.seconds
    ratio_subset = baseline.seconds / ours_small.seconds
    print()
    print(f"Month lifecycle · {MONTH} (first working day 2026-10-08) · Qingdao pack · SQLite WAL (bench/out/)"
          f" · Prefect {prefect.__version__} test harness · Python {sys.version.split()[0]}")
    print(f"Organisation (bulk insert, not timed): {org.schools:,} schools × {args.classes} classes ="
          f" {org.classes:,} classes, {org.districts} districts, {org.people:,} people, {org.course_records:,}"
          f" course records")
    print("Each run: open month; each of 5 steps opened at its date, every open task completed (evidence via"
          " xinyu.simulation), advanced; all cycles verified done.")
    print()
    print(f"  {'run':<56} {'schools×classes':>16} {'Prefect tasks':>14} {'tasks done':>11} {'seconds':>9}"
          f" {'CPU s':>8}")
    rows = [
        (f"OURS     batch {args.batch_size} schools/Prefect task", subset, ours_small),
        ("BASELINE 1 Prefect task per school / per class", subset, baseline),
        (f"OURS     batch {args.batch_size} schools/Prefect task", size.replace("x", "×"), ours),
    ]
    for label, shape, run in rows:
        print(f"  {label:<56} {shape.replace('x', '×'):>16} {run.prefect_tasks:>14,} {run.completed:>11,}"
              f" {run.seconds:>9.2f} {run.cpu:>8.2f}")
    print(f"  {f'BASELINE extrapolated linearly ×{scale:g} from {args.baseline_schools} schools *':<56}"
          f" {size.replace('x', '×'):>16} {round(baseline.prefect_tasks * scale):>14,}"
          f" {round(baseline.completed * scale):>11,} {baseline_full:>9.2f}")
    if core is not None:
        print(f"  {'CORE     same work and batches, no Prefect (reference)':<56} {size.replace('x', '×'):>16}"
              f" {0:>14} {core.completed:>11,} {core.seconds:>9.2f} {core.cpu:>8.2f}")
    print(f"  * BASELINE at full size = fixed flow-run cost {fixed:.2f} s + ({baseline.seconds:.2f} − {fixed:.2f}) s"
          f" × {scale:g}; plain ×{scale:g} would say {baseline_plain:.0f} s. Not run at full size: its"
          f" {round(baseline.prefect_tasks * scale):,} task runs would take hours (and Prefect's in-process"
          f" API drops events past ~10,000 queued), so the linear figure flatters it if anything.")
    print()
    print(f"  ratio on the subset   baseline / ours                    = {ratio_subset:6.1f}×")
    print(f"  ratio at full size    baseline extrapolated / ours full  = {ratio_full:6.1f}×")
    target_time = "met" if ours.seconds < 30 else "NOT met"
    target_ratio = "met" if ratio_full >= 10 else "NOT met"
    print(f"  aim: full month under 30 s → {ours.seconds:.1f} s, {target_time};"
          f" ≥10× the baseline → {ratio_full:.1f}×, {target_ratio}")
    completes = sum(1 for p in ours.phases if p.label.startswith("complete"))
    print(f"  fixed cost of one flow run here (empty flow, median of 5): sync {flow_cost['sync']:.2f} s"
          f" (waits for its heartbeat thread), async {flow_cost['async']:.2f} s. OURS ran"
          f" {len(ours.phases) - completes} sync flows (open/advance, flows/monthly_cycle.py) and {completes}"
          f" {'sync' if args.sync_complete else 'async'} completion flows (bench/bench_flows.py).")
    print()
    print(f"OURS at full size, by phase ({args.schools:,} schools × {args.classes} classes):")
    print("\n".join(phase_table(ours)))
    print()
    print("Counts at full size (verified: every cycle has its five steps done, no task left open):")
    print("  " + " · ".join(f"{k} {v:,}" for k, v in ours.counts.items()))
    print()
    print(f"Machine: {os.cpu_count()} CPUs; load average (1/5/15 min) {'/'.join(f'{x:.2f}' for x in load_before)}"
          f" before, {'/'.join(f'{x:.2f}' for x in load_after)} after — other work on the machine inflates the"
          f" wall times; 'CPU s' is this process's own CPU time.")
    if hot_spots:
        print()
        print("\n".join(hot_spots))
    return 0


def flow_cost_of(run: MonthRun, cost: dict[str, float], sync_complete: bool) -> float:
    """The part of a run's time that is the flows' own fixed cost (one per phase)."""
    completes = sum(1 for p in run.phases if p.label.startswith("complete"))
    return (len(run.phases) - completes) * cost["sync"] + completes * cost["sync" if sync_complete else "async"]


def empty_flow_cost() -> dict[str, float]:
    """What one flow run costs here with nothing in it, sync and async."""
    import statistics

    from prefect import flow

    @flow(name="bench-empty-sync")
    def empty_sync() -> None:
        return None

    @flow(name="bench-empty-async")
    async def empty_async() -> None:
        return None

    def median(call: Callable[[], Any]) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    return {"sync": median(empty_sync), "async": median(lambda: asyncio.run(empty_async()))}


class _Once(logging.Filter):
    """Let each distinct warning through once (the calendar warns per PackBook, i.e. per Prefect task)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self.seen:
            return False
        self.seen.add(message)
        return True


def profile_core(args: argparse.Namespace, prepared: Callable[[str, int], tuple[str, float, Any]],
                 log: Callable[[str], None]) -> list[str]:
    """The same lifecycle through the core alone, under cProfile: where the time goes, as text lines."""
    import cProfile
    import pstats

    url, _, _ = prepared(f"profile-{args.schools}x{args.classes}.db", args.schools)
    log("Core alone under cProfile …")
    profiler = cProfile.Profile()
    profiler.enable()
    run_month(CoreDriver(url=url, batch_size=args.batch_size), url, schools=args.schools, classes=args.classes,
              log=log)
    profiler.disable()
    path = OUT / f"core-{args.schools}x{args.classes}.prof"
    profiler.dump_stats(str(path))
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = stats.stats  # type: ignore[attr-defined]

    def where(filename: str, line: int, name: str) -> str:
        try:
            filename = str(Path(filename).resolve().relative_to(ROOT))
        except ValueError:
            filename = Path(filename).name
        return f"{filename}:{line} {name}"

    ours = [(ct, tt, nc, key) for key, (_, nc, tt, ct, _) in entries.items()
            if key[0].startswith(str(ROOT)) and "/.venv/" not in key[0] and not key[0].endswith("month_lifecycle.py")]
    lines = [f"Hot spots: the core alone under cProfile, {args.schools:,} × {args.classes}, {total:.1f} s profiled"
             f" (cProfile slows it down; shares are of the profiled time; stats: {path.relative_to(ROOT)})",
             f"  {'cumulative':>10} {'share':>6} {'own':>7} {'calls':>8}  project function"]
    for ct, tt, nc, key in sorted(ours, reverse=True)[:28]:
        lines.append(f"  {ct:>10.2f} {ct / total:>6.1%} {tt:>7.2f} {nc:>8,}  {where(*key)}")
    lines.append(f"  {'own time':>10} {'share':>6} {'':>7} {'calls':>8}  any function, by its own time")
    for key, (_, nc, tt, _ct, _) in sorted(entries.items(), key=lambda kv: -kv[1][2])[:12]:
        lines.append(f"  {tt:>10.2f} {tt / total:>6.1%} {'':>7} {nc:>8,}  {where(*key)}")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
