"""What the ledger step counts (QD-ANNEX 确保落地落实): rows of each ledger added or changed this month.

The reviewer no longer types "本月新增或更新"; the figure is counted from the rows' own timestamps in the
Asia/Shanghai calendar month of the cycle: 新增 = created this month (ledger C: opened this month),
更新 = changed this month but created earlier. Every write of a ledger row sets these timestamps.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from models import CrisisCase, KeyStudentPlan, LedgerReview, ScreeningRecord, TalkRecord
from xinyu.clock import SHANGHAI
from xinyu.months import month_range

LEDGER_TABLES: dict[str, Any] = {"A": ScreeningRecord, "B": KeyStudentPlan, "C": CrisisCase, "D": TalkRecord}


@dataclass(frozen=True)
class MonthCounts:
    added: int
    updated: int

    @property
    def changed(self) -> int:
        return self.added + self.updated

    def text(self) -> str:
        return f"新增 {self.added}、更新 {self.updated}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first and next month's first instant, Asia/Shanghai."""
    first, last = month_range(month)
    return datetime.combine(first, time(), SHANGHAI), datetime.combine(last + timedelta(days=1), time(), SHANGHAI)


def month_counts(session: Session, ledger: str, school_id: int, month: str) -> MonthCounts:
    """Ledger X's rows of the school added (新增) and changed but not added (更新) in the month."""
    return month_counts_by_school(session, ledger, [school_id], month)[school_id]


def month_counts_by_school(session: Session, ledger: str, school_ids: Collection[int], month: str
                           ) -> dict[int, MonthCounts]:
    """month_counts of many schools in one query (a batch of ledger reviews); every school asked is in it."""
    start, end = month_bounds(month)
    table = LEDGER_TABLES[ledger]
    created = col(table.opened_at if ledger == "C" else table.created_at)
    updated = col(table.updated_at)
    added_now = and_(created >= start, created < end)
    updated_now = and_(updated >= start, updated < end)
    school = col(table.school_id)
    found = {school_id: MonthCounts(added=int(added or 0), updated=int(changed or 0))
             for school_id, added, changed in session.exec(
                 select(school, func.count(case((added_now, 1))),  # type: ignore[call-overload]
                        func.count(case((~added_now, 1))))
                 .where(school.in_(list(school_ids)), or_(added_now, updated_now)).group_by(school))}
    return {school_id: found.get(school_id, MonthCounts(0, 0)) for school_id in school_ids}


@dataclass(frozen=True)
class ReviewCounts:
    """What the ledger task's page shows the reviewer: counted now (open) or as recorded at the review (done)."""

    ledger: str
    month: str
    added: int
    updated: int
    recorded: bool  # True: the numbers the review stored; False: counted now, confirmed on completion


def review_counts(session: Session, *, ledger: str, cycle_id: int, school_id: int, month: str,
                  done: bool) -> ReviewCounts | None:
    """The counts for a ledger task: the stored review once done (None for a review typed before counting)."""
    if done:
        review = session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle_id,
                                                         LedgerReview.ledger == ledger)).first()
        if review is None or review.added is None or review.updated is None:
            return None  # reviewed before the counts were kept: its typed figure shows in the evidence
        return ReviewCounts(ledger, month, review.added, review.updated, recorded=True)
    counts = month_counts(session, ledger, school_id, month)
    return ReviewCounts(ledger, month, counts.added, counts.updated, recorded=False)
