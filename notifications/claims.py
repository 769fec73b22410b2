"""The outbox's moves in SQL: claim ready rows for a dispatcher, then record what happened to them.

Each function is one short transaction whose first statement writes, so on SQLite it takes the
write lock before it reads (no stale snapshot) and on PostgreSQL `FOR UPDATE SKIP LOCKED` lets two
dispatchers claim side by side without ever taking the same row.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Select, Table, and_, bindparam, func, or_, select, text, update

from models import OutboxMessage
from models.outbox import CLAIMABLE_SQL
from notifications.channels.base import Envelope
from notifications.quiet_hours import after_quiet_hours
from xinyu.settings import get_settings

OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
C = OUTBOX.c

# Attempt n waits BACKOFF[n-1] before the next; the last step repeats until max attempts.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=6), timedelta(hours=12))


def backoff(attempt: int) -> timedelta:
    return BACKOFF[min(max(attempt, 1), len(BACKOFF)) - 1]


def _ready(*, now: datetime, wall: datetime):  # type: ignore[no-untyped-def]
    due = or_(C.not_before.is_(None), C.not_before <= now)
    claimable = text("outbox." + CLAIMABLE_SQL)  # the partial index ix_outbox_claimable's own term
    return and_(claimable, or_(and_(C.status == "queued", due), and_(C.status == "sending", C.claimed_until < wall)))


def ready_ids(*, now: datetime, wall: datetime, limit: int, key_prefix: str | None = None) -> Select[tuple[int]]:
    """The ids of up to `limit` ready rows, oldest first, locked (rows another dispatcher holds are skipped)."""
    ready = _ready(now=now, wall=wall)
    if key_prefix is not None:
        ready = and_(ready, C.dedupe_key.startswith(key_prefix, autoescape=True))
    return (select(C.id).where(ready).order_by(C.id).limit(limit)
            .with_for_update(skip_locked=True))  # ignored on SQLite, which locks the whole file


def claim(
    engine: Engine, *, now: datetime, wall: datetime, worker: str, lease: timedelta, limit: int,
    key_prefix: str | None = None,
) -> list[Envelope]:
    """Take up to `limit` ready rows: due queued ones, and `sending` ones whose lease has run out.

    A claim is not an attempt: `attempts` grows only when an outcome is recorded, so messages claimed
    by a dispatcher that died before trying them are not one step closer to giving up. `key_prefix` takes
    only the rows whose dedupe key starts with it (a login code sent at once, not the whole outbox)."""
    ids = ready_ids(now=now, wall=wall, limit=limit, key_prefix=key_prefix)
    with engine.begin() as conn:
        rows = conn.execute(
            update(OUTBOX).where(C.id.in_(ids))
            .values(status="sending", claimed_by=worker, claimed_until=wall + lease)
            .returning(C.id, C.dedupe_key, C.channel, C.address, C.subject, C.body_text, C.body_html, C.template,
                       C.params, C.created_at, C.attempts)
        ).all()
    return sorted((
        Envelope(id=r.id, dedupe_key=r.dedupe_key, channel=r.channel, address=r.address, subject=r.subject,
                 body_text=r.body_text, body_html=r.body_html, template=r.template, params=r.params or {},
                 created_at=r.created_at, attempt=r.attempts + 1)
        for r in rows), key=lambda e: e.id)


@dataclass(frozen=True, slots=True)
class Outcome:
    message: Envelope
    status: str  # sent | queued (retry after backoff) | deferred (not tried; due at not_before) | failed
    reason: str | None = None
    not_before: datetime | None = None


def record(engine: Engine, outcomes: Sequence[Outcome], *, now: datetime, worker: str) -> None:
    """Write a group of outcomes in one commit. A failure only lands on a row this dispatcher still
    holds (another may have reclaimed and sent it); a send lands whatever the lease says."""
    sent = [o.message.id for o in outcomes if o.status == "sent"]
    retry = [{"oid": o.message.id, "me": worker, "err": o.reason, "nb": _retry_at(o.message, now)}
             for o in outcomes if o.status == "queued"]
    deferred = [{"oid": o.message.id, "me": worker, "err": o.reason,
                 "nb": _not_before(o.message, o.not_before or now)} for o in outcomes if o.status == "deferred"]
    failed = [{"oid": o.message.id, "me": worker, "err": o.reason} for o in outcomes if o.status == "failed"]
    mine = and_(C.id == bindparam("oid"), C.status == "sending", C.claimed_by == bindparam("me"))
    with engine.begin() as conn:
        if sent:
            conn.execute(update(OUTBOX).where(C.id.in_(sent), C.status != "sent").values(
                status="sent", sent_at=now, last_error=None, claimed_until=None, attempts=C.attempts + 1))
        if retry:
            conn.execute(update(OUTBOX).where(mine).values(
                status="queued", last_error=bindparam("err"), claimed_until=None, attempts=C.attempts + 1,
                not_before=bindparam("nb", type_=C.not_before.type)), retry)
        if deferred:  # not an attempt: `attempts` stays
            conn.execute(update(OUTBOX).where(mine).values(
                status="queued", last_error=bindparam("err"), claimed_until=None,
                not_before=bindparam("nb", type_=C.not_before.type)), deferred)
        if failed:
            conn.execute(update(OUTBOX).where(mine).values(
                status="failed", last_error=bindparam("err"), claimed_until=None, attempts=C.attempts + 1), failed)


def _retry_at(message: Envelope, now: datetime) -> datetime:
    return _not_before(message, now + backoff(message.attempt))


def _not_before(message: Envelope, at: datetime) -> datetime:
    """`at`; but an SMS retried or deferred into the night waits for the morning (quiet hours are set
    when a message is queued, and a retry must not slip past them)."""
    if message.channel != "sms":
        return at
    settings = get_settings()
    return after_quiet_hours(at, settings.sms_retry_quiet_start, settings.sms_retry_quiet_end)


def held_counts(engine: Engine, *, now: datetime) -> dict[str, int]:
    """Messages never tried and not yet due (SMS in quiet hours), per channel. A message deferred by a run
    (a server unreachable, a rate limit) is not an attempt either, but it carries the reason: it is counted
    under 稍后重试, never also here."""
    with engine.connect() as conn:
        rows = conn.execute(select(C.channel, func.count()).where(
            C.status == "queued", C.attempts == 0, C.last_error.is_(None), C.not_before > now)
            .group_by(C.channel)).all()
    return {channel: n for channel, n in rows}
