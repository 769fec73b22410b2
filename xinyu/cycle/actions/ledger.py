"""Ledger step (QD-ANNEX): completing a ledger task records that ledger X was reviewed this month."""

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import CrisisCase, Cycle, KeyStudentPlan, ScreeningRecord, TalkRecord, Task
from xinyu.clock import SHANGHAI
from xinyu.months import month_range

if TYPE_CHECKING:
    from xinyu.cycle.actions.facts import BatchFacts

LEDGER_TABLES: dict[str, Any] = {"A": ScreeningRecord, "B": KeyStudentPlan, "C": CrisisCase, "D": TalkRecord}


def ledger_rows_in_month(session: Session, ledger: str, school_id: int, month: str) -> int:
    """Rows of ledger X added or changed in the month: what an honest reviewer reports as "changed"."""
    first, last = month_range(month)
    start = datetime.combine(first, time(), SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(), SHANGHAI)
    table = LEDGER_TABLES[ledger]
    in_month: dict[str, Any] = {
        "A": col(ScreeningRecord.screened_on).between(first, last),
        "B": col(KeyStudentPlan.opened_on).between(first, last)
        | ((col(KeyStudentPlan.updated_at) >= start) & (col(KeyStudentPlan.updated_at) < end)),
        "C": ((col(CrisisCase.opened_at) >= start) & (col(CrisisCase.opened_at) < end))
        | ((col(CrisisCase.updated_at) >= start) & (col(CrisisCase.updated_at) < end)),
        "D": col(TalkRecord.held_on).between(first, last),
    }
    query = select(func.count()).select_from(table).where(table.school_id == school_id, in_month[ledger])
    return int(session.exec(query).one())


def record_ledger_review(
    session: Session, *, task: Task, origin: Cycle, evidence: dict[str, Any], now: datetime, ledger: str | None,
    facts: "BatchFacts", **_: Any,
) -> None:
    assert ledger is not None and origin.id is not None
    review = facts.ledger_review(origin.id, ledger)
    review.reviewed_by_id = task.completed_by_id
    review.reviewed_at = now
    review.entries = facts.ledger_size(ledger, origin.school_id)
    review.changed = int(evidence.get("changed", 0))
    review.note = str(evidence.get("note", ""))
    session.add(review)
