"""Proposals to ledger B from the class (issue 12 item 4): the homeroom teacher names students of concern,
the psychology teacher (or a leader) accepts one (a draft plan, reason 班级摸排/教师推荐) or declines it with a reason.

A student already on the ledger (an open plan) or already proposed (pending) is not proposed again.
The caller owns the transaction.
"""

from datetime import datetime

from sqlmodel import Session, col, select

from models import KeyStudentPlan, KeyStudentProposal, Student
from xinyu.ledgers.key_students import (
    OPEN_STATUSES,
    KeyStudentError,
    PlanInput,
    create_plan,
    require_keeper,
)
from xinyu.packs import KeyStudentRule
from xinyu.text_input import check_text

SOURCES = ("班级摸排", "教师推荐")
STATUS_LABELS = {"pending": "待处理", "accepted": "已接受", "declined": "未采纳"}


def already_on_ledger(session: Session, student_ids: list[int]) -> set[int]:
    """Students with an open plan or a pending proposal."""
    if not student_ids:
        return set()
    planned = session.exec(select(KeyStudentPlan.student_id).where(
        col(KeyStudentPlan.student_id).in_(student_ids), col(KeyStudentPlan.status).in_(OPEN_STATUSES)))
    proposed = session.exec(select(KeyStudentProposal.student_id).where(
        col(KeyStudentProposal.student_id).in_(student_ids), KeyStudentProposal.status == "pending"))
    return set(planned) | set(proposed)


def propose(session: Session, *, school_id: int, class_id: int, student_ids: list[int], source: str,
            by: int | None, now: datetime, task_id: int | None = None, note: str = "") -> list[KeyStudentProposal]:
    """One pending proposal per student not yet on the ledger nor proposed; the students must be of the class."""
    if source not in SOURCES:
        raise KeyStudentError(f"推荐来源应为 {' / '.join(SOURCES)} 之一")
    note = check_text(note.strip(), "推荐说明", multiline=True, error=KeyStudentError)
    if len(note) > 500:
        raise KeyStudentError("推荐说明至多 500 字")
    found = set(session.exec(select(Student.id).where(col(Student.id).in_(student_ids),
                                                      Student.class_id == class_id, Student.school_id == school_id)))
    if set(student_ids) - found:
        raise KeyStudentError("只能推荐本班学生")
    skip = already_on_ledger(session, student_ids)
    made = []
    for student_id in dict.fromkeys(student_ids):
        if student_id in skip:
            continue
        proposal = KeyStudentProposal(school_id=school_id, student_id=student_id, class_id=class_id, source=source,
                                      task_id=task_id, proposed_by_id=by, note=note, status="pending",
                                      created_at=now)
        session.add(proposal)
        made.append(proposal)
    session.flush()
    return made


def _pending(session: Session, proposal_id: int, school_id: int) -> KeyStudentProposal:
    proposal = session.get(KeyStudentProposal, proposal_id)
    if proposal is None or proposal.school_id != school_id:
        raise LookupError(f"proposal {proposal_id}")
    if proposal.status != "pending":
        raise KeyStudentError(f"推荐 #{proposal_id} 已{STATUS_LABELS.get(proposal.status, proposal.status)}")
    return proposal


def accept_proposal(session: Session, *, proposal_id: int, school_id: int, by: int, now: datetime,
                    rule: KeyStudentRule) -> KeyStudentPlan:
    """The keeper accepts: a draft plan (its five fields still to fill), reason from the proposal's source."""
    require_keeper(session, by, school_id)
    proposal = _pending(session, proposal_id, school_id)
    plan = create_plan(session, school_id=school_id, student_id=proposal.student_id,
                       values=PlanInput(reason=proposal.source), by=by, now=now, rule=rule)
    proposal.status, proposal.decided_by_id, proposal.decided_at, proposal.plan_id = "accepted", by, now, plan.id
    return plan


def decline_proposal(session: Session, *, proposal_id: int, school_id: int, by: int, now: datetime,
                     reason: str) -> KeyStudentProposal:
    """The keeper declines, saying why (the homeroom teacher reads it on their proposals)."""
    require_keeper(session, by, school_id)
    proposal = _pending(session, proposal_id, school_id)
    reason = check_text(reason.strip(), "不采纳的理由", multiline=True, error=KeyStudentError)
    if not reason:
        raise KeyStudentError("不采纳须写明理由")
    if len(reason) > 500:
        raise KeyStudentError("不采纳的理由至多 500 字")
    proposal.status, proposal.decided_by_id, proposal.decided_at = "declined", by, now
    proposal.decline_reason = reason
    return proposal
