"""Evidence that names students (`type: students`): student numbers picked from the task's class list.

The evidence keeps the student numbers (学号), never names: it may be summarised in messages and reports.
A pick of a field with `proposes: B` proposes a ledger B entry to the psychology teacher (xinyu.ledgers.proposals).
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import Student, Task
from xinyu.cycle.evidence import EvidenceError
from xinyu.packs import EvidenceField


def resolve_picks(session: Session, *, task: Task, fields: tuple[EvidenceField, ...], evidence: dict[str, Any]
                  ) -> dict[str, list[int]]:
    """Each students field's picks checked against the task's class (in place: `evidence` keeps the student
    numbers, an untouched field an empty list); returns field name → student ids."""
    picked: dict[str, list[int]] = {}
    for field in fields:
        if field.type != "students":
            continue
        numbers = list(evidence.get(field.name) or [])
        evidence[field.name] = numbers
        if not numbers:
            picked[field.name] = []
            continue
        if task.class_id is None:
            raise EvidenceError(f"“{field.label}”（{field.name}）只能在班级任务中填写")
        found = dict(session.exec(select(Student.student_no, Student.id).where(
            Student.class_id == task.class_id, col(Student.student_no).in_(numbers))).all())
        strangers = [n for n in numbers if n not in found]
        if strangers:
            raise EvidenceError(f"“{field.label}”（{field.name}）中 {'、'.join(strangers)} 不是本班学生的学号")
        picked[field.name] = [found[n] or 0 for n in numbers]
    return picked


def count_picks(value: Any) -> int:
    """How many students a students field names; an old integer count (before picks) is that number."""
    if isinstance(value, list | tuple):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 0
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def propose_picks(session: Session, *, task: Task, fields: tuple[EvidenceField, ...], picked: dict[str, list[int]],
                  by: int | None, now: datetime) -> int:
    """Proposals to ledger B for the picks of `proposes: B` fields; returns how many were made."""
    from xinyu.ledgers.proposals import propose

    students = [sid for f in fields if f.proposes == "B" for sid in picked.get(f.name, [])]
    if not students or task.class_id is None:
        return 0
    return len(propose(session, school_id=task.school_id, class_id=task.class_id, student_ids=students,
                       source="班级摸排", by=by, now=now, task_id=task.id))
