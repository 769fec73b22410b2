"""Opening a month as the CLI contract states it: the cycles and steps, then the first step's tasks for every
school whose first step's earliest day has come. The second half is the reconciler itself (the same moves an
`advance` makes, over this month's cycles only), so opening and advancing never disagree; idempotent."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from xinyu.cycle.opening import OpenResult, open_month
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.reconcile import reconcile


@dataclass
class StartResult(OpenResult):
    steps_opened: int = 0
    steps_done: int = 0
    tasks_created: int = 0


def start_month(
    session: Session, *, month: str, now: datetime, book: PackBook, school_ids: Iterable[int] | None = None
) -> StartResult:
    """Open the month (open_month), then move this month's cycles as far as the clock allows (reconcile)."""
    ids = list(school_ids) if school_ids is not None else None
    opened = open_month(session, month=month, now=now, book=book, school_ids=ids)
    moved = reconcile(session, now=now, book=book, school_ids=ids, month=month)
    return StartResult(**vars(opened), steps_opened=moved.steps_opened, steps_done=moved.steps_done,
                       tasks_created=moved.tasks_created)
