"""Side by side with a peer engine: our cycle core against SpiffWorkflow, the same month for the same schools.

    .venv/bin/python bench/peer_spiff.py [--schools 200] [--classes 30] [--batch-size 100] [--pg]

A sample district (xinyu.sample: N schools × 30 classes, one district) goes in through the real roster
importer, with each class's "1+1" course records for October 2026 (some classes miss one: they get a
rectification). Then, in the same database and the same process, one after the other:

OURS  bench/month_lifecycle.run_month with the core alone (no Prefect): open the month, then for each
      of the five steps advance at its date and complete every open task with evidence
      (bench/lifecycle_work.open_task_completions → xinyu.cycle.complete_tasks) in rounds, advancing
      after each, until every cycle has its five steps done. One transaction per batch of schools and
      phase. Timed: everything the core does — assignment of each task to the person holding its role,
      due dates on the working-day calendar, evidence parsed against the pack's forms, the actions
      (ledger reviews, meeting minutes and decision tasks, rectification tasks, the monthly report and
      its e-mail in the outbox), audit rows — and the simulated people (finding the open tasks, making
      their evidence), shown apart. The chase (reminders/escalations, the district digests) runs in
      every advance too but is timed apart and left out of the headline: the peer has no timers or
      escalations. "ours incl. chase" is printed as well.

PEER  SpiffWorkflow (bench/peer/monthly_cycle.bpmn, hand-written: the five steps as user tasks,
      per-class work as parallel multi-instance user tasks over the school's classes, the decisions
      and rectifications as multi-instance tasks over what the minutes and the course check produce).
      The spec is parsed once and one serializer is reused. Open: per school a BpmnWorkflow with its
      classes and the month's extra tasks (read from the database, one query per batch), run to its
      first user tasks, serialized (SpiffWorkflow's own JSON serializer) and upserted into
      bench_spiff_state (one row per school-month; the bench creates the table with SQLAlchemy Core,
      it is not in the app's migrations). Each step: the batch's rows loaded, each workflow
      deserialized, every ready user task of the step completed with the very evidence values OURS
      was given for the same task (recorded in OURS's run, mapped by school/template/class), the
      engine run until the step has no ready task left, serialized and upserted — as a server between
      requests would. For the course check the peer asks the core's class_statuses_by_school which
      classes are short (one query per batch), so both do the same rectifications.
      Not done by the peer: evidence validation, assignment, due dates, domain rows (reviews, meetings,
      reports, outbox, audit), chasing. It loads and saves once per step while OURS commits after each
      round (several per step). Both use xinyu.db.transaction, the same batches and the same engine.

One cycle = one school's month from opening to the feedback step done. The run checks that both
sides completed the same number of user tasks per school and that every peer workflow is complete.
Untimed: the district import, course records, a 2-school warm-up of both sides, the checks.
"""

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, Text, func, insert, select, text  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from bench.month_lifecycle import MONTH, OPEN_AT, SEED, CoreDriver, MonthRun, run_month  # noqa: E402

BPMN = ROOT / "bench" / "peer" / "monthly_cycle.bpmn"
PROCESS_ID = "monthly_cycle"
STEPS = ("screening", "ledgers", "meeting", "course_check", "feedback")
DISTRICT = "青岛市市北区"
COURSE_SKIP_RATE = 0.12

PEER_STATE = Table(
    "bench_spiff_state", MetaData(),
    Column("school_id", Integer, primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("step", String(32), nullable=False),  # the last step finished ("open" after opening)
    Column("state", Text, nullable=False),  # BpmnWorkflowSerializer.serialize_json
    Column("saved_at", DateTime(timezone=True), nullable=False),
)


# --- the district -----------------------------------------------------------------------------------

def load_district(engine: Engine, *, schools: int, classes: int, workdir: Path) -> dict[str, int]:
    """The sample roster through the real importer, then the month's course records (bulk)."""
    from models import CourseRecord, SchoolClass
    from xinyu import sample
    from xinyu.cycle import PackBook
    from xinyu.db import transaction
    from xinyu.roles import Role
    from xinyu.roster import import_file
    from xinyu.simulation import course_plan

    workdir.mkdir(parents=True, exist_ok=True)
    rows = sample.sample_roster_rows(district=DISTRICT, schools=schools, classes_per_school=classes, seed=SEED)
    # One district officer (the sample has two from 3 schools up): run_month checks one report e-mail a school.
    officers = [r for r in rows if r["角色"] == Role.district_officer.label]
    rows = [r for r in rows if r not in officers[1:]]
    path = sample.write_csv(workdir / f"教职工名册-{schools}x{classes}.csv", rows)
    result = import_file(engine, path)
    work = PackBook(engine).calendar("qingdao")
    with transaction(engine) as session:
        courses = [
            {"school_id": school_id, "class_id": class_id, "held_on": day, "kind": kind, "periods": 1,
             "recorded_by_id": None, "topic": "认识情绪，学会调节" if kind == "lesson" else "心理拓展活动"}
            for class_id, school_id in session.execute(select(SchoolClass.id, SchoolClass.school_id))
            for day, kind in course_plan(class_id, MONTH, work, SEED, COURSE_SKIP_RATE)
        ]
        session.execute(insert(CourseRecord), courses)
    return {"roster rows": len(rows), "course records": len(courses),
            **{entity: counts.created for entity, counts in result.counts.items()}}


# --- ours ---------------------------------------------------------------------------------------------

@dataclass
class OursDriver(CoreDriver):
    """CoreDriver with the chase and the simulated people timed apart, and the evidence recorded."""

    name: str = "ours"
    chase_seconds: float = 0.0
    people_seconds: float = 0.0
    evidence: dict[int, dict[str, Any]] = field(default_factory=dict)  # task id → the values given

    def advance(self, at: str) -> dict[str, int]:
        from flows.runtime import engine, pack_book
        from xinyu.chase import queue_district_digests, run_chase
        from xinyu.clock import parse_at
        from xinyu.cycle import advance
        from xinyu.db import transaction

        totals = {"steps_opened": 0, "steps_done": 0, "tasks_created": 0}
        for batch in self._batches():
            # As the advance flow's task for a batch: advance, then chase, one transaction and one pack book.
            with transaction(engine()) as session:
                book = pack_book()
                result = advance(session, now=parse_at(at), book=book, school_ids=batch)
                with self._timer("chase_seconds"):
                    run_chase(session, now=parse_at(at), book=book, school_ids=batch)
            totals["steps_opened"] += result.steps_opened
            totals["steps_done"] += result.steps_done
            totals["tasks_created"] += result.tasks_created
        with self._timer("chase_seconds"), transaction(engine()) as session:
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
                with self._timer("people_seconds"):
                    completions = open_task_completions(session, now=now, book=book, seed=SEED, school_ids=batch)
                if completions:
                    complete_tasks(session, completions=completions, now=now, book=book)
                self.evidence.update((c.task_id, c.values) for c in completions)
                done += len(completions)
        return {"completed": done}

    @contextmanager
    def _timer(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            setattr(self, name, getattr(self, name) + time.perf_counter() - started)


EvidenceKey = tuple[int, str, Any]  # (school id, template key, class id / decision number / None)


def evidence_by_natural_key(engine: Engine, evidence: dict[int, dict[str, Any]]) -> dict[EvidenceKey, dict[str, Any]]:
    """OURS's evidence keyed by what the peer knows of a task: its school, template and class (or number)."""
    from models import Task

    out: dict[EvidenceKey, dict[str, Any]] = {}
    with Session(engine) as session:
        for task_id, school_id, template, class_id, key in session.execute(
                select(Task.id, Task.school_id, Task.template, Task.class_id, Task.key)):
            if task_id not in evidence:
                continue
            item = int(key.split(":")[2]) if template == "decision" else class_id
            out[(school_id, template, item)] = evidence[task_id]
    return out


def tasks_done_by_school(engine: Engine) -> dict[int, int]:
    from models import Task

    with Session(engine) as session:
        return dict(session.execute(  # type: ignore[arg-type]
            select(Task.school_id, func.count()).where(Task.status == "done").group_by(col(Task.school_id))).all())


# --- the peer -------------------------------------------------------------------------------------------

# User task (its BPMN id) → (the template OURS has for it, the data name its evidence is stored under, the
# multi-instance input item that says which one, or None). `None` as template: the input item is the template.
PEER_TASKS: dict[str, tuple[str | None, str, str | None]] = {
    "screening_class_report": ("class_report", "class_report", "class_id"),
    "screening_consolidate": ("consolidate", "consolidate", None),
    "screening_extra": (None, "extra_report", "extra"),
    "ledgers_ledger_a": ("ledger_a", "ledger_a", None),
    "ledgers_ledger_b": ("ledger_b", "ledger_b", None),
    "ledgers_ledger_c": ("ledger_c", "ledger_c", None),
    "ledgers_ledger_d": ("ledger_d", "ledger_d", None),
    "meeting_minutes": ("minutes", "minutes", None),
    "meeting_decision": ("decision", "decision_result", "decision"),
    "course_check_check": ("check", "check", None),
    "course_check_rectification": ("rectification", "rectification", "short_class"),
    "feedback_report": ("report", "report", None),
    "feedback_extra": (None, "feedback_extra_report", "feedback_extra_item"),
}


@dataclass
class PeerPhase:
    label: str
    seconds: float
    cpu: float
    completed: int


class SpiffPeer:
    """One school's month as a SpiffWorkflow BpmnWorkflow, its state in the database between steps."""

    def __init__(self, engine: Engine, *, batch_size: int) -> None:
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec(PROCESS_ID)  # parsed once, shared by every workflow
        self.serializer = BpmnWorkflowSerializer()  # one, reused
        self.engine, self.batch_size = engine, batch_size
        PEER_STATE.create(engine, checkfirst=True)
        self.phases: list[PeerPhase] = []
        self.bytes_saved = 0
        self.saves = 0

    def batches(self) -> list[list[int]]:
        from models import School

        with Session(self.engine) as session:
            ids = list(session.execute(select(School.id).order_by(School.id)).scalars())
        return [ids[n:n + self.batch_size] for n in range(0, len(ids), self.batch_size)]

    def run_month(self, evidence: dict[EvidenceKey, dict[str, Any]], log: Callable[[str], None]) -> None:
        from bench.month_lifecycle import step_schedule
        from xinyu.clock import parse_at

        batches = self.batches()
        self._timed("open month", lambda: sum(self.open(batch, parse_at(OPEN_AT)) for batch in batches), log)
        url = self.engine.url.render_as_string(hide_password=False)
        for key, earliest, _ in step_schedule(url, MONTH):  # the same dates as OURS (read from its steps)
            now = parse_at(f"{earliest.isoformat()}T16:20")
            self._timed(f"step {key}", lambda key=key, now=now: sum(  # type: ignore[misc]
                self.step(batch, key, now, evidence) for batch in batches), log)

    def _timed(self, label: str, call: Callable[[], int], log: Callable[[str], None]) -> None:
        started, cpu = time.perf_counter(), time.process_time()
        completed = call()
        phase = PeerPhase(label, time.perf_counter() - started, time.process_time() - cpu, completed)
        self.phases.append(phase)
        log(f"    [peer] {label:<28} {phase.seconds:8.2f} s  user tasks completed {completed:,}")

    def open(self, batch: list[int], now: datetime) -> int:
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        from models import School, SchoolClass
        from xinyu.cycle import PackBook
        from xinyu.db import transaction

        book = PackBook(self.engine, pin_newest=True)
        with transaction(self.engine) as session:
            classes: dict[int, list[tuple[int, str]]] = defaultdict(list)
            packs: dict[int, str] = {}
            for school_id, pack, class_id, stage in session.execute(
                    select(School.id, School.pack, SchoolClass.id, SchoolClass.stage)
                    .join(SchoolClass, col(SchoolClass.school_id) == col(School.id))
                    .where(col(School.id).in_(batch)).order_by(SchoolClass.id)):
                classes[school_id].append((class_id, stage))
                packs[school_id] = pack
            rows = []
            for school_id in batch:
                stages = {stage for _, stage in classes[school_id]}
                extras = {step: [e.key for e in book.pack(packs[school_id]).extra_tasks
                                 if e.step == step and int(MONTH[5:]) in e.months
                                 and (not e.stages or stages & set(e.stages))] for step in ("screening", "feedback")}
                workflow = BpmnWorkflow(self.spec)
                (start,) = workflow.get_tasks(state=TaskState.READY)
                start.data.update({"school_id": school_id, "month": MONTH,
                                   "classes": [c for c, _ in classes[school_id]], "extras": extras["screening"],
                                   "feedback_extras": extras["feedback"]})
                workflow.do_engine_steps()
                rows.append(self._row(school_id, "open", workflow, now))
            self._save(session, rows)
        return 0

    def step(self, batch: list[int], key: str, now: datetime, evidence: dict[EvidenceKey, dict[str, Any]]) -> int:
        from SpiffWorkflow.util.task import TaskState

        from xinyu.db import transaction

        completed = 0
        with transaction(self.engine) as session:
            states = session.execute(select(PEER_STATE.c.school_id, PEER_STATE.c.state).where(
                PEER_STATE.c.month == MONTH, PEER_STATE.c.school_id.in_(batch))).all()
            short = self._short_classes(session, batch) if key == "course_check" else {}
            rows = []
            for school_id, state in states:
                workflow = self.serializer.deserialize_json(state)
                while ready := [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                                if t.task_spec.bpmn_id.startswith(key + "_")]:
                    for task in ready:
                        self._complete(task, school_id, evidence, short)
                    workflow.do_engine_steps()
                    completed += len(ready)
                rows.append(self._row(school_id, key, workflow, now))
            self._save(session, rows)
        return completed

    def _complete(self, task: Any, school_id: int, evidence: dict[EvidenceKey, dict[str, Any]],
                  short: dict[int, list[int]]) -> None:
        template, name, item_name = PEER_TASKS[task.task_spec.bpmn_id]
        item = task.data[item_name] if item_name else None
        if template is None:
            template, item = item, None
        elif template == "decision":
            item = task.data["decisions"].index(item) + 1  # OURS numbers a meeting's decisions from 1
        values = dict(evidence[(school_id, template, item)])  # KeyError: the peer has a task OURS did not
        task.data[name] = values
        if template == "minutes":
            task.data["decisions"] = [line for line in values.get("decisions", "").splitlines() if line.strip()]
        elif template == "check":
            task.data["short_classes"] = short.get(school_id, [])
        task.run()

    def _short_classes(self, session: Session, batch: list[int]) -> dict[int, list[int]]:
        """The classes short of a "1+1" lesson or activity, as the core's course check sees them."""
        from xinyu.courses.status import class_statuses_by_school
        from xinyu.cycle import PackBook

        book = PackBook(self.engine, pin_newest=True)
        statuses = class_statuses_by_school(session, school_ids=batch, month=MONTH, pack=book.pack("qingdao"),
                                            work=book.calendar("qingdao"))
        return {school_id: [s.class_id for s in rows if not s.ok] for school_id, rows in statuses.items()}

    def _row(self, school_id: int, step: str, workflow: Any, now: datetime) -> dict[str, Any]:
        state = self.serializer.serialize_json(workflow)
        self.bytes_saved += len(state.encode())
        self.saves += 1
        return {"school_id": school_id, "month": MONTH, "step": step, "state": state, "saved_at": now}

    def _save(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        statement = upsert(PEER_STATE)
        statement = statement.on_conflict_do_update(
            index_elements=[PEER_STATE.c.school_id, PEER_STATE.c.month],
            set_={c: statement.excluded[c] for c in ("step", "state", "saved_at")})
        session.execute(statement, rows)

    def verify(self) -> dict[int, int]:
        """Every school's workflow complete, at its last step; user tasks completed per school."""
        from SpiffWorkflow.util.task import TaskState

        done: dict[int, int] = {}
        with Session(self.engine) as session:
            for school_id, step, state in session.execute(
                    select(PEER_STATE.c.school_id, PEER_STATE.c.step, PEER_STATE.c.state)
                    .where(PEER_STATE.c.month == MONTH)):
                workflow = self.serializer.deserialize_json(state)
                assert step == "feedback" and workflow.is_completed(), f"school {school_id}: peer at {step}"
                done[school_id] = len(workflow.get_tasks(state=TaskState.COMPLETED, manual=True))
        return done

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    @property
    def cpu(self) -> float:
        return sum(p.cpu for p in self.phases)


# --- databases --------------------------------------------------------------------------------------------

@contextmanager
def database(kind: str, name: str) -> Iterator[str]:
    """A new migrated database: a SQLite file under bench/out/, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        from bench.out_db import fresh_sqlite

        yield fresh_sqlite(name + ".db")
        return
    from bench.out_db import throwaway_pg

    with throwaway_pg(f"xinyu_bench_peer_{name.replace('-', '_')}") as url:
        yield url


def table_usage(engine: Engine) -> dict[str, tuple[int, int]]:
    """Rows and bytes (with indexes; PostgreSQL: with TOAST and dead row versions) of every table."""
    from sqlmodel import SQLModel

    tables = [*SQLModel.metadata.sorted_tables, PEER_STATE]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            sizes = dict(connection.execute(text(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables")).all())
        else:
            sizes = dict(connection.execute(text(
                "SELECT s.tbl_name, sum(d.pgsize) FROM dbstat d JOIN sqlite_schema s ON s.name = d.name"
                " GROUP BY s.tbl_name")).all())
        names = set(sizes)
        return {t.name: (int(connection.execute(select(func.count()).select_from(t)).scalar_one()),
                         int(sizes.get(t.name) or 0)) for t in tables if t.name in names}


def usage_delta(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> tuple[int, int, int]:
    """(rows added, bytes added, tables touched) between two table_usage snapshots."""
    rows = bytes_ = touched = 0
    for name, (n, size) in after.items():
        n0, size0 = before.get(name, (0, 0))
        if n != n0 or size != size0:
            touched += 1
        rows, bytes_ = rows + n - n0, bytes_ + size - size0
    return rows, bytes_, touched


# --- one side-by-side run ---------------------------------------------------------------------------------

@dataclass
class SideBySide:
    backend: str
    schools: int
    classes: int
    ours: MonthRun
    driver: OursDriver
    peer: SpiffPeer
    ours_usage: tuple[int, int, int]
    peer_usage: tuple[int, int, int]
    tasks_per_school: dict[int, int]
    setup: dict[str, int]

    @property
    def ours_seconds(self) -> float:
        return self.ours.seconds - self.driver.chase_seconds

    def cycles_per_second(self, seconds: float) -> float:
        return self.schools / seconds if seconds else float("inf")


def side_by_side(url: str, *, backend: str, schools: int, classes: int, batch_size: int,
                 workdir: Path = ROOT / "bench" / "out" / "peer", log: Callable[[str], None] = lambda _: None,
                 ) -> SideBySide:
    """Import the district into `url` (migrated, empty), run OURS then the peer on it, check both."""
    from flows.runtime import engine_for

    engine = engine_for(url)
    setup = load_district(engine, schools=schools, classes=classes, workdir=workdir)
    peer = SpiffPeer(engine, batch_size=batch_size)  # creates its table before anything is timed
    before = table_usage(engine)
    driver = OursDriver(url=url, batch_size=batch_size)
    ours = run_month(driver, url, schools=schools, classes=classes, log=log)
    after_ours = table_usage(engine)
    evidence = evidence_by_natural_key(engine, driver.evidence)
    peer.run_month(evidence, log)
    after_peer = table_usage(engine)
    ours_done, peer_done = tasks_done_by_school(engine), peer.verify()
    assert ours_done == peer_done, f"user tasks per school differ: ours {ours_done}, peer {peer_done}"
    assert sum(peer_done.values()) == len(evidence) == ours.completed, (len(evidence), ours.completed)
    return SideBySide(backend=backend, schools=schools, classes=classes, ours=ours, driver=driver, peer=peer,
                      ours_usage=usage_delta(before, after_ours), peer_usage=usage_delta(after_ours, after_peer),
                      tasks_per_school=peer_done, setup=setup)


# --- output -------------------------------------------------------------------------------------------------

def report(run: SideBySide) -> list[str]:
    ours, peer, driver = run.ours, run.peer, run.driver
    ours_cps, peer_cps = run.cycles_per_second(run.ours_seconds), run.cycles_per_second(peer.seconds)
    chase_cps = run.cycles_per_second(ours.seconds)
    tasks = sum(run.tasks_per_school.values())
    lines = [
        f"{run.backend}: {run.schools:,} schools × {run.classes} classes, {tasks:,} user tasks completed by each side"
        f" ({tasks / run.schools:.1f} per school-month), batches of {driver.batch_size} schools",
        f"  {'':<44} {'seconds':>8} {'CPU s':>7} {'cycles/s':>9} {'rows':>9} {'MB':>7}",
    ]

    def line(label: str, seconds: float, cpu: float | None, usage: tuple[int, int, int] | None) -> str:
        rows = f"{usage[0]:>9,} {usage[1] / 1e6:>7.1f}" if usage else f"{'':>9} {'':>7}"
        cpu_text = f"{cpu:>7.2f}" if cpu is not None else f"{'':>7}"
        return f"  {label:<44} {seconds:>8.2f} {cpu_text} {run.cycles_per_second(seconds):>9.1f} {rows}"

    lines += [
        line("OURS  core, without the chase", run.ours_seconds, None, run.ours_usage),
        f"  {'      of which the simulated people':<44} {driver.people_seconds:>8.2f}",
        line("OURS  incl. the chase (as production runs)", ours.seconds, ours.cpu, None),
        line("PEER  SpiffWorkflow, state saved per step", peer.seconds, peer.cpu, run.peer_usage),
        f"  ratio OURS / PEER (cycles per second): {ours_cps / peer_cps:.1f}× without the chase,"
        f" {chase_cps / peer_cps:.1f}× with it (aim ≥ 3×)",
        f"  PEER state: {peer.saves:,} saves, {peer.bytes_saved / 1e6:.1f} MB of JSON written,"
        f" {peer.bytes_saved / max(peer.saves, 1) / 1e3:.1f} kB per save;"
        f" OURS wrote to {run.ours_usage[2]} tables, the peer to {run.peer_usage[2]}",
        f"  {'phase':<28} {'OURS s':>8} {'PEER s':>8}",
    ]
    ours_by_step = {"open month": 0.0, **{f"step {k}": 0.0 for k in STEPS}}
    current = "open month"
    for phase in ours.phases:
        for key in STEPS:
            if key in phase.label:
                current = f"step {key}"
        ours_by_step[current] += phase.seconds
    for phase in peer.phases:
        lines.append(f"  {phase.label:<28} {ours_by_step.get(phase.label, 0.0):>8.2f} {phase.seconds:>8.2f}")
    lines.append(f"  (OURS's steps include the chase, {driver.chase_seconds:.2f} s in all; it ran"
                 f" {len(ours.phases)} phases, the peer {len(peer.phases)})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--classes", type=int, default=30, help="classes per school")
    parser.add_argument("--batch-size", type=int, default=100, help="schools per transaction, both sides")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (127.0.0.1:5432, user postgres)")
    parser.add_argument("--pg-only", action="store_true", help="on PostgreSQL only")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    import logging

    import SpiffWorkflow  # noqa: F401  (fail early: pip install -e '.[bench]')
    from SpiffWorkflow.version import __version__ as spiff_version

    from bench.month_lifecycle import _Once

    logging.getLogger("xinyu.workdays").addFilter(_Once())
    backends = ([] if args.pg_only else ["sqlite"]) + (["postgresql"] if args.pg or args.pg_only else [])
    results = []
    load_before = os.getloadavg()
    for backend in backends:
        log(f"{backend}: warm-up on 2 schools (untimed) …")
        with database(backend, "peer-warmup") as url:
            side_by_side(url, backend=backend, schools=2, classes=args.classes, batch_size=args.batch_size)
        log(f"{backend}: {args.schools} schools × {args.classes} classes …")
        with database(backend, f"peer-{args.schools}x{args.classes}") as url:
            results.append(side_by_side(url, backend=backend, schools=args.schools, classes=args.classes,
                                        batch_size=args.batch_size, log=log))
    load_after = os.getloadavg()
    print()
    print(f"Side by side · {MONTH} · Qingdao pack · one district through the roster importer · SpiffWorkflow"
          f" {spiff_version} · Python {sys.version.split()[0]}")
    print("One cycle = one school's month, opened to feedback done. Setup, warm-up and checks untimed.")
    for run in results:
        print()
        print("\n".join(report(run)))
    print()
    print(f"Machine: {os.cpu_count()} CPUs; load average {'/'.join(f'{x:.2f}' for x in load_before)} before,"
          f" {'/'.join(f'{x:.2f}' for x in load_after)} after. Rows and MB: what each side added to the database"
          f" (PostgreSQL sizes include dead row versions of updated rows until vacuum).")
    print(json.dumps({r.backend: {"ours_cycles_per_s": round(r.cycles_per_second(r.ours_seconds), 2),
                                  "peer_cycles_per_s": round(r.cycles_per_second(r.peer.seconds), 2)}
                      for r in results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
