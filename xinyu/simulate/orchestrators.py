"""Who moves the cycles and sends the messages in a simulation: the same two jobs the scheduler runs.

`advance(at)` is the advance-cycles flow (opens the month when due, moves every school's cycle, chases
overdue work, queues the district digests); `dispatch(at)` is the dispatch-outbox flow. Both return
the flows' counts (`tasks_created`, `chase.school_escalations`, `email.sent`, …).

- `DirectOrchestrator`: the core alone, batch by batch, as `xinyu advance --direct` runs it.
- `EmbeddedOrchestrator`: the real Prefect flows on Prefect's in-process API, as `xinyu advance` runs them.
  The flows read their database and channels from XINYU_* settings, so it sets them for the process
  (and puts them back on `close`).
- A server orchestrator (deployments, several workers) plugs in with the same two methods.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import School
from xinyu.cycle import PackBook
from xinyu.db import transaction
from xinyu.settings import Settings


class Orchestrator(Protocol):
    def advance(self, at: datetime) -> dict[str, int]: ...

    def dispatch(self, at: datetime) -> dict[str, int]: ...


def flat_counts(result: Mapping[str, Any], prefix: str = "") -> dict[str, int]:
    """{"opened": {"opened": 3}, "cycles": 5} → {"opened.opened": 3, "cycles": 5}: the flows' shape."""
    flat: dict[str, int] = {}
    for key, value in result.items():
        if isinstance(value, Mapping):
            flat.update(flat_counts(value, f"{prefix}{key}."))
        elif isinstance(value, int):
            flat[f"{prefix}{key}"] = value
    return flat


def add_counts(total: dict[str, int], more: Mapping[str, int]) -> dict[str, int]:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value
    return total


class DirectOrchestrator:
    """The flows' work without Prefect: one transaction per batch of schools, then the digests."""

    def __init__(self, engine: Engine, *, book: PackBook, settings: Settings, batch_size: int | None = None) -> None:
        self.engine, self.book, self.settings = engine, book, settings
        self.batch_size = batch_size or settings.schools_per_batch

    def batches(self) -> list[list[int]]:
        with Session(self.engine) as session:
            ids = [i for i in session.exec(select(School.id).order_by(col(School.id))) if i is not None]
        return [ids[n:n + self.batch_size] for n in range(0, len(ids), self.batch_size)]

    def advance(self, at: datetime) -> dict[str, int]:
        from xinyu.chase import queue_district_digests, run_chase
        from xinyu.cycle import advance

        total: dict[str, int] = {}
        for batch in self.batches():
            with transaction(self.engine) as session:
                moved = advance(session, now=at, book=self.book, school_ids=batch)
                chased = run_chase(session, now=at, book=self.book, school_ids=batch)
            add_counts(total, flat_counts({**vars(moved), "opened": vars(moved.opened), "chase": chased.counts()}))
        with transaction(self.engine) as session:
            total["chase.district_messages"] = queue_district_digests(session, now=at, book=self.book)
        return total

    def dispatch(self, at: datetime) -> dict[str, int]:
        from notifications.dispatcher import dispatch

        return dispatch(self.engine, now=at, settings=self.settings).as_dict()


class EmbeddedOrchestrator:
    """The advance-cycles and dispatch-outbox flows on Prefect's in-process API."""

    def __init__(self, settings: Settings) -> None:
        self._restore = _set_environment(settings)
        # The in-process API starts with the first flow; on a busy machine its default 20 s is too short.
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

    def advance(self, at: datetime) -> dict[str, int]:
        from flows.monthly_cycle import AdvanceParams, advance_flow

        return advance_flow(AdvanceParams(at=at.isoformat()))

    def dispatch(self, at: datetime) -> dict[str, int]:
        from flows.dispatch import DispatchParams, dispatch_outbox_flow

        return dispatch_outbox_flow(DispatchParams(at=at.isoformat()))

    def close(self) -> None:
        self._restore()


class ServerOrchestrator:
    """The deployments on a Prefect server of its own with a process worker and two batch workers (xinyu/devstack
    server_stack), brought up here and torn down by close(). PostgreSQL only; each run's batches handed to both."""

    def __init__(self, settings: Settings, *, workers: int = 2, ui: bool = False, port: int | None = None) -> None:
        if not settings.database_url.startswith("postgresql"):
            raise ValueError("服务器编排需要 PostgreSQL 数据库（--database-url postgresql+psycopg://…）")
        from xinyu.devstack import server_stack

        self._restore = _set_environment(settings)  # the workers take the caller's XINYU_* settings
        self._stack = server_stack(settings.database_url, workers=workers, ui=ui, port=port)
        stack = self._stack.__enter__()
        self.api_url = stack.api_url  # …/api; with `ui`, Prefect's UI is at the same address without /api
        self._runs = stack.orchestrator(groups=workers)

    def advance(self, at: datetime) -> dict[str, int]:
        return flat_counts(self._runs.advance(at))

    def dispatch(self, at: datetime) -> dict[str, int]:
        return flat_counts(self._runs.dispatch(at))

    def close(self) -> None:
        try:
            self._stack.__exit__(None, None, None)
        finally:
            self._restore()


# What the flows read from the environment; anything else that could reach a real person is cleared.
_SETTINGS_ENV = {
    "XINYU_DATABASE_URL": lambda s: s.database_url,
    "XINYU_OUTBOX_DIR": lambda s: str(s.outbox_dir),
    "XINYU_SMTP_URL": lambda s: s.smtp_url,
    "XINYU_SMS_URL": lambda s: s.sms_url,
    "XINYU_ROBOT_WEBHOOKS": lambda s: "true" if s.robot_webhooks else "false",
    "XINYU_SCHOOLS_PER_BATCH": lambda s: str(s.schools_per_batch),
    "XINYU_PACKS_DIR": lambda s: str(s.packs_dir),
}


def _set_environment(settings: Settings) -> Any:
    saved = {name: os.environ.get(name) for name in _SETTINGS_ENV}
    for name, value_of in _SETTINGS_ENV.items():
        value = value_of(settings)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    def restore() -> None:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return restore


@contextmanager
def settings_in_environment(settings: Settings) -> Iterator[None]:
    """For code that reads get_settings() (the flows): `settings` for the duration."""
    restore = _set_environment(settings)
    try:
        yield
    finally:
        restore()
