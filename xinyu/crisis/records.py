"""One crisis case of ledger C as its handler and the school leader read and update it (QD-4, GZ-5.2–6.2).

Nobody else learns that the case exists (AccessDenied, answered 404). Every read and every update
writes an AuditEntry whose detail carries ids and field names, never a name.
"""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from models import AuditEntry, CrisisCase, Person, SchoolClass, Student, Task
from xinyu.access import AccessDenied, Viewer
from xinyu.clock import local_date
from xinyu.ledgers.views import class_label
from xinyu.text_input import check_text


class CrisisUpdateError(ValueError):
    """An update that cannot be accepted; nothing was written."""


class CrisisDetail(BaseModel):
    id: int
    code: str
    school_id: int
    student_no: str
    student_name: str
    class_label: str
    level: str
    handler: str | None
    opened_at: datetime | None
    parents_informed_at: datetime | None
    referral_hospital: str | None
    certificate_on: date | None
    outcome: str | None
    closed_at: datetime | None
    updated_at: datetime | None
    task_ids: list[int]  # the fast path's tasks (e.g. recording that the parents were told)
    may_update: bool


class CrisisUpdate(BaseModel):
    """What the handler or the leader records as the case goes on; empty text clears a field."""

    model_config = ConfigDict(extra="forbid")

    referral_hospital: str | None = Field(default=None, max_length=128, description="转介医院")
    certificate_on: date | None = Field(default=None, description="复学证明日期")
    outcome: str | None = Field(default=None, max_length=500, description="处置结果")
    close: bool = Field(default=False, description="结案")


def _readable_case(session: Session, viewer: Viewer, school_id: int, case_id: int) -> CrisisCase:
    case = session.get(CrisisCase, case_id)
    if case is None or case.school_id != school_id:
        raise AccessDenied(f"crisis {case_id}")
    if not (viewer.leads(school_id) or (case.handler_id is not None and case.handler_id == viewer.person_id)):
        raise AccessDenied(f"crisis {case_id}")
    return case


def _audit(session: Session, viewer: Viewer, case: CrisisCase, action: str, detail: str, now: datetime) -> None:
    session.add(AuditEntry(at=now, actor_id=viewer.person_id, action=action, target=f"crisis:{case.id}",
                           detail=detail))


def _detail(session: Session, case: CrisisCase) -> CrisisDetail:
    assert case.id is not None
    student = session.get(Student, case.student_id)
    assert student is not None
    school_class = session.get(SchoolClass, student.class_id)
    handler = session.get(Person, case.handler_id) if case.handler_id is not None else None
    tasks = list(session.exec(select(Task.id).where(Task.crisis_case_id == case.id).order_by(col(Task.id))))
    return CrisisDetail(
        id=case.id, code=f"C-{case.id}", school_id=case.school_id, student_no=student.student_no,
        student_name=student.name,
        class_label=class_label(school_class.grade, school_class.name) if school_class else "",
        level=case.level, handler=handler.name if handler else None, opened_at=case.opened_at,
        parents_informed_at=case.parents_informed_at, referral_hospital=case.referral_hospital,
        certificate_on=case.certificate_on, outcome=case.outcome, closed_at=case.closed_at,
        updated_at=case.updated_at, task_ids=[t for t in tasks if t is not None], may_update=True)


def read_crisis_case(session: Session, viewer: Viewer, *, school_id: int, case_id: int, now: datetime,
                     purpose: str = "detail") -> CrisisDetail:
    """The case for its handler or the school leader; the read is audited. Others: AccessDenied."""
    case = _readable_case(session, viewer, school_id, case_id)
    _audit(session, viewer, case, "read_crisis", f"{purpose} case={case.id} school={school_id}", now)
    return _detail(session, case)


def update_crisis_case(session: Session, viewer: Viewer, *, school_id: int, case_id: int, change: CrisisUpdate,
                       now: datetime) -> CrisisDetail:
    """Referral, certificate, outcome, closing; the change is audited (field names only)."""
    case = _readable_case(session, viewer, school_id, case_id)
    check_text(change.referral_hospital or "", "转介医院", error=CrisisUpdateError)
    check_text(change.outcome or "", "处置结果", multiline=True, error=CrisisUpdateError)
    hospital = (change.referral_hospital or "").strip() or None
    outcome = (change.outcome or "").strip() or None
    if change.close and case.closed_at is None and not outcome:
        raise CrisisUpdateError("结案前请填写处置结果")
    if change.certificate_on is not None and case.opened_at is not None \
            and change.certificate_on < local_date(case.opened_at):
        raise CrisisUpdateError(f"复学证明日期 {change.certificate_on} 早于建档日期")
    changed = [name for name, old, new in (
        ("referral_hospital", case.referral_hospital, hospital), ("certificate_on", case.certificate_on,
                                                                   change.certificate_on),
        ("outcome", case.outcome, outcome)) if old != new]
    case.referral_hospital, case.certificate_on, case.outcome = hospital, change.certificate_on, outcome
    if change.close and case.closed_at is None:
        case.closed_at = now
        changed.append("closed")
    if changed:
        case.updated_at = now
        session.add(case)
    _audit(session, viewer, case, "update_crisis", f"case={case.id} school={school_id} fields={','.join(changed)}",
           now)
    session.flush()
    return _detail(session, case)
