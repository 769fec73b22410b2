"""Who reads ledger C, who may open a case (GZ-5.3, GZ-A2.1.2): the one place that decides it.

The pack names the roles that read the whole school's ledger C (`ledger_readers.C`, default the leader);
a case's handler always reads their own case. Opening a case is for those readers, and for a homeroom
teacher or grade head raising a concern about a student of their class or grade: the case goes to the
school's handler at once and the concern-raiser does not become a reader of ledger C.
"""

from typing import TYPE_CHECKING, Literal

from sqlmodel import Session, select

from models import CrisisCase, School, SchoolClass, Student
from xinyu.access import AccessDenied, Viewer
from xinyu.packs import Pack
from xinyu.policy.store import stored_pack
from xinyu.roles import Role

if TYPE_CHECKING:
    from xinyu.cycle.packbook import PackBook

CrisisAccess = Literal["all", "handled", "none"]
Opener = Literal["reader", "concern"]


def school_pack(session: Session, school_id: int, book: "PackBook | None" = None) -> Pack:
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    return book.pack(school.pack) if book is not None else stored_pack(session, school.pack)[1]


def ledger_c_roles(pack: Pack) -> tuple[Role, ...]:
    return pack.ledger_readers.of("C")


def reads_ledger_c(viewer: Viewer, school_id: int, pack: Pack) -> bool:
    """Whether the viewer reads every case of the school (a pack role, held in this school)."""
    return bool(viewer.school_roles.get(school_id, frozenset()) & set(ledger_c_roles(pack)))


def crisis_access(session: Session, viewer: Viewer, school_id: int, book: "PackBook | None" = None) -> CrisisAccess:
    """all: a ledger C reader of the school; handled: the handler of some case (their own only); none."""
    if reads_ledger_c(viewer, school_id, school_pack(session, school_id, book)):
        return "all"
    handles = session.exec(select(CrisisCase.id).where(CrisisCase.school_id == school_id,
                                                       CrisisCase.handler_id == viewer.person_id).limit(1)).first()
    return "handled" if handles is not None else "none"


def may_read_case(session: Session, viewer: Viewer, case: CrisisCase, book: "PackBook | None" = None) -> bool:
    if case.handler_id is not None and case.handler_id == viewer.person_id:
        return True
    return reads_ledger_c(viewer, case.school_id, school_pack(session, case.school_id, book))


def opener_kind(session: Session, viewer: Viewer, school_id: int, book: "PackBook | None" = None) -> Opener | None:
    """reader: opens and then handles or follows the case; concern: raises it for a student of their classes."""
    if reads_ledger_c(viewer, school_id, school_pack(session, school_id, book)):
        return "reader"
    if any(s == school_id for s, _ in viewer.grade_scopes) or (
            school_id in viewer.class_school_ids and Role.homeroom in viewer.roles and viewer.class_ids):
        return "concern"
    return None


def may_raise_for(session: Session, viewer: Viewer, student: Student) -> bool:
    """A concern-raiser's student must be of their class (homeroom) or grade (grade head)."""
    klass = session.get(SchoolClass, student.class_id)
    if klass is None:
        return False
    return (student.class_id in viewer.class_ids and Role.homeroom in viewer.roles) or \
        (student.school_id, klass.grade) in viewer.grade_scopes
