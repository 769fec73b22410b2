"""Packs and their working-day calendars as stored (xinyu/policy): a cycle reads the version it opened with.

`version` is a cycle's Cycle.pack_version (the stored version number as text); None means the newest. A
stored version never changes, so it is kept for the book's life; the newest is asked of the database on
every read (a pack installed while the web runs applies at once), or once per book when `pin_newest` (a
batch run: the newest as it was when the run started).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, make_url

from xinyu.cycle.system_templates import SYSTEM_TEMPLATES
from xinyu.packs import Pack, TaskTemplate
from xinyu.policy import store
from xinyu.workdays import WorkCalendar

Version = str | int | None


class PackBook:
    def __init__(self, engine: Engine, *, pin_newest: bool = False) -> None:
        self.engine = engine
        self.pin_newest = pin_newest
        self._reader = _reader_for(engine)
        self._lock = threading.Lock()
        self._packs: dict[tuple[str, int], Pack] = {}
        self._newest: dict[str, int] = {}
        self._calendars: dict[int, WorkCalendar] = {}  # id(pack) → its calendar

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with self._lock, self._reader.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    def close(self) -> None:
        """Close the book's own connections (a database about to be copied as a template must have none)."""
        if self._reader is not self.engine:
            self._reader.dispose()

    def newest_version(self, pack_id: str) -> int:
        """The number of the pack's newest stored version (what a month opening now runs on)."""
        if self.pin_newest and pack_id in self._newest:
            return self._newest[pack_id]
        with self._connection() as conn:
            newest = store.newest_version(conn, pack_id)
        self._newest[pack_id] = newest
        return newest

    def pack(self, pack_id: str, version: Version = None) -> Pack:
        """`version`: the stored version a cycle opened with (Cycle.pack_version); None: the newest."""
        number = self.newest_version(pack_id) if version is None else store.version_number(version)
        pack = self._packs.get((pack_id, number))
        if pack is None:
            with self._connection() as conn:
                _, pack = store.stored_pack(conn, pack_id, number)
            self._packs[(pack_id, number)] = pack
        return pack

    def pack_ids(self) -> list[str]:
        """Every pack a school may be given (every stored pack id), sorted."""
        with self._connection() as conn:
            return store.pack_ids(conn)

    def calendar(self, pack_id: str, version: Version = None) -> WorkCalendar:
        pack = self.pack(pack_id, version)
        work = self._calendars.get(id(pack))
        if work is None:
            work = self._calendars[id(pack)] = pack.work_calendar()
        return work

    def template(self, pack_id: str, month: str, step_key: str, template_key: str,
                 version: Version = None) -> TaskTemplate:
        """The template a task was made from: the pack's, or one of the system's (decisions, …)."""
        if template_key in SYSTEM_TEMPLATES:
            return SYSTEM_TEMPLATES[template_key]
        return self.pack(pack_id, version).template(int(month[5:7]), step_key, template_key)


_READERS: dict[str, Engine] = {}  # database → the books' reader: one per process, however many books
_READERS_LOCK = threading.Lock()


def _reader_for(engine: Engine) -> Engine:
    """The books' own connections, two per database per process: a read never waits for one the caller's pool
    has handed out (the web's pool is as large as its threads). They stay open between reads (no transaction
    left open): a database about to be copied as a file or a template closes them first (PackBook.close)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return engine  # an in-memory database exists only in its own engine
    from xinyu.db import make_engine

    text = make_url(url).render_as_string(hide_password=False)
    with _READERS_LOCK:
        reader = _READERS.get(text)
        if reader is None:
            reader = make_engine(text, pool_size=2)
            _READERS[text] = reader
    return reader


def release_reader(engine: Engine) -> None:
    """Close the books' connections to this engine's database (a test's database, dropped with it)."""
    text = make_url(engine.url).render_as_string(hide_password=False)
    with _READERS_LOCK:
        reader = _READERS.pop(text, None)
    if reader is not None:
        reader.dispose()
