"""One unit of work at a time per school, and a clock that never goes back.

PostgreSQL: every unit of work that moves schools forward (opening a month, advance, the chase, completing
tasks) first locks its schools' rows, in id order, `FOR NO KEY UPDATE`. A second unit on the same schools
waits at that statement; when the first commits, it reads what the first did (READ COMMITTED: each statement
sees the latest commit) and does nothing twice. The district digests lock their districts the same way.
Row locks rather than advisory locks: they live in the rows, not in the shared lock table, so one run over
10,000 schools cannot exhaust `max_locks_per_transaction`; and NO KEY UPDATE rather than UPDATE, so inserts
that merely reference a school (course records, audit entries: their foreign-key checks take KEY SHARE) go on
meanwhile.

SQLite locks the whole file for a writer; `xinyu.db.transaction` begins with BEGIN IMMEDIATE, so a second
process waits at the start of its unit instead of failing at its first write.

The chase's clock never goes back: the chase records its time on the schools it locked and refuses a day
earlier than a school's latest chase (the district digests likewise). Reminders are windows (only the latest
rung whose day has come fires, none late), so a chase "yesterday" after one "today" would fire the rungs
today's run rightly skipped, and queue a daily digest for a day already past. Advance needs no such guard:
its moves only go forward with the clock (a step opens once its day has come), so an earlier clock finds
nothing to do (tests/core/test_reconcile.py); in a scheduled run advance and chase share one transaction,
so the refusal undoes the whole run.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col

from models import District, School
from xinyu.clock import as_local, local_date
from xinyu.db import among

_HELD = "xinyu.locked_schools"  # session.info: the school ids this transaction holds; None stands for all


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_locks(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the database transaction ended: its locks are gone
        session.info.pop(_HELD, None)


class ClockBehind(RuntimeError):
    """A chase whose clock is a day or more behind its schools' latest chase: refused, nothing done."""


def lock_schools(session: Session, school_ids: Iterable[int] | None, *, chase_at: datetime | None = None) -> None:
    """Lock the schools (every school when None) for the rest of the transaction, in id order.

    With `chase_at` (the chase), refuse a day behind the schools' latest chase and record this one."""
    ids = sorted(set(school_ids)) if school_ids is not None else None
    held: set[int] | None = session.info.get(_HELD, set())
    if chase_at is None and (held is None or (ids is not None and set(ids) <= held)):
        return  # already ours: this transaction locked them before
    query = sa_select(col(School.id), col(School.chased_at)).order_by(col(School.id)).with_for_update(
        key_share=True)
    if ids is not None:
        query = query.where(among(session, School.id, ids))
    rows = session.execute(query).all()
    session.info[_HELD] = None if ids is None or held is None else held | set(ids)
    if chase_at is not None and rows:
        _refuse_going_back([at for _, at in rows], chase_at, f"{len(rows)} 所学校")
        behind = [school_id for school_id, at in rows if at is None or as_local(at) < chase_at]
        if behind:
            session.execute(update(School).where(col(School.id).in_(behind)).values(chased_at=chase_at))


def lock_districts(session: Session, district_ids: Iterable[int] | None, *, now: datetime) -> None:
    """The district digests' lock, in id order; a day behind the districts' schools' latest chase is refused."""
    ids = sorted(set(district_ids)) if district_ids is not None else None
    query = sa_select(col(District.id)).order_by(col(District.id)).with_for_update(key_share=True)
    latest = sa_select(func.max(School.chased_at))
    if ids is not None:
        query = query.where(col(District.id).in_(ids))
        latest = latest.where(col(School.district_id).in_(ids))
    session.execute(query).all()
    _refuse_going_back([session.execute(latest).scalar_one()], now, "区县")


def _refuse_going_back(marks: list[Any], now: datetime, what: str) -> None:
    latest = max((as_local(at) for at in marks if at is not None), default=None)
    if latest is not None and local_date(latest) > local_date(now):
        raise ClockBehind(
            f"时钟回退：本次催办时间 {as_local(now):%Y-%m-%d %H:%M} 早于{what}上次催办的 {latest:%Y-%m-%d %H:%M}，"
            "已拒绝，未做任何改动（请检查 --at 或服务器时钟）")
