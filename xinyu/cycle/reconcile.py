"""Moving cycles forward: the idempotent reconciler behind `advance` (DESIGN principle 1).

It reads the state and the clock, opens steps whose predecessor is done and whose earliest date has
come, creates their tasks, and marks steps done when their tasks and ledgers are. Running it twice at
the same time changes nothing the second time.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, case, func, inspect
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from models import Cycle, LedgerReview, Step, Task
from xinyu.clock import as_local, local_date
from xinyu.cycle.hooks import run_step_hook
from xinyu.cycle.opening import OpenResult, open_month
from xinyu.cycle.org_index import OrgIndex, load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.schedule import due_on_opening, month_of, opens_on, task_due
from xinyu.cycle.states import CycleStatus, StepStatus, TaskStatus, check_step_move
from xinyu.cycle.task_factory import TASKS, template_task_rows
from xinyu.db import among, insert_rows
from xinyu.locks import lock_schools
from xinyu.packs import StepRule


@dataclass
class ReconcileResult:
    cycles: int = 0
    steps_opened: int = 0
    steps_done: int = 0
    tasks_created: int = 0
    opened: OpenResult = field(default_factory=OpenResult)


@dataclass
class TemplateTally:
    """What exists of one template's tasks in one step."""

    created: int = 0
    open_blocking: int = 0
    last_done: datetime | None = None


def advance(
    session: Session, *, now: datetime, book: PackBook, school_ids: Iterable[int] | None = None
) -> ReconcileResult:
    """The whole job of a scheduled run: make sure this month is open, then move every cycle on."""
    ids = list(school_ids) if school_ids is not None else None
    opened = open_month(session, month=month_of(local_date(now)), now=now, book=book, school_ids=ids)
    result = reconcile(session, now=now, book=book, school_ids=ids)
    result.opened = opened
    return result


def reconcile(
    session: Session, *, now: datetime, book: PackBook, school_ids: Iterable[int] | None = None,
    month: str | None = None,
) -> ReconcileResult:
    """Move every open cycle (of `month` only, when given) as far as the clock allows."""
    school_ids = list(school_ids) if school_ids is not None else None
    lock_schools(session, school_ids)  # one mover per school at a time: a second waits, then sees the steps moved
    query = select(Cycle).where(Cycle.status == CycleStatus.open).order_by(col(Cycle.id))
    if school_ids is not None:
        query = query.where(among(session, Cycle.school_id, school_ids))
    if month is not None:
        query = query.where(Cycle.month == month)
    cycles = list(session.exec(query))
    result = ReconcileResult(cycles=len(cycles))
    if not cycles:
        return result
    cycle_ids = [c.id for c in cycles]
    steps: dict[int, list[Step]] = defaultdict(list)
    for step in session.exec(select(Step).where(among(session, Step.cycle_id, cycle_ids)).order_by(col(Step.order))):
        steps[step.cycle_id].append(step)
    tallies = _tally_tasks(session, cycle_ids)
    reviewed = _reviewed_ledgers(session, cycle_ids)
    run = _Run(session=session, now=now, today=local_date(now), book=book, tallies=tallies, result=result,
               school_ids={c.school_id for c in cycles})
    run.org_schools = {c.school_id for c in cycles if run.may_create_tasks(c, steps[c.id or 0])}
    with session.no_autoflush:  # the steps moved are written once, below: the loop reads only the org index
        for cycle in cycles:
            run.move_cycle(cycle, steps[cycle.id or 0], reviewed.get(cycle.id or 0, set()))
        _write_steps(session, [step for cycle_steps in steps.values() for step in cycle_steps])
    run.run_hooks()
    run.flush_tasks()
    return result


@dataclass
class _Run:
    session: Session
    now: datetime
    today: date
    book: PackBook
    tallies: dict[tuple[int, str], TemplateTally]
    result: ReconcileResult
    school_ids: set[int]
    org_schools: set[int] = field(default_factory=set)  # whose cycles may create tasks in this run
    _org: OrgIndex | None = None
    _org_schools: set[int] = field(default_factory=set)
    _new_tasks: list[dict[str, Any]] = field(default_factory=list)
    _hooks: dict[str, list[tuple[Cycle, Step]]] = field(default_factory=dict)  # on_open name → steps opened

    def move_cycle(self, cycle: Cycle, steps: list[Step], reviewed: set[str]) -> None:
        self.move_steps(cycle, steps, reviewed)
        self.open_windows(cycle, steps)  # after the steps moved: a step opened just now gets its window's tasks

    def move_steps(self, cycle: Cycle, steps: list[Step], reviewed: set[str]) -> None:
        pack = self.book.pack(cycle.pack, cycle.pack_version)
        month_number = int(cycle.month[5:7])
        for step in steps:
            rule = pack.step(month_number, step.key)
            if step.status == StepStatus.pending:
                if self.today < step.earliest:
                    return
                self.open_step(cycle, step, rule)
            if step.status == StepStatus.open:
                self.create_waiting_tasks(cycle, step, rule)
                if not self.step_complete(cycle, step, rule, reviewed):
                    return
                step.status = check_step_move(step.status, StepStatus.done)
                step.done_at = self.last_done(cycle, step, rule) or self.now
                self.result.steps_done += 1
            if step.status != StepStatus.done:
                return

    def may_create_tasks(self, cycle: Cycle, steps: list[Step]) -> bool:
        """Whether moving this cycle now could create tasks (a superset of move_cycle's cases): a step that
        may open, a later phase whose earlier one has no open work, or a date window that has begun. On most
        days few schools can."""
        if any(self.windows_due(cycle, step) for step in steps):
            return True
        for step in steps:
            if step.status == StepStatus.pending:
                return self.today >= step.earliest
            if step.status == StepStatus.open:
                templates = self.templates(cycle, step)
                if any(t.after and not self.tally(step, t.key).created and not self.tally(step, t.after).open_blocking
                       for t in templates):
                    return True
                if any(t.blocks_step and self.tally(step, t.key).open_blocking for t in templates):
                    return False  # the step cannot finish now, so no later step opens
        return False

    def open_step(self, cycle: Cycle, step: Step, rule: StepRule) -> None:
        work = self.book.calendar(cycle.pack, cycle.pack_version)
        step.status = check_step_move(step.status, StepStatus.open)
        step.opened_at = self.now
        step.due = due_on_opening(step.calendar_due, self.today, rule, work)
        self.result.steps_opened += 1
        for template in self.templates(cycle, step):
            if template.after is None and opens_on(template, cycle.month) is None:
                self.add_tasks(cycle, step, template)
        if rule.on_open:
            self._hooks.setdefault(rule.on_open, []).append((cycle, step))

    def windows_due(self, cycle: Cycle, step: Step) -> list[Any]:
        """A date window's templates (JL-3) of an opened step whose first day in this month has come and whose
        tasks do not exist yet: they open then, whether the step is still open or already done."""
        if step.status == StepStatus.pending:
            return []
        return [t for t in self.templates(cycle, step)
                if (start := opens_on(t, cycle.month)) is not None and start <= self.today
                and not self.tally(step, t.key).created]

    def open_windows(self, cycle: Cycle, steps: list[Step]) -> None:
        for step in steps:
            for template in self.windows_due(cycle, step):
                self.add_tasks(cycle, step, template)

    def create_waiting_tasks(self, cycle: Cycle, step: Step, rule: StepRule) -> None:
        """Second-phase tasks (e.g. the psychology teacher's consolidation) once the first phase is done."""
        for template in self.templates(cycle, step):
            if template.after is None or self.tally(step, template.key).created:
                continue
            before = self.tally(step, template.after)
            if before.open_blocking == 0 and self.phase_started(cycle, step, template.after):
                self.add_tasks(cycle, step, template, rule)

    def phase_started(self, cycle: Cycle, step: Step, template_key: str) -> bool:
        # A per-class phase with no classes counts as done; otherwise its tasks must exist.
        template = next(t for t in self.templates(cycle, step) if t.key == template_key)
        return self.tally(step, template_key).created > 0 or not self.expected_rows(cycle, step, template)

    def step_complete(self, cycle: Cycle, step: Step, rule: StepRule, reviewed: set[str]) -> bool:
        for template in self.templates(cycle, step):
            tally = self.tally(step, template.key)
            if template.blocks_step and tally.open_blocking:
                return False
            if template.after and not tally.created and self.expected_rows(cycle, step, template):
                return False
        return set(rule.ledgers_required) <= reviewed

    def last_done(self, cycle: Cycle, step: Step, rule: StepRule) -> datetime | None:
        times = [t.last_done for t in (self.tally(step, x.key) for x in self.templates(cycle, step)) if t.last_done]
        return max((as_local(t) for t in times), default=None)

    def templates(self, cycle: Cycle, step: Step) -> tuple[Any, ...]:
        return self.book.pack(cycle.pack, cycle.pack_version).templates_for(int(cycle.month[5:7]), step.key)

    def tally(self, step: Step, template_key: str) -> TemplateTally:
        return self.tallies.setdefault((step.id or 0, template_key), TemplateTally())

    def expected_rows(self, cycle: Cycle, step: Step, template: Any) -> list[dict[str, Any]]:
        return template_task_rows(cycle=cycle, step_id=step.id or 0, step_key=step.key, template=template,
                                  org=self.org(cycle), due=step.due or step.calendar_due, now=self.now)

    def add_tasks(self, cycle: Cycle, step: Step, template: Any, rule: StepRule | None = None) -> None:
        """`rule` is given for a later phase: it starts when the earlier one is done, perhaps after the
        step's due date, and then gets the step's minimum working days (nobody is late on arrival)."""
        assert step.due is not None
        due = task_due(template, step.due, cycle.month)
        if rule is not None:
            work = self.book.calendar(cycle.pack, cycle.pack_version)
            due = max(due, work.add_workdays(self.today, rule.min_workdays_after_open))
        rows = template_task_rows(cycle=cycle, step_id=step.id or 0, step_key=step.key, template=template,
                                  org=self.org(cycle), due=due, now=self.now)
        tally = self.tally(step, template.key)
        tally.created += len(rows)
        tally.open_blocking += sum(1 for r in rows if r["blocks_step"])
        self._new_tasks.extend(rows)
        self.result.tasks_created += len(rows)

    def org(self, cycle: Cycle) -> OrgIndex:
        # Loaded once, the first time any task needs an assignee: for the schools that may create tasks
        # (all of the run's, should another one ever need it).
        if self._org is None or cycle.school_id not in self._org_schools:
            wanted = self.org_schools if self._org is None and cycle.school_id in self.org_schools else self.school_ids
            self._org, self._org_schools = load_org_index(self.session, wanted), set(wanted)
        return self._org

    def run_hooks(self) -> None:
        """Each on_open hook once for all the steps it opened (before this run's new tasks are written,
        as if it had run when its step opened)."""
        if self._hooks:
            self.session.flush()
        for name, opened in self._hooks.items():
            run_step_hook(name, self.session, opened=opened, now=self.now, book=self.book)

    def flush_tasks(self) -> None:
        if self._new_tasks:
            insert_rows(self.session, TASKS, self._new_tasks)
            self._new_tasks.clear()
        self.session.flush()


def _write_steps(session: Session, steps: list[Step]) -> None:
    """The steps this run moved, with one executemany UPDATE per kind of move (opened, done, both). The ORM's
    flush would write a row at a time where a cycle's moves alternate (one step done, the next opened)."""
    groups: dict[tuple[str, ...], list[tuple[Step, dict[str, Any]]]] = defaultdict(list)
    for step in steps:
        state = inspect(step)
        changed = tuple(sorted(key for key in state.committed_state if state.attrs[key].history.has_changes()))
        if changed:
            groups[changed].append((step, {"step_id": step.id, **{key: getattr(step, key) for key in changed}}))
    table = Step.__table__  # type: ignore[attr-defined]
    for keys, moved in groups.items():
        statement = sa_update(table).where(table.c.id == bindparam("step_id")).values(
            {key: bindparam(key) for key in keys})
        session.execute(statement, [row for _, row in moved])
        for step, row in moved:  # written: the session has nothing left to flush for them
            for key in keys:
                set_committed_value(step, key, row[key])


def _tally_tasks(session: Session, cycle_ids: list[Any]) -> dict[tuple[int, str], TemplateTally]:
    is_open_blocking = (col(Task.status) == TaskStatus.open) & col(Task.blocks_step)
    rows = session.execute(
        sa_select(
            col(Task.step_id),
            col(Task.template),
            func.count(),
            func.sum(case((is_open_blocking, 1), else_=0)),
            func.max(Task.completed_at),
        )
        .where(among(session, Task.cycle_id, cycle_ids), col(Task.step_id).is_not(None))
        .group_by(col(Task.step_id), col(Task.template))
    )
    return {
        (step_id, template): TemplateTally(created=count, open_blocking=int(open_count or 0), last_done=last)
        for step_id, template, count, open_count, last in rows
    }


def _reviewed_ledgers(session: Session, cycle_ids: list[Any]) -> dict[int, set[str]]:
    reviewed: dict[int, set[str]] = defaultdict(set)
    for cycle_id, ledger in session.exec(
        select(LedgerReview.cycle_id, LedgerReview.ledger).where(among(session, LedgerReview.cycle_id, cycle_ids))
    ):
        reviewed[cycle_id].add(ledger)
    return reviewed
