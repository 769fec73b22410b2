"""What every request needs: the engine, the pack book, the clock, and the app's settings."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session

from xinyu.clock import local_date
from xinyu.cycle.packbook import PackBook


@dataclass
class WebContext:
    engine: Engine
    book: PackBook
    clock: Callable[[], datetime]
    base_url: str
    cookie_secure: bool = True

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return local_date(self.clock())


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def db_session(request: Request) -> Iterator[Session]:
    """One session per request; a route that writes commits itself (one transaction per change)."""
    with Session(web_context(request).engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
