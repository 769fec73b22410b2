"""The school's monthly report to the district (QD-G4 feedback): counts and rates, no student names."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import CrisisCase, Cycle, Step, Task
from xinyu.clock import as_local
from xinyu.courses.status import ClassCourseStatus
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import LABELS, StepStatus, TaskStatus
from xinyu.packs import tier_label
from xinyu.render import render


@dataclass
class StepLine:
    label: str
    status: str
    due: str
    done_on: str
    on_time: bool | None


class StepRow(NamedTuple):
    key: str
    status: str
    calendar_due: date
    due: date | None
    done_at: datetime | None


class TaskRow(NamedTuple):
    """What the report counts of a task (a Task object has the same attributes)."""

    id: int
    status: str
    completed_at: datetime | None
    due: date
    carried_over: bool


@dataclass
class ReportFacts:
    """What a school's report says besides the evidence and the classes' "1+1" statuses."""

    school: str
    steps: list[StepRow]
    tasks: list[TaskRow]  # the cycle's tasks as they are now
    open_cases: dict[str, int]  # unclosed crisis cases by level
    ledgers_reviewed: list[str]


def load_steps(session: Session, cycle_ids: Collection[int]) -> dict[int, list[StepRow]]:
    steps: dict[int, list[StepRow]] = defaultdict(list)
    for cycle_id, *row in session.exec(
        select(Step.cycle_id, Step.key, Step.status, Step.calendar_due, Step.due,  # type: ignore[call-overload]
               Step.done_at).where(col(Step.cycle_id).in_(cycle_ids)).order_by(col(Step.order))
    ):
        steps[cycle_id].append(StepRow(*row))
    return steps


def load_tasks(session: Session, cycle_ids: Collection[int]) -> dict[int, list[TaskRow]]:
    tasks: dict[int, list[TaskRow]] = defaultdict(list)
    for cycle_id, *row in session.exec(
        select(Task.cycle_id, Task.id, Task.status, Task.completed_at, Task.due,  # type: ignore[call-overload]
               Task.carried_over).where(col(Task.cycle_id).in_(cycle_ids))
    ):
        tasks[cycle_id].append(TaskRow(*row))
    return tasks


def count_open_cases(session: Session, school_ids: Collection[int]) -> dict[int, dict[str, int]]:
    cases: dict[int, dict[str, int]] = defaultdict(dict)
    for school_id, level, n in session.exec(
        select(CrisisCase.school_id, CrisisCase.level, func.count())  # type: ignore[call-overload]
        .where(col(CrisisCase.school_id).in_(school_ids), col(CrisisCase.closed_at).is_(None))
        .group_by(col(CrisisCase.school_id), col(CrisisCase.level))
    ):
        cases[school_id][level] = n
    return cases


def render_monthly_report(
    *, cycle: Cycle, book: PackBook, now: datetime, evidence: dict[str, Any], facts: ReportFacts,
    classes: list[ClassCourseStatus], qd2: dict[str, Any] | None = None,
) -> str:
    pack = book.pack(cycle.pack, cycle.pack_version)
    month_number = int(cycle.month[5:])
    steps = []
    for step in facts.steps:
        due = step.due or step.calendar_due
        done_on = as_local(step.done_at).date() if step.done_at else None
        steps.append(StepLine(
            label=pack.step(month_number, step.key).label, status=LABELS[step.status], due=due.isoformat(),
            done_on=done_on.isoformat() if done_on else "—",
            on_time=(done_on <= due) if done_on else None if step.status != StepStatus.done else False,
        ))
    tasks = facts.tasks
    done = [t for t in tasks if t.status == TaskStatus.done]
    on_time = [t for t in done if t.completed_at and as_local(t.completed_at).date() <= t.due]
    return render(
        "monthly_report.txt.j2", school=facts.school, month=cycle.month, steps=steps,
        tasks_total=len(tasks), tasks_done=len(done), tasks_on_time=len(on_time),
        tasks_carried_in=sum(1 for t in tasks if t.carried_over),
        tasks_open=sum(1 for t in tasks if t.status == TaskStatus.open),
        classes=len(classes), classes_ok=sum(1 for c in classes if c.ok),
        classes_at_risk=sum(1 for c in classes if c.semester_at_risk),
        open_cases=facts.open_cases,
        ledgers_reviewed=[tier_label(pack, ledger) or ledger for ledger in facts.ledgers_reviewed],  # JN-3
        tiers=pack.tiers,
        summary=evidence.get("summary", ""), issues=evidence.get("issues", ""),
        written_on=as_local(now).date().isoformat(), qd2=qd2,
    )
