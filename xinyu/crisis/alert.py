"""What the people of the crisis relay see of a case (GZ-A2.2.7), behind the link their message carries.

The relay (class → grade → school → district) is told that a case was opened; a homeroom teacher, grade
head or district officer is not a ledger C reader. They see the case's number, level, school (and, inside
the school, the class), who handles it, whether the parents' being told is recorded, and what is asked of
them: never the student, the referral, the outcome or any note. Only the people the relay tells and the
case's handler may open it (others: 404).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models import CrisisCase, Person, School, SchoolClass, Student, Task
from xinyu.access import AccessDenied, Viewer
from xinyu.chase.directory import load_directory
from xinyu.crisis.hotline import hotline_lines
from xinyu.crisis.opening import RELAY_ASKS, RELAY_LEVELS
from xinyu.cycle.packbook import PackBook
from xinyu.grades import grade_label
from xinyu.roles import Role, role_label
from xinyu.task_views import find_task


@dataclass(frozen=True)
class CrisisAlert:
    case_id: int
    code: str  # C-12
    school_id: int
    school: str
    class_label: str  # "—" for the district: a class narrows the case to a child
    level: str
    opened_at: datetime | None
    handler: str | None  # the handler's name: whom to work with
    parents_informed_at: datetime | None
    closed: bool
    relay: list[str]  # the levels told, class level first
    clause: str
    asked: list[str]  # what is asked of this viewer, per relay role they hold
    as_roles: list[str]  # the viewer's relay roles (labels), or 处置负责人
    task_id: int | None  # the handler's same-day task, when this viewer may open it
    hotline: str = ""  # JN-5 24小时心理关爱热线 (the pack's crisis.hotline), on every crisis page


def relay_roles(session: Session, case: CrisisCase, school: School, book: PackBook) -> dict[int, list[Role]]:
    """Who the relay told of this case, and as which role: the holders of the pack's relay roles for the
    student's class (the district's officers for the pack's district levels only)."""
    rule = book.pack(school.pack).crisis
    student = session.get(Student, case.student_id)
    if rule is None or case.level not in rule.fast_path_levels or student is None or school.id is None:
        return {}
    roles = [r for r in rule.relay if r != Role.district_officer or case.level in rule.district_levels]
    directory = load_directory(session, [school.id], roles=roles, class_ids=[student.class_id])
    told: dict[int, list[Role]] = {}
    for role in roles:
        for person in directory.of_role(role, school_id=school.id, class_id=student.class_id):
            told.setdefault(person, []).append(role)
    return told


def relay_people(session: Session, case: CrisisCase, school: School, book: PackBook) -> set[int]:
    return set(relay_roles(session, case, school, book))


def crisis_alert(session: Session, viewer: Viewer, case_id: int, *, today: date, book: PackBook) -> CrisisAlert:
    case = session.get(CrisisCase, case_id)
    school = session.get(School, case.school_id) if case is not None else None
    if case is None or case.id is None or school is None or school.id is None:
        raise AccessDenied(f"crisis alert {case_id}")
    told = relay_roles(session, case, school, book)
    is_handler = viewer.person_id == case.handler_id
    if not is_handler and viewer.person_id not in told:
        raise AccessDenied(f"crisis alert {case_id}")
    mine = told.get(viewer.person_id, [])
    officer_only = bool(mine) and all(r == Role.district_officer for r in mine) and not is_handler
    student = session.get(Student, case.student_id)
    klass = session.get(SchoolClass, student.class_id) if student is not None else None
    handler = session.get(Person, case.handler_id) if case.handler_id is not None else None
    task_id = session.exec(select(Task.id).where(Task.crisis_case_id == case.id).order_by(col(Task.id))).first()
    rule = book.pack(school.pack).crisis
    levels = [r for r in rule.relay if r != Role.district_officer or case.level in rule.district_levels] if rule else []
    asked = [RELAY_ASKS[r] for r in mine if r in RELAY_ASKS]
    if is_handler:
        asked.insert(0, "您是处置负责人：今日内记录家长通报情况（GZ-5.2），并在C台账中记录每一步处置（JL-6）")
    return CrisisAlert(
        case_id=case.id, code=f"C-{case.id}", school_id=school.id, school=school.name,
        class_label="—" if officer_only or klass is None else f"{grade_label(klass.grade)}{klass.name}",
        level=case.level, opened_at=case.opened_at, handler=handler.name if handler else None,
        parents_informed_at=case.parents_informed_at, closed=case.closed_at is not None,
        relay=[RELAY_LEVELS.get(r, role_label(r)) for r in levels], clause=rule.relay_clause if rule else "",
        asked=asked, as_roles=(["处置负责人"] if is_handler else []) + [role_label(r) for r in mine],
        task_id=task_id if task_id is not None and find_task(session, viewer, task_id, today=today, book=book)
        else None, hotline=hotline_lines(rule)[0] if hotline_lines(rule) else "")
