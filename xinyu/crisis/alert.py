"""What the people of the crisis relay see of a case (GZ-A2.2.7), behind the link their message carries.

The relay (class → grade → school) is told that a case was opened; a homeroom teacher or grade head is
not a ledger C reader. They see the case's number, level, school and class, who handles it and whether
the parents' being told is recorded, and the relay's instructions: never the student, the referral,
the outcome or any note. Only the people the relay tells and the case's handler may open it.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models import CrisisCase, Person, School, SchoolClass, Student, Task
from xinyu.access import AccessDenied, Viewer
from xinyu.chase.directory import load_directory
from xinyu.cycle.packbook import PackBook
from xinyu.grades import grade_label
from xinyu.roles import role_label
from xinyu.task_views import find_task


@dataclass(frozen=True)
class CrisisAlert:
    case_id: int
    code: str  # C-12
    school_id: int
    school: str
    class_label: str
    level: str
    opened_at: datetime | None
    handler: str | None  # the handler's name: whom to work with
    parents_informed_at: datetime | None
    closed: bool
    relay: list[str]  # role labels, class level first
    clause: str
    task_id: int | None  # the handler's same-day task, when this viewer may open it


def relay_people(session: Session, case: CrisisCase, school: School, book: PackBook) -> set[int]:
    """Who the relay told of this case: the holders of the pack's relay roles for the student's class."""
    rule = book.pack(school.pack).crisis
    student = session.get(Student, case.student_id)
    if rule is None or case.level not in rule.fast_path_levels or student is None or school.id is None:
        return set()
    directory = load_directory(session, [school.id], roles=rule.relay, class_ids=[student.class_id])
    return {p for role in rule.relay for p in directory.of_role(role, school_id=school.id, class_id=student.class_id)}


def crisis_alert(session: Session, viewer: Viewer, case_id: int, *, today: date, book: PackBook) -> CrisisAlert:
    case = session.get(CrisisCase, case_id)
    school = session.get(School, case.school_id) if case is not None else None
    if case is None or case.id is None or school is None or school.id is None:
        raise AccessDenied(f"crisis alert {case_id}")
    if viewer.person_id != case.handler_id and viewer.person_id not in relay_people(session, case, school, book):
        raise AccessDenied(f"crisis alert {case_id}")
    student = session.get(Student, case.student_id)
    klass = session.get(SchoolClass, student.class_id) if student is not None else None
    handler = session.get(Person, case.handler_id) if case.handler_id is not None else None
    task_id = session.exec(select(Task.id).where(Task.crisis_case_id == case.id).order_by(col(Task.id))).first()
    rule = book.pack(school.pack).crisis
    return CrisisAlert(
        case_id=case.id, code=f"C-{case.id}", school_id=school.id, school=school.name,
        class_label=f"{grade_label(klass.grade)}{klass.name}" if klass else "—", level=case.level,
        opened_at=case.opened_at, handler=handler.name if handler else None,
        parents_informed_at=case.parents_informed_at, closed=case.closed_at is not None,
        relay=[role_label(r) for r in rule.relay] if rule else [], clause=rule.relay_clause if rule else "",
        task_id=task_id if task_id is not None and find_task(session, viewer, task_id, today=today, book=book)
        else None)
