"""One crisis case of ledger C as its readers see it (QD-4, GZ-5.2–6.2, JL-6, JN-4).

Its handler and the ledger C readers of its school (the pack's `ledger_readers.C`) read it; nobody else
learns that it exists (AccessDenied, answered 404). Every read writes an AuditEntry whose detail carries
ids, never a name. Changes go through the log (xinyu.crisis.log) and the closing (xinyu.crisis.closing).
"""

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import AuditEntry, CrisisAction, CrisisCase, Person, School, SchoolClass, Student, Task
from xinyu.access import AccessDenied, Viewer
from xinyu.crisis.access import may_read_case
from xinyu.crisis.case import HISTORY_KIND
from xinyu.crisis.closing import OUTCOMES
from xinyu.crisis.hospitals import district_hospitals
from xinyu.crisis.log import ACTION_KINDS, PARENT_METHODS
from xinyu.crisis.next_step import next_required_action
from xinyu.cycle.packbook import PackBook
from xinyu.history import revisions
from xinyu.ledgers.views import class_label


class ActionRow(BaseModel):
    id: int
    kind: str
    at: datetime | None
    by: str | None
    note: str
    hospital: str | None
    method: str | None


class RevisionRow(BaseModel):
    at: datetime | None
    by: str | None
    action: str
    changed: list[tuple[str, object, object]]


class CrisisDetail(BaseModel):
    id: int
    code: str
    school_id: int
    student_no: str
    student_name: str
    class_label: str
    level: str
    handler: str | None
    opened_by: str | None
    opened_at: datetime | None
    parents_informed_at: datetime | None
    referral_hospital: str | None
    certificate_on: date | None
    certificate_by: str | None
    return_plan: str | None  # HLJ-12 复课衔接计划, given when closing as 返校复学
    return_plan_required: bool  # the pack's crisis.return_plan_required (HLJ-12)
    return_plan_clause: str | None
    hotline: str | None  # JN-5 24小时心理关爱热线: printed on the crisis page
    hotline_clause: str | None
    outcome: str | None
    outcome_note: str | None
    closed_at: datetime | None
    updated_at: datetime | None
    referral_required: bool  # QD-4: this level closes only after a referral
    next_action: str  # what the case needs next (the agenda says the same)
    task_ids: list[int]  # the fast path's tasks (e.g. recording that the parents were told)
    actions: list[ActionRow]  # the dated log (JL-6), oldest first
    history: list[RevisionRow]  # every change (xinyu.history)
    hospitals: list[str]  # the district's list for a referral; empty: any named hospital
    action_kinds: list[str]
    parent_methods: list[str]
    outcomes: list[str]
    may_update: bool


def readable_case(session: Session, viewer: Viewer, school_id: int, case_id: int,
                  book: PackBook | None = None) -> CrisisCase:
    case = session.get(CrisisCase, case_id)
    if case is None or case.school_id != school_id or not may_read_case(session, viewer, case, book):
        raise AccessDenied(f"crisis {case_id}")
    return case


def read_crisis_case(session: Session, viewer: Viewer, *, school_id: int, case_id: int, now: datetime,
                     book: PackBook | None = None, purpose: str = "detail") -> CrisisDetail:
    """The case for its handler or a ledger C reader; the read is audited. Others: AccessDenied."""
    case = readable_case(session, viewer, school_id, case_id, book)
    session.add(AuditEntry(at=now, actor_id=viewer.person_id, action="read_crisis", target=f"crisis:{case.id}",
                           detail=f"{purpose} case={case.id} school={school_id}"))
    return case_detail(session, case, book)


def case_detail(session: Session, case: CrisisCase, book: PackBook | None = None) -> CrisisDetail:
    assert case.id is not None
    student = session.get(Student, case.student_id)
    school = session.get(School, case.school_id)
    assert student is not None and school is not None
    school_class = session.get(SchoolClass, student.class_id)
    names = _names(session, [case.handler_id, case.opened_by_id])
    actions = list(session.exec(select(CrisisAction).where(CrisisAction.case_id == case.id)
                                .order_by(col(CrisisAction.at), col(CrisisAction.id))))
    names |= _names(session, [a.by_id for a in actions])
    tasks = list(session.exec(select(Task.id).where(Task.crisis_case_id == case.id).order_by(col(Task.id))))
    from xinyu.crisis.access import school_pack

    rule = school_pack(session, case.school_id, book).crisis
    return CrisisDetail(
        id=case.id, code=f"C-{case.id}", school_id=case.school_id, student_no=student.student_no,
        student_name=student.name,
        class_label=class_label(school_class.grade, school_class.name) if school_class else "",
        level=case.level, handler=names.get(case.handler_id), opened_by=names.get(case.opened_by_id),
        opened_at=case.opened_at, parents_informed_at=case.parents_informed_at,
        referral_hospital=case.referral_hospital, certificate_on=case.certificate_on,
        certificate_by=case.certificate_by, return_plan=case.return_plan,
        return_plan_required=bool(rule and rule.return_plan_required),
        return_plan_clause=rule.return_plan_clause if rule else None,
        hotline=rule.hotline if rule else None, hotline_clause=rule.hotline_clause if rule else None,
        outcome=case.outcome, outcome_note=case.outcome_note,
        closed_at=case.closed_at, updated_at=case.updated_at,
        referral_required=rule is not None and case.level in rule.referral_levels,
        next_action=next_required_action(case, rule),
        task_ids=[t for t in tasks if t is not None],
        actions=[ActionRow(id=a.id or 0, kind=a.kind, at=a.at, by=names.get(a.by_id), note=a.note,
                           hospital=a.hospital, method=a.method) for a in actions],
        history=[RevisionRow(at=r.at, by=r.by, action=r.action, changed=r.changed)
                 for r in revisions(session, kind=HISTORY_KIND, record_id=case.id)],
        hospitals=district_hospitals(session, school.district_id), action_kinds=list(ACTION_KINDS),
        parent_methods=list(PARENT_METHODS), outcomes=list(OUTCOMES), may_update=case.closed_at is None)


def _names(session: Session, ids: list[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p.name for p in session.exec(select(Person).where(col(Person.id).in_(wanted)))}
