"""Property tests of the monthly cycle (issue 5, item 5): hypothesis drives the real core, no Prefect.

A small world (a Qingdao school, a Ganzhou school, a few classes, maybe a class without its homeroom
teacher) on the database of the pass. Hypothesis starts the clock somewhere in 2025-09 … 2026-11 and
then, in any order: moves the clock by hours or days (skipping scheduled runs), runs the scheduled
job (advance, the chase, the district digests), runs it twice at the same moment, completes an open
task with valid evidence as someone who may, acknowledges a reminder, asks for more time, decides a
request. After every step, and inside every run:

(a) no step is open or done before its predecessor is done;
(b) each run fires exactly the rungs the pack's ladder says (tests/properties/ladder_oracle.py, from
    the due dates, the chase-day calendar, what fired before and the acknowledgements), queues exactly
    the digests for the people those rungs name, raises the district's inbox items and the task levels;
(c) nothing open at month end is lost: each open task of a month that closes is carried once into the
    school's new month with its lineage and due date; steps never reached become "missed step" work;
    every chain ends in one open task of an open cycle or a done one;
(d) a second run at the same moment changes nothing (tests/state_snapshot.py);
(e) check_consistency() finds nothing.

Budget: the "ci" profile (derandomized) runs in well under a minute per database on a quiet machine;
XINYU_HYPOTHESIS_PROFILE=long explores much more (minutes), random each time.
"""

import os
import random
import shutil
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import ChaseEvent, Cycle, Escalation, Extension, OutboxMessage, RoleAssignment, School, Step, Task
from tests.conftest import TEST_DB, empty_postgresql
from tests.factories import make_school
from tests.properties.ladder_oracle import Fire, OpenWork, expected_digest_keys, expected_fires
from tests.state_snapshot import describe_difference, snapshot
from xinyu.chase import queue_district_digests, run_chase
from xinyu.chase.extensions import ExtensionError, acknowledge_task, decide_extension, request_extension
from xinyu.clock import SHANGHAI, local_date
from xinyu.consistency import check_consistency
from xinyu.cycle import PackBook, advance, complete_task
from xinyu.db import make_engine, transaction
from xinyu.packs import Pack
from xinyu.roles import Role
from xinyu.simulation import auto_evidence, decisions_text

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
_NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)  # a failing run can take minutes to shrink
_EXAMPLES = 16 if TEST_DB == "sqlite" else 10  # about the same time on both (PostgreSQL empties ~40 tables each)
PROFILES = {
    # CI: the same examples every time, reported as found; "minimise" replays them and shrinks a failure.
    "ci": settings(max_examples=_EXAMPLES, stateful_step_count=30, deadline=None, derandomize=True, database=None,
                   phases=_NO_SHRINK, suppress_health_check=_QUIET),
    "minimise": settings(max_examples=_EXAMPLES, stateful_step_count=30, deadline=None, derandomize=True, database=None,
                         suppress_health_check=_QUIET),
    # Local exploration: new random examples each time, shrunk when one fails.
    "long": settings(max_examples=300, stateful_step_count=60, deadline=None, suppress_health_check=_QUIET),
}
SETTINGS = PROFILES[os.environ.get("XINYU_HYPOTHESIS_PROFILE", "ci")]

FIRST_DAY, LAST_START = date(2025, 9, 1), date(2026, 11, 15)
END = datetime(2026, 12, 31, 20, 0, tzinfo=SHANGHAI)  # chinesecalendar knows 2025–2026


class Databases:
    """A fresh database per example: a copy of the migrated SQLite file, or the PostgreSQL tables emptied."""

    def __init__(self, template: str, folder: Path) -> None:
        self.template, self.folder = template, folder

    def fresh(self) -> tuple[Engine, Path | None]:
        if TEST_DB == "sqlite":
            path = self.folder / f"example-{uuid.uuid4().hex[:8]}.db"
            shutil.copy(self.template, path)
            return make_engine(f"sqlite:///{path}"), path
        empty_postgresql(self.template)  # the shipped packs stay installed, as in every other test
        return make_engine(self.template), None


class CycleMachine(RuleBasedStateMachine):
    def __init__(self, databases: Databases, book: PackBook) -> None:
        super().__init__()
        self.databases, self.book = databases, book
        self.packs: dict[str, Pack] = {p: book.pack(p) for p in ("qingdao", "ganzhou")}
        self.engine: Engine | None = None
        self.path: Path | None = None
        self.now = datetime.combine(FIRST_DAY, datetime.min.time(), SHANGHAI)
        self.runs = 0

    # The world ----------------------------------------------------------------------------------------------

    @initialize(start=st.dates(FIRST_DAY, LAST_START), hour=st.integers(6, 21), classes=st.integers(1, 2),
                homeroom=st.booleans())
    def build_world(self, start: date, hour: int, classes: int, homeroom: bool) -> None:
        self.engine, self.path = self.databases.fresh()
        with transaction(self.engine) as session:
            make_school(session, name="青岛市实验小学", grades=(4,), classes_per_grade=2, pack="qingdao")
            make_school(session, name="赣州市第一中学", district_name="章贡区", grades=(7,),
                        classes_per_grade=classes, pack="ganzhou", homeroom=homeroom)
            # Half the staff have a phone: their digests go by SMS too.
            session.execute(text("UPDATE person SET phone = '1380000' || cast(id AS varchar) WHERE id % 2 = 0"))
        self.now = datetime(start.year, start.month, start.day, hour, tzinfo=SHANGHAI)

    def teardown(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # The clock ----------------------------------------------------------------------------------------------

    @rule(hours=st.integers(1, 30))
    def wait_hours(self, hours: int) -> None:
        self.now = min(self.now + timedelta(hours=hours), END)

    @rule(days=st.integers(2, 12), hour=st.integers(6, 21))
    def skip_days(self, days: int, hour: int) -> None:
        """Days without a run (the scheduler was down, a holiday): escalations must catch up."""
        day = local_date(self.now) + timedelta(days=days)
        self.now = min(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), END)

    # The scheduled job --------------------------------------------------------------------------------------

    @rule()
    def run(self) -> None:
        self.scheduled_run()

    @rule()
    def run_twice(self) -> None:
        """(d) The same run again at the same moment changes nothing."""
        assert self.engine is not None
        self.scheduled_run()
        before = snapshot(self.engine)
        self.scheduled_run()
        assert describe_difference(before, snapshot(self.engine)) == ""

    def scheduled_run(self) -> None:
        assert self.engine is not None
        today = local_date(self.now)
        with transaction(self.engine) as session:
            month_end = _open_work_by_cycle(session)
            advance(session, now=self.now, book=self.book)
            session.flush()
            _check_carried(session, month_end)
            work = {w.task_id: w for w in _open_work(session)}
            fired = _fired(session)
            last_event = session.exec(select(ChaseEvent.id).order_by(col(ChaseEvent.id).desc())).first() or 0
            keys_before = set(session.exec(select(OutboxMessage.dedupe_key)))
            levels_before = {w or 0: lv for w, lv in session.exec(select(Task.id, Task.escalation_level)
                                                                   .where(col(Task.id).in_(list(work))))}
            run_chase(session, now=self.now, book=self.book)
            session.flush()
            expected = expected_fires(list(work.values()), fired, today, self.packs)
            events = session.exec(select(ChaseEvent).where(col(ChaseEvent.id) > last_event))
            got = {Fire(e.task_id, e.lineage_id, e.rung, e.occasion, e.level, e.offset) for e in events}
            assert got == expected, _fires_difference(expected, got, self.now)
            for level in sorted({f.level for f in expected}):
                event(f"a run fired {level} rungs")
            new_keys = set(session.exec(select(OutboxMessage.dedupe_key))) - keys_before
            digests = expected_digest_keys(expected, work, self.packs, today, _leaders(session), _contacts(session))
            assert {k for k in new_keys if k.startswith("chase:")} == digests
            _check_escalated(session, expected, levels_before)
            queue_district_digests(session, now=self.now, book=self.book)
        self.runs += 1

    # People -------------------------------------------------------------------------------------------------

    @rule(data=st.data(), as_leader=st.booleans())
    def complete(self, data: st.DataObject, as_leader: bool) -> None:
        assert self.engine is not None
        with transaction(self.engine) as session:
            work = _open_work(session)
            if not work:
                return
            task = session.get(Task, data.draw(st.sampled_from(sorted(w.task_id for w in work)), label="task"))
            assert task is not None and task.id is not None
            origin = session.get(Cycle, task.origin_cycle_id)
            assert origin is not None
            by = _leader(session, task.school_id) if as_leader or task.assignee_id is None else task.assignee_id
            complete_task(session, task_id=task.id, values=self.evidence(session, task, origin), now=self.now,
                          book=self.book, by=by)

    def evidence(self, session: Session, task: Task, origin: Cycle) -> dict[str, Any]:
        """What the simulated people write (xinyu.simulation): valid for the pack's form."""
        today, work = local_date(self.now), self.book.calendar(origin.pack)
        template = self.book.template(origin.pack, origin.month, task.step_key, task.template)
        values = auto_evidence(template.evidence, random.Random(f"{task.id}"), today)
        if template.action == "meeting_minutes":
            values["decisions"] = decisions_text(today, work)
        return values

    @rule(data=st.data())
    def acknowledge(self, data: st.DataObject) -> None:
        assert self.engine is not None
        with transaction(self.engine) as session:
            work = [w for w in _open_work(session) if w.assignee_id is not None]
            if work:
                chosen = data.draw(st.sampled_from(work), label="acknowledged")
                acknowledge_task(session, task_id=chosen.task_id, by=chosen.assignee_id or 0, now=self.now)

    @rule(data=st.data(), workdays=st.integers(1, 6))
    def ask_for_time(self, data: st.DataObject, workdays: int) -> None:
        assert self.engine is not None
        with transaction(self.engine) as session:
            waiting = set(session.exec(select(Extension.task_id).where(Extension.status == "requested")))
            work = [w for w in _open_work(session) if w.assignee_id is not None and w.task_id not in waiting]
            if work:
                chosen = data.draw(st.sampled_from(work), label="asks for time")
                request_extension(session, task_id=chosen.task_id, by=chosen.assignee_id or 0, workdays=workdays,
                                  reason="迎检任务冲突", now=self.now, book=self.book)

    @rule(data=st.data(), approve=st.booleans())
    def decide(self, data: st.DataObject, approve: bool) -> None:
        assert self.engine is not None
        with transaction(self.engine) as session:
            requests = list(session.exec(
                select(Extension.id, Task.school_id).join(Task, col(Task.id) == col(Extension.task_id))
                .where(Extension.status == "requested", Task.status == "open").order_by(col(Extension.id))))
            if requests:
                extension_id, school_id = data.draw(st.sampled_from(requests), label="decided")
                try:
                    decide_extension(session, extension_id=extension_id or 0, by=_leader(session, school_id),
                                     approve=approve, now=self.now, book=self.book)
                except ExtensionError as exc:
                    raise AssertionError(f"a waiting request on open work could not be decided: {exc}") from exc

    # After every step ---------------------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        """(e) and (a), (c) over the whole history."""
        if self.engine is None:
            return
        with Session(self.engine) as session:
            assert check_consistency(session, self.book) == []
            _check_step_order(session)
            _check_chains(session)


def test_the_cycle_keeps_its_promises(database_template: str, tmp_path: Path, book: PackBook) -> None:
    run_state_machine_as_test(lambda: CycleMachine(Databases(database_template, tmp_path), book),  # type: ignore[arg-type]
                              settings=SETTINGS)


# Reading the state --------------------------------------------------------------------------------------------

def _open_work(session: Session) -> list[OpenWork]:
    rows = session.execute(
        sa_select(col(Task.id), col(Task.lineage_id), col(Task.school_id), col(Task.kind), col(Task.due),
                  col(Task.assignee_id), col(Task.acknowledged_at), col(School.pack))
        .join(Cycle, col(Cycle.id) == col(Task.cycle_id)).join(School, col(School.id) == col(Task.school_id))
        .where(col(Task.status) == "open", col(Cycle.status) == "open").order_by(col(Task.id)))
    return [OpenWork(task_id, lineage or task_id, school, kind, due, assignee, acknowledged, pack)
            for task_id, lineage, school, kind, due, assignee, acknowledged, pack in rows]


def _open_work_by_cycle(session: Session) -> dict[int, dict[str, Any]]:
    """Each open cycle's open tasks and unstarted steps, just before a run."""
    found: dict[int, dict[str, Any]] = {}
    for cycle in session.exec(select(Cycle).where(Cycle.status == "open")):
        assert cycle.id is not None
        tasks = list(session.exec(select(Task).where(Task.cycle_id == cycle.id, Task.status == "open")))
        pending = list(session.exec(select(Step.id).where(Step.cycle_id == cycle.id, Step.status == "pending")))
        found[cycle.id] = {"school": cycle.school_id, "tasks": [(t.id, t.lineage_id or t.id, t.due) for t in tasks],
                           "pending": pending}
    return found


def _fired(session: Session) -> dict[int, set[tuple[str, str]]]:
    fired: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for lineage, rung, occasion in session.exec(select(ChaseEvent.lineage_id, ChaseEvent.rung, ChaseEvent.occasion)):
        fired[lineage].add((rung, occasion))
    return fired


def _leaders(session: Session) -> dict[int, list[int]]:
    leaders: dict[int, list[int]] = defaultdict(list)
    for person, school in session.exec(select(RoleAssignment.person_id, RoleAssignment.school_id)
                                       .where(RoleAssignment.role == Role.leader.value)
                                       .order_by(col(RoleAssignment.person_id))):
        if school is not None:
            leaders[school].append(person)
    return leaders


def _leader(session: Session, school_id: int) -> int:
    return _leaders(session)[school_id][0]


def _contacts(session: Session) -> dict[int, tuple[bool, bool]]:
    rows = session.execute(text("SELECT id, email, phone FROM person"))
    return {person: (bool(email), bool(phone)) for person, email, phone in rows}


# The properties -----------------------------------------------------------------------------------------------

def _check_carried(session: Session, month_end: dict[int, dict[str, Any]]) -> None:
    """(c) A month closed by this run lost nothing: its open work is in the school's new month, once."""
    for cycle_id, before in month_end.items():
        cycle = session.get(Cycle, cycle_id)
        assert cycle is not None
        if cycle.status == "open":
            continue
        event("a month closed" + (" with open work" if before["tasks"] else ""))
        new = session.exec(select(Cycle).where(Cycle.school_id == before["school"], Cycle.status == "open")).one()
        for task_id, lineage, due in before["tasks"]:
            old = session.get(Task, task_id)
            assert old is not None and old.status == "carried", f"task {task_id} open at month end: {old}"
            successors = list(session.exec(select(Task).where(Task.carried_from_id == task_id)))
            assert len(successors) == 1, f"task {task_id} carried {len(successors)} times"
            (successor,) = successors
            assert (successor.cycle_id, successor.lineage_id, successor.due, successor.status) == (
                new.id, lineage, due, "open"), f"task {task_id} carried as {successor}"
        for step_id in before["pending"]:
            missed = list(session.exec(select(Task).where(Task.key == f"missed:{step_id}")))
            assert [t.cycle_id for t in missed] == [new.id], f"step {step_id} never reached: {missed}"


def _check_escalated(session: Session, fired: set[Fire], levels_before: dict[int, str]) -> None:
    """A district rung raises the inbox item for its due date; a task's level is the highest rung fired."""
    rank = {"none": 0, "reminder": 0, "school": 1, "district": 2}
    wanted: dict[int, str] = dict(levels_before)
    for fire in fired:
        if rank[fire.level] > rank[wanted.get(fire.task_id, "none")]:
            wanted[fire.task_id] = fire.level
        if fire.level == "district":
            item = session.exec(select(Escalation).where(Escalation.lineage_id == fire.lineage,
                                                         Escalation.reason == "overdue",
                                                         Escalation.occasion == fire.occasion)).one()
            assert item.status == "new" and item.task_id == fire.task_id
    for task_id, level in wanted.items():
        task = session.get(Task, task_id)
        assert task is not None and task.escalation_level == level, (task_id, task and task.escalation_level, level)


def _check_step_order(session: Session) -> None:
    """(a) Walking a cycle's steps in order, none is open or done after one that is not done."""
    by_cycle: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for cycle_id, order, key, status in session.exec(select(Step.cycle_id, Step.order, Step.key, Step.status)):
        by_cycle[cycle_id].append((order, key, status))
    for cycle_id, steps in by_cycle.items():
        blocked = None
        for _, key, status in sorted(steps):
            assert not (blocked and status in ("open", "done")), f"cycle {cycle_id}: {key} {status} after {blocked}"
            if status != "done":
                blocked = blocked or f"{key} ({status})"


def _check_chains(session: Session) -> None:
    """(c) Every carried chain ends in one open task of an open cycle, or in a done one."""
    chains: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    rows = session.exec(select(Task.id, Task.lineage_id, Task.status, Cycle.status)
                        .join(Cycle, col(Cycle.id) == col(Task.cycle_id)))
    for task_id, lineage, status, cycle_status in rows:
        assert task_id is not None
        chains[lineage or task_id].append((task_id, status, cycle_status))
    for lineage, chain in chains.items():
        *before, (last_id, last, cycle_status) = sorted(chain)
        assert all(status == "carried" for _, status, _ in before), f"chain {lineage}: {sorted(chain)}"
        assert last == "done" or (last == "open" and cycle_status == "open"), f"chain {lineage}: {sorted(chain)}"


def _fires_difference(expected: set[Fire], got: set[Fire], now: datetime) -> str:
    missing = sorted(expected - got, key=repr)
    extra = sorted(got - expected, key=repr)
    return f"run at {now:%Y-%m-%d %H:%M}: ladder says {len(expected)} rungs; missing {missing}; unexpected {extra}"
