"""Opening a month: every school gets its cycle and steps; the previous month's open work is carried."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models import Cycle, Extension, School, Step, Task
from xinyu.cycle.org_index import OrgIndex, load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.schedule import month_parts, step_dates
from xinyu.cycle.states import CycleStatus, StepStatus, TaskStatus
from xinyu.cycle.system_templates import MISSED_STEP
from xinyu.cycle.task_factory import STEPS, TASKS, task_row, template_task_rows
from xinyu.db import among, insert_rows
from xinyu.locks import lock_schools


@dataclass
class OpenResult:
    opened: int = 0
    already_open: int = 0
    closed: int = 0
    carried_tasks: int = 0
    superseded: int = 0  # schools already in a later month (a clock behind, or a month opened late): skipped


def open_month(
    session: Session, *, month: str, now: datetime, book: PackBook, school_ids: Iterable[int] | None = None
) -> OpenResult:
    """Create the month's cycle for each school that has none; close and carry over older open cycles."""
    _, number = month_parts(month)
    school_ids = list(school_ids) if school_ids is not None else None
    lock_schools(session, school_ids)  # a second opener waits here, then finds the cycles made
    query = select(School).order_by(col(School.id))
    if school_ids is not None:
        query = query.where(among(session, School.id, school_ids))
    schools = list(session.exec(query))
    ids = [s.id for s in schools]
    of_these = among(session, Cycle.school_id, ids)
    existing = set(session.exec(select(Cycle.school_id).where(Cycle.month == month, of_these)))
    # A past month is never opened behind a later one: its cycle would run and later be carried as late work.
    later = set(session.exec(select(Cycle.school_id).where(col(Cycle.month) > month, of_these)))
    result = OpenResult(already_open=len(existing), superseded=len(later - existing))
    new_cycles = []
    for school in schools:
        if school.id in existing or school.id in later:
            continue
        version = book.newest_version(school.pack)  # a new month opens on the newest installed version
        pack = book.pack(school.pack, version)
        assert school.id is not None
        new_cycles.append(Cycle(school_id=school.id, month=month, pack=pack.id, pack_version=str(version),
                                variant=pack.variant_for_month(number), status=CycleStatus.open, opened_at=now))
    session.add_all(new_cycles)
    session.flush()
    step_rows: list[dict[str, Any]] = []
    schedules: dict[tuple[str, str], list[tuple[int, str, date, date]]] = {}  # the same for every school of a pack
    for cycle in new_cycles:
        schedule = schedules.get((cycle.pack, cycle.pack_version))
        if schedule is None:
            pack, work = book.pack(cycle.pack, cycle.pack_version), book.calendar(cycle.pack, cycle.pack_version)
            schedule = schedules[(cycle.pack, cycle.pack_version)] = [
                (order, rule.key, *step_dates(rule, month, work))
                for order, rule in enumerate(pack.steps_for(number), start=1)]
        for order, key, earliest, calendar_due in schedule:
            step_rows.append({"cycle_id": cycle.id, "key": key, "order": order, "status": StepStatus.pending,
                              "earliest": earliest, "calendar_due": calendar_due, "due": None,
                              "opened_at": None, "done_at": None})
    if step_rows:
        insert_rows(session, STEPS, step_rows)
    result.opened = len(new_cycles)
    if new_cycles:
        result.closed, result.carried_tasks = _carry_over(session, new_cycles, now, book)
    return result


def _carry_over(session: Session, new_cycles: list[Cycle], now: datetime, book: PackBook) -> tuple[int, int]:
    """Close each school's earlier open cycle; its open tasks and unreached steps move to the new one."""
    by_school = {c.school_id: c for c in new_cycles}
    old_cycles = list(session.exec(
        select(Cycle).where(col(Cycle.school_id).in_(list(by_school)), Cycle.status == CycleStatus.open,
                            col(Cycle.month) < new_cycles[0].month)
    ))
    if not old_cycles:
        return 0, 0
    org = load_org_index(session, list(by_school))  # the carried work's assignees (only when there is some)
    old_ids = [c.id for c in old_cycles]
    open_tasks = list(session.exec(
        select(Task).where(col(Task.cycle_id).in_(old_ids), Task.status == TaskStatus.open).order_by(col(Task.id))
    ))
    unreached = list(session.exec(
        select(Step).where(col(Step.cycle_id).in_(old_ids), Step.status == StepStatus.pending)
    ))
    old_by_id = {c.id: c for c in old_cycles}
    rows = [_carried_row(task, by_school[task.school_id], now) for task in open_tasks]
    for step in unreached:
        old = old_by_id[step.cycle_id]
        target = by_school[old.school_id]
        label = book.pack(old.pack, old.pack_version).step(int(old.month[5:]), step.key).label
        rows.append(task_row(
            cycle=target, key=f"missed:{step.id}", template=MISSED_STEP, org=org, due=step.calendar_due,
            now=now, step_id=None, step_key=step.key, kind="missed", carried_over=True,
            title=f"补做{int(old.month[5:])}月未开启的步骤：{label}", origin_cycle_id=old.id,
        ))
    for step in session.exec(select(Step).where(col(Step.cycle_id).in_(old_ids), Step.status == StepStatus.open)):
        old = old_by_id[step.cycle_id]
        rows.extend(_unstarted_phases(session, step, old, by_school[old.school_id], org, now, book))
    if rows:
        insert_rows(session, TASKS, rows)
        _move_pending_extensions(session, [t.id for t in open_tasks if t.id is not None])
    for task in open_tasks:
        task.status = TaskStatus.carried
    for step in session.exec(select(Step).where(col(Step.cycle_id).in_(old_ids),
                                                 col(Step.status).in_([StepStatus.open, StepStatus.pending]))):
        step.status = StepStatus.carried
    for old in old_cycles:
        old.status, old.closed_at = CycleStatus.closed, now
    return len(old_cycles), len(rows)


def _move_pending_extensions(session: Session, old_ids: list[int]) -> None:
    """A request for more time still waiting when the month turns goes with the work into the new month,
    where the leader can still decide it (the old task is closed as carried)."""
    found = session.exec(select(Task.carried_from_id, Task.id).where(col(Task.carried_from_id).in_(old_ids)))
    successors = {old: new for old, new in found if old is not None and new is not None}
    if not successors:
        return
    for extension in session.exec(select(Extension).where(col(Extension.task_id).in_(list(successors)),
                                                           Extension.status == "requested")):
        extension.task_id = successors[extension.task_id]


def _unstarted_phases(
    session: Session, step: Step, old: Cycle, target: Cycle, org: OrgIndex, now: datetime, book: PackBook
) -> list[dict[str, Any]]:
    """A later phase of an open step that never started (e.g. the consolidation waiting for the class
    reports): carried too, or it would be lost with the old cycle (QD-G4)."""
    created = set(session.exec(select(Task.template).where(Task.step_id == step.id)))
    rows = []
    for template in book.pack(old.pack, old.pack_version).templates_for(int(old.month[5:]), step.key):
        if template.after is None or template.key in created:
            continue
        for row in template_task_rows(cycle=target, step_id=0, step_key=step.key, template=template, org=org,
                                      due=step.due or step.calendar_due, now=now):
            row.update(origin_cycle_id=old.id, step_id=None, key=f"carried:{step.id}:{row['key']}",
                       blocks_step=False, carried_over=True)
            rows.append(row)
    return rows


def _carried_row(task: Task, target: Cycle, now: datetime) -> dict[str, Any]:
    """The same work, in the new cycle, keeping its original due date (it stays late, visibly)."""
    return {
        "cycle_id": target.id, "origin_cycle_id": task.origin_cycle_id, "school_id": task.school_id,
        "step_id": None, "step_key": task.step_key,
        "template": task.template, "key": f"carried:{task.id}", "kind": task.kind, "blocks_step": False,
        "title": task.title, "role": task.role, "assignee_id": task.assignee_id, "class_id": task.class_id,
        "clause": task.clause, "due": task.due, "status": TaskStatus.open, "carried_over": True,
        "carried_from_id": task.id, "created_at": now, "completed_at": None, "completed_by_id": None,
        "evidence": {}, "lineage_id": task.lineage_id or task.id, "escalation_level": task.escalation_level,
        "acknowledged_at": task.acknowledged_at, "crisis_case_id": task.crisis_case_id,
    }
