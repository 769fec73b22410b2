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

import asyncio
import contextvars
import os
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import School
from xinyu.cycle import PackBook
from xinyu.db import OUTBOX_TABLES, refresh_statistics, transaction
from xinyu.settings import Settings

T = TypeVar("T")


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
            refresh_statistics(self.engine)  # as the flow's batches do
            with transaction(self.engine) as session:
                moved = advance(session, now=at, book=self.book, school_ids=batch)
                chased = run_chase(session, now=at, book=self.book, school_ids=batch)
            add_counts(total, flat_counts({**vars(moved), "opened": vars(moved.opened), "chase": chased.counts()}))
        with transaction(self.engine) as session:
            total["chase.district_messages"] = queue_district_digests(session, now=at, book=self.book)
        refresh_statistics(self.engine, vacuum=True)  # as the flow does after its batches
        return total

    def dispatch(self, at: datetime) -> dict[str, int]:
        from notifications.dispatcher import dispatch

        sent = dispatch(self.engine, now=at, settings=self.settings).as_dict()
        refresh_statistics(self.engine, OUTBOX_TABLES, vacuum=True)  # as the flow does
        return sent


class FlowLoop:
    """One event loop and one pair of Prefect API clients for every flow run of a long session.

    `xinyu advance` runs its one flow with asyncio.run: a new loop, and new API clients for it (each loads
    the system's TLS certificates, tens of milliseconds, and asks the API for its version). A simulation
    runs two flows a simulated day, thousands in a year: here they run one after another on the same loop,
    inside Prefect's own client contexts (AsyncClientContext, SyncClientContext), entered once, which every
    flow and task run of the session then finds and reuses."""

    def __init__(self, prefect_settings: Mapping[str, str] | None = None) -> None:
        self._settings = dict(prefect_settings or {})  # PREFECT_* for the session's runs (default: the process's)
        self._runner = asyncio.Runner()
        self._context = contextvars.copy_context()  # where the client contexts are set: every run runs in it
        self._clients = AsyncExitStack()
        self._entered = False

    def run(self, flow_run: Coroutine[Any, Any, T]) -> T:
        if not self._entered:
            self._entered = True
            try:
                self._runner.run(self._enter(), context=self._context)
            except BaseException:
                flow_run.close()  # never started: no "never awaited" warning on top of the error
                raise
        return self._runner.run(flow_run, context=self._context)

    async def _enter(self) -> None:
        import prefect.settings
        from prefect.context import AsyncClientContext, SyncClientContext

        if self._settings:
            self._clients.enter_context(prefect.settings.temporary_settings(
                {getattr(prefect.settings, name): value for name, value in self._settings.items()}))
        await self._clients.enter_async_context(AsyncClientContext.get_or_create())
        self._clients.enter_context(SyncClientContext.get_or_create())

    def close(self) -> None:
        try:
            if self._entered:
                self._runner.run(self._clients.aclose(), context=self._context)
        finally:
            self._runner.close()


class EmbeddedOrchestrator:
    """The advance-cycles and dispatch-outbox flows on Prefect's in-process API, on one FlowLoop."""

    def __init__(self, settings: Settings) -> None:
        self._restore = _set_environment(settings)
        # The in-process API starts with the first flow; on a busy machine its default 20 s is too short.
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        self._loop = FlowLoop()

    groups: int | None = None  # the advance's batches: in the run's own process

    def advance(self, at: datetime) -> dict[str, int]:
        from flows.monthly_cycle import AdvanceParams, advance_async

        return self._loop.run(advance_async(AdvanceParams(at=at.isoformat(), groups=self.groups)))

    def dispatch(self, at: datetime) -> dict[str, int]:
        from flows.dispatch import DispatchParams, dispatch_outbox_async

        return self._loop.run(dispatch_outbox_async(DispatchParams(at=at.isoformat())))

    def close(self) -> None:
        try:
            self._loop.close()
        finally:
            self._restore()


class ServerOrchestrator(EmbeddedOrchestrator):
    """The advance-cycles and dispatch-outbox flows as runs on a Prefect server of its own (xinyu/devstack
    server_stack, PostgreSQL only, brought up here and torn down by close()), their batches handed to its
    `workers` batch workers (Prefect task workers, flows/spread.py). The parent runs are this process's, on one
    FlowLoop against the server's API: a deployment's run would start a Python process on the process worker
    for each of the two flows of every simulated day (~4 s each), a year of them hours of process starts."""

    def __init__(self, settings: Settings, *, workers: int = 2, ui: bool = False, port: int | None = None) -> None:
        if not settings.database_url.startswith("postgresql"):
            raise ValueError("服务器编排需要 PostgreSQL 数据库（--database-url postgresql+psycopg://…）")
        from xinyu.devstack import server_stack
        from xinyu.devstack.config import worker_env

        self._restore = _set_environment(settings)  # the workers take the caller's XINYU_* settings
        self._stack = server_stack(settings.database_url, workers=workers, ui=ui, port=port)
        self.stack = stack = self._stack.__enter__()
        self.api_url = stack.api_url  # …/api; with `ui`, Prefect's UI is at the same address without /api
        self.groups = workers
        env = worker_env(stack.config)  # the server's API and the result storage the batch workers share
        self._loop = FlowLoop(prefect_settings={name: env[name] for name in SERVER_SETTINGS})

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._stack.__exit__(None, None, None)


# The Prefect settings a parent run on a server's API needs: the API, and the result storage its batches' task
# workers write to.
SERVER_SETTINGS = ("PREFECT_API_URL", "PREFECT_LOCAL_STORAGE_PATH", "PREFECT_RESULTS_PERSIST_BY_DEFAULT")


# What the flows read from the environment; anything else that could reach a real person is cleared.
_SETTINGS_ENV = {
    "XINYU_DATABASE_URL": lambda s: s.database_url,
    "XINYU_OUTBOX_DIR": lambda s: str(s.outbox_dir),
    "XINYU_OUTBOX_SINK": lambda s: s.outbox_sink,
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
