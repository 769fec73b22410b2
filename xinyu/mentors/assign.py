"""Naming a student's mentor (JL-3b): the new assignment starts, the previous one ends; both are kept."""

from datetime import date, datetime

from sqlmodel import Session, col, select

from models import MentorAssignment, Person, RoleAssignment, Student
from xinyu.history import record_change
from xinyu.roles import Role

HISTORY_KIND = "mentor_assignment"


class MentorError(ValueError):
    """An assignment that is refused; nothing was written."""


def _snapshot(row: MentorAssignment) -> dict[str, object]:
    return {"student_id": row.student_id, "mentor_id": row.mentor_id, "assigned_on": row.assigned_on.isoformat(),
            "ended_on": row.ended_on.isoformat() if row.ended_on else None}


def assign_mentor(session: Session, *, school_id: int, student_no: str, mentor_id: int, on: date,
                  by: int | None, now: datetime) -> MentorAssignment:
    """The student's mentor from `on`; a staff member of the school, not a student role holder."""
    student = session.exec(select(Student).where(Student.school_id == school_id,
                                                 Student.student_no == student_no.strip())).first()
    if student is None or student.id is None:
        raise MentorError(f"本校没有学号为 {student_no} 的学生")
    roles = set(session.exec(select(RoleAssignment.role).where(RoleAssignment.person_id == mentor_id,
                                                               RoleAssignment.school_id == school_id)))
    staff = {r for r in roles if not Role(r).is_student}
    if session.get(Person, mentor_id) is None or not staff:
        raise MentorError("导师须为本校教职工")
    current = session.exec(select(MentorAssignment).where(
        MentorAssignment.student_id == student.id, col(MentorAssignment.ended_on).is_(None))).first()
    if current is not None:
        if current.mentor_id == mentor_id:
            return current  # already this student's mentor: nothing changes
        if on < current.assigned_on:
            raise MentorError(f"更换日期 {on} 早于现任导师的配备日期 {current.assigned_on}")
        before = _snapshot(current)
        current.ended_on = on
        session.add(current)
        session.flush()
        record_change(session, kind=HISTORY_KIND, record_id=current.id or 0, school_id=school_id, by=by, now=now,
                      action="updated", before=before, after=_snapshot(current))
    row = MentorAssignment(school_id=school_id, student_id=student.id, mentor_id=mentor_id, assigned_on=on)
    session.add(row)
    session.flush()
    record_change(session, kind=HISTORY_KIND, record_id=row.id or 0, school_id=school_id, by=by, now=now,
                  action="created", before=None, after=_snapshot(row))
    return row
