"""Ledger step (QD-ANNEX): completing a ledger task records that ledger X was reviewed this month.

The reviewer confirms (and may add a note); the month's 新增/更新 are counted from the ledger's rows
(xinyu/ledgers/monthly_counts.py), never typed.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from models import Cycle, Task
from xinyu.ledgers.monthly_counts import LEDGER_TABLES, month_counts

if TYPE_CHECKING:
    from xinyu.cycle.actions.facts import BatchFacts

__all__ = ["LEDGER_TABLES", "ledger_rows_in_month", "record_ledger_review"]


def ledger_rows_in_month(session: Session, ledger: str, school_id: int, month: str) -> int:
    """Rows of ledger X added or changed in the month."""
    return month_counts(session, ledger, school_id, month).changed


def record_ledger_review(
    session: Session, *, task: Task, origin: Cycle, evidence: dict[str, Any], now: datetime, ledger: str | None,
    facts: "BatchFacts", **_: Any,
) -> None:
    assert ledger is not None and origin.id is not None
    counts = facts.month_counts(ledger, origin)
    review = facts.ledger_review(origin.id, ledger)
    review.reviewed_by_id = task.completed_by_id
    review.reviewed_at = now
    review.entries = facts.ledger_size(ledger, origin.school_id)
    review.added, review.updated, review.changed = counts.added, counts.updated, counts.changed
    review.note = str(evidence.get("note", ""))
    session.add(review)
