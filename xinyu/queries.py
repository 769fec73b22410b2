"""Read models for people and other tools: task lists with the evidence form each task asks for."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models import Cycle, Person, School, SchoolClass, Task
from xinyu.cycle.evidence import describe_fields
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.cycle.system_templates import SYSTEM_STEP_LABELS
from xinyu.grades import grade_label
from xinyu.roles import role_label

TASK_STATUSES = ("open", "overdue", "done", "carried")


@dataclass(frozen=True)
class TaskFilter:
    school: str | None = None
    role: str | None = None  # role value
    status: str | None = None  # one of TASK_STATUSES
    month: str | None = None  # default: the open cycles
    assignee_id: int | None = None


def task_status(task: Task, overdue_cutoff_by_pack: dict[tuple[str, str], date], pack: tuple[str, str]) -> str:
    """`pack`: (pack id, version) of the cycle that made the task."""
    if task.status == TaskStatus.open and task.due < overdue_cutoff_by_pack[pack]:
        return "overdue"
    return str(task.status)


def list_tasks(
    session: Session, *, today: date, book: PackBook, where: TaskFilter = TaskFilter()
) -> list[dict[str, Any]]:
    """Tasks as plain dicts (the `xinyu tasks --json` contract)."""
    origin = aliased(Cycle)
    query = (
        sa_select(Task, col(School.name), col(Cycle.month), col(origin.pack), col(origin.pack_version),
                  col(origin.month), col(Person.name),
                  SchoolClass)
        .join(School, col(School.id) == col(Task.school_id))
        .join(Cycle, col(Cycle.id) == col(Task.cycle_id))
        .join(origin, col(origin.id) == col(Task.origin_cycle_id))
        .outerjoin(Person, col(Person.id) == col(Task.assignee_id))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Task.class_id))
        .order_by(col(School.name), col(Task.due), col(Task.id))
    )
    if where.month:
        query = query.where(col(Cycle.month) == where.month)
    else:
        query = query.where(col(Cycle.status) == CycleStatus.open)
    if where.school:
        query = query.where(col(School.name) == where.school)
    if where.role:
        query = query.where(col(Task.role) == where.role)
    if where.assignee_id is not None:
        query = query.where(col(Task.assignee_id) == where.assignee_id)
    if where.status in ("done", "carried"):
        query = query.where(col(Task.status) == where.status)
    elif where.status in ("open", "overdue"):
        query = query.where(col(Task.status) == TaskStatus.open)
    else:
        query = query.where(col(Task.status) != TaskStatus.carried)
    cutoffs: dict[tuple[str, str], date] = {}
    rows = []
    for task, school, month, pack, version, origin_month, assignee, school_class in session.execute(query):
        if (pack, version) not in cutoffs:
            cutoffs[(pack, version)] = book.calendar(pack, version).overdue_cutoff(today)
        status = task_status(task, cutoffs, (pack, version))
        if where.status and status != where.status:
            continue
        template = book.template(pack, origin_month, task.step_key, task.template, version=version)
        rows.append({
            "id": task.id,
            "school": school,
            "month": month,
            "step": task.step_key,
            "step_label": _step_label(book, pack, version, origin_month, task.step_key),
            "title": task.title,
            "kind": task.kind,
            "role": role_label(task.role),
            "role_code": task.role,
            "assignee": assignee,
            "class": f"{grade_label(school_class.grade)}{school_class.name}" if school_class else None,
            "due": task.due.isoformat(),
            # 推定: that year's schedule not imported
            "due_estimated": book.calendar(pack, version).is_estimated(task.due),
            "status": status,
            "carried_over": task.carried_over,
            "escalation_level": task.escalation_level,
            "acknowledged": task.acknowledged_at is not None,
            "clause": task.clause,
            "clause_text": book.pack(pack).clause_text(task.clause),  # "" when the pack does not quote it
            "responsible": template.responsible_unit,  # 责任单位 (HLJ-all): the pack's, else the role's label
            "fields": describe_fields(template.evidence),
        })
    return rows


def _step_label(book: PackBook, pack: str, version: str, month: str, step_key: str) -> str:
    if step_key in SYSTEM_STEP_LABELS:
        return SYSTEM_STEP_LABELS[step_key]
    try:
        return book.pack(pack, version).step(int(month[5:]), step_key).label
    except StopIteration:
        return step_key
