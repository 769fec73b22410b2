"""What every request needs: the engine, the pack book, the clock, and the app's settings."""

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import anyio
from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from xinyu.clock import local_date
from xinyu.cycle.packbook import PackBook
from xinyu.evidence_files import FileStore, default_store


@dataclass
class WebContext:
    engine: Engine
    book: PackBook
    clock: Callable[[], datetime]
    base_url: str
    cookie_secure: bool = True
    # Requests holding a database session at once: never more than the engine's pool has connections, so a
    # worker thread never waits in the pool's checkout (the others wait on the event loop, holding nothing).
    db_slots: int = 40
    file_store: FileStore | None = None  # evidence files; None: the configured store (xinyu.evidence_files)
    send_logins_at_once: bool = True  # a login code or link leaves as the request ends (web/send_now.py)
    _limiters: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter]" = field(
        default_factory=weakref.WeakKeyDictionary, repr=False)

    def files(self) -> FileStore:
        if self.file_store is None:
            self.file_store = default_store()
        return self.file_store

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return local_date(self.clock())

    def session_limiter(self) -> anyio.CapacityLimiter:
        """The running event loop's limiter of `db_slots` (one loop serves; tests' clients may start several)."""
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.db_slots)
        return limiter


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; a route that writes commits itself (one transaction per change).

    No database work runs on the event loop: the session is only used by sync dependencies and routes (FastAPI
    runs them in its thread pool), and it is closed (its connection rolled back and returned) in a thread too.
    A request waits for a slot here, on the loop, before it can hold a connection; closing is shielded, so a
    client that goes away mid-request never strands a connection."""
    ctx = web_context(request)
    async with ctx.session_limiter():
        session = Session(ctx.engine, expire_on_commit=False)
        try:
            yield session
        finally:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(session.close)  # rolls back whatever was not committed
