"""At most one scheduler per database: two would both run every job.

APScheduler 3 does not share a job store between schedulers, so whichever runs the jobs (`xinyu serve`
without --no-scheduler, or `xinyu scheduler`) first takes this lock and keeps it while it runs; a second one
is refused at start. PostgreSQL: a session-level advisory lock on a connection of its own (released when the
process exits or the connection drops, whatever the way). SQLite: an exclusive `flock` on a file beside the
database (`<database>.scheduler-lock`), released by the kernel when the process ends; SQLite is one machine.
"""

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from xinyu.db import make_engine

LOCK_NAME = "xinyu.scheduler"


class SchedulerBusy(RuntimeError):
    """Another scheduler holds the lock on this database."""


def _lock_id() -> int:
    return int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)


@contextmanager
def scheduler_lock(database_url: str) -> Iterator[None]:
    """Held for the body; SchedulerBusy at once when another process holds it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with _file_lock(Path(f"{url.database}.scheduler-lock")):
            yield
        return
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": _lock_id()}).scalar_one()
            conn.commit()
            if not got:
                raise SchedulerBusy
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _lock_id()})
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SchedulerBusy from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
