"""The scheduler's heartbeat in the database, and what GET /healthz makes of it.

Every scheduled job records when it started and when it finished (and whether it went well) in
`scheduler_heartbeat`, whichever process ran it (`xinyu serve` or `xinyu scheduler`), so a web worker on
another machine can tell whether the scheduler is alive. Dispatch runs every 5 minutes: a scheduler whose
latest start is older than twice that is `stale`.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import SchedulerHeartbeat

logger = logging.getLogger(__name__)


@contextmanager
def recorded(engine: Engine, job_id: str) -> Iterator[None]:
    """Around one run of a job: its start, then its finish and outcome (a failure is re-raised)."""
    _write(engine, job_id, last_started=_now(), last_finished=None, ok=None)
    ok = False
    try:
        yield
        ok = True
    finally:
        _write(engine, job_id, last_finished=_now(), ok=ok)


def _now() -> datetime:
    return datetime.now(UTC)


def _write(engine: Engine, job_id: str, **values: object) -> None:
    try:
        with Session(engine) as session:
            row = session.get(SchedulerHeartbeat, job_id) or SchedulerHeartbeat(job_id=job_id)
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            session.commit()
    except Exception:  # the heartbeat never stops a job; /healthz then shows it stale
        logger.exception("could not record the heartbeat of job %s", job_id)


@dataclass(frozen=True)
class SchedulerState:
    state: str  # "ok", "stale" (no start for > 2 × the dispatch interval), "failing" (last run failed), "never"
    last_started: datetime | None
    jobs: dict[str, dict[str, object]]


def scheduler_state(session: Session, *, now: datetime, dispatch_every: timedelta) -> SchedulerState:
    rows = list(session.exec(select(SchedulerHeartbeat)))
    jobs: dict[str, dict[str, object]] = {
        row.job_id: {"last_started": _iso(row.last_started), "last_finished": _iso(row.last_finished), "ok": row.ok}
        for row in sorted(rows, key=lambda r: r.job_id)}
    started = [row.last_started for row in rows if row.last_started is not None]
    latest = max(started, default=None)
    if latest is None:
        state = "never"
    elif now - latest > 2 * dispatch_every:
        state = "stale"
    elif any(row.ok is False for row in rows):
        state = "failing"
    else:
        state = "ok"
    return SchedulerState(state, latest, jobs)


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat(timespec="seconds") if at is not None else None
