"""Engines, sessions and migrations for SQLite (embedded) and PostgreSQL (at scale)."""

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ColumnElement, Engine, Table, any_, bindparam, create_engine, event, insert, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

import models  # noqa: F401  (every table must be in the metadata)
from xinyu.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

    from xinyu.policy.install import Installed


def make_engine(url: str, *, pool_size: int | None = None, **kwargs: Any) -> Engine:
    """An engine; `pool_size` keeps that many connections and opens no more (the web app: one per request it
    works on at once). SQLite runs in WAL mode and waits up to 30 s for a writer's lock (the busy timeout)."""
    if pool_size is not None and not _in_memory(url):
        kwargs = {"poolclass": QueuePool, "pool_size": pool_size, "max_overflow": 0, **kwargs}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _in_memory(url: str) -> bool:
    return url.startswith("sqlite") and (url.rstrip("/") in ("sqlite:", "sqlite+pysqlite:") or ":memory:" in url)


def pool_capacity(engine: Engine) -> int | None:
    """How many connections the engine's pool hands out at once; None when it sets no limit."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    overflow = pool._max_overflow  # noqa: SLF001  (the pool's own limit; no public accessor)
    return None if overflow < 0 else pool.size() + overflow


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the board, the CLI) run while a flow writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (the caller owns the boundary).

    On SQLite it takes the file's write lock at once (BEGIN IMMEDIATE): a second process then waits here
    (the busy timeout) for the first to commit, instead of reading, and failing at its first write with
    "database is locked" because the first wrote in between. PostgreSQL units lock their schools
    (xinyu/locks.py)."""
    sqlite = engine.dialect.name == "sqlite"
    with _writer_turn(engine) if sqlite else nullcontext(), Session(engine, expire_on_commit=False) as session:
        if sqlite:
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()
WRITER_WAIT_SECONDS = 30  # as the busy timeout: then BEGIN IMMEDIATE waits (and fails) as it would have


@contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """SQLite: this process's threads take turns at the file's one write lock here, handed over at once.

    Without it, threads of one process (a run's batch tasks, the web's request threads) meet at BEGIN IMMEDIATE,
    and SQLite's busy handler makes the losers sleep and retry (up to 100 ms a time): in a simulated month of
    150 schools on the embedded default, 37 % of the batch tasks' time was that sleep. Other processes still
    wait on the busy timeout."""
    with _WRITERS_LOCK:
        lock = _WRITERS.setdefault(str(engine.url.database), threading.Lock())
    acquired = lock.acquire(timeout=WRITER_WAIT_SECONDS)
    try:
        yield
    finally:
        if acquired:
            lock.release()


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`, for a batch's many values. On PostgreSQL `column = ANY(:array)`: one parameter, where an
    IN list is one per value, each rendered, parsed and bound again by the driver on every call (a batch's 5,000
    task ids: a tenth of the peer benchmark's month went to that). Elsewhere: IN."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)  # type: ignore[no-any-return]


COPY_FROM_ROWS = 200  # on PostgreSQL, this many rows and more go in by COPY


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows into one table, every row with the same columns, in the session's transaction, nothing
    returned. On PostgreSQL a large list goes in by COPY (one stream; an executemany is a statement per row,
    several times slower with the task table's indexes); each value passes the column type's own bind
    processing first, as an INSERT's would (JSON dumped, aware times in UTC). Elsewhere: an executemany."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    processors = [column.type._cached_bind_processor(connection.dialect) for column in columns]  # noqa: SLF001
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f"COPY {connection.dialect.identifier_preparer.format_table(table)} ({quoted})"
                         " FROM STDIN") as copy:
            for row in rows:
                copy.write_row([value if process is None else process(value)
                                for value, process in zip((row[name] for name in names), processors, strict=True)])
    finally:
        cursor.close()


UPDATE_AS_ONE_ROWS = 50  # on PostgreSQL, this many rows and more are updated by one statement over a JSON document


def update_rows(session: Session, table: Table, rows: list[dict[str, Any]], *, key: str = "id") -> None:
    """Many rows of one table updated by their `key`, every row with the same columns, nothing returned.

    On PostgreSQL a large list is one statement: the rows go as one JSON document read by `json_to_recordset`,
    each value passed through its column type's bind processing first, as an UPDATE's would (a JSON column's
    value goes in as it is). An executemany is a round of statements, one per row (a month's completed tasks:
    thousands a batch); arrays, one per column, cost psycopg a Python call per value. Elsewhere: an executemany."""
    if not rows:
        return
    connection = session.connection()
    names = [name for name in rows[0] if name != key]
    if connection.dialect.name != "postgresql" or len(rows) < UPDATE_AS_ONE_ROWS:
        session.execute(update(table).where(table.c[key] == bindparam("_key"))
                        .values({name: bindparam(name) for name in names}),
                        [{**row, "_key": row[key]} for row in rows])
        return
    dialect, quote = connection.dialect, connection.dialect.identifier_preparer.quote
    columns = [table.c[name] for name in (key, *names)]
    aliases = [f"v{number}" for number in range(len(columns))]
    processors = [None if isinstance(column.type, JSON) else column.type._cached_bind_processor(dialect)  # noqa: SLF001
                  for column in columns]
    document = [{alias: row[column.name] if process is None else process(row[column.name])
                 for alias, column, process in zip(aliases, columns, processors, strict=True)} for row in rows]
    shape = ", ".join(f"{alias} {column.type.compile(dialect=dialect)}" for alias, column in zip(aliases, columns,
                                                                                                strict=True))
    statement = (
        f"UPDATE {dialect.identifier_preparer.format_table(table)} AS t SET "
        + ", ".join(f"{quote(name)} = v.{alias}" for name, alias in zip(names, aliases[1:], strict=True))
        + f" FROM json_to_recordset(%(rows)s::json) AS v({shape}) WHERE t.{quote(key)} = v.{aliases[0]}"
    )
    connection.exec_driver_sql(statement, {"rows": json.dumps(document, default=_json_scalar)})


def _json_scalar(value: Any) -> Any:
    """A bound value json.dumps has no form for: times and dates in ISO 8601 (PostgreSQL reads them back)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a bulk update")


# What a run of the loop writes in bulk (a month's opening: hundreds of thousands of tasks at a province's scale).
RUN_TABLES = ("cycle", "step", "task", "chase_event", "escalation", "outbox", "audit_log", "ledger_review")
OUTBOX_TABLES = ("outbox",)  # what a dispatch changes
ANALYZE_AFTER_ROWS = 1_000  # and a tenth of the table: autovacuum's own rule, with a higher floor
VACUUM_AFTER_DEAD_ROWS = 1_000  # and a fifth of the table: autovacuum's default (scale factor 0.2), higher floor


def refresh_statistics(engine: Engine, tables: tuple[str, ...] = RUN_TABLES, *, vacuum: bool = False) -> list[str]:
    """PostgreSQL: ANALYZE the tables changed by much since their last ANALYZE; with `vacuum`, VACUUM (and
    analyse) those holding many dead row versions. The names, sorted, are returned.

    The planner's row estimates come from statistics that only ANALYZE refreshes. Autovacuum does it a while
    after a commit, or never where it is off: until then a table that grew from nothing to a month's tasks is
    planned as if nearly empty, and a batch's "open tasks of these schools" query ran 48 s instead of
    milliseconds (a nested loop over every open cycle). Called before each batch and after each run, outside
    their transactions (inside one, ANALYZE would hold its lock to the end); a table another process is
    analysing just then is skipped (SKIP_LOCKED), not waited for.

    Dead row versions: every message is updated twice (claimed, sent) and most tasks once (done). Where
    autovacuum is off (as on this machine) nothing reclaims them, and every index scan reads them: the
    dispatcher's claim of ready messages took 0.76 s in the third month of a 1,500-school year (a million
    dead outbox rows) and 0.9 ms after a VACUUM; the months took 354, 616 and 857 s. So the runs' ends
    (`vacuum=True`: after an advance, an opening, a dispatch) apply autovacuum's own rule. Where autovacuum
    runs, it has mostly done so already and this finds nothing to do."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        rows = connection.exec_driver_sql(
            "SELECT relname, n_mod_since_analyze > %(floor)s + 0.1 * n_live_tup,"
            " n_dead_tup > %(dead_floor)s + 0.2 * n_live_tup"
            " FROM pg_stat_user_tables WHERE relname = ANY(%(tables)s) ORDER BY relname",
            {"tables": list(tables), "floor": ANALYZE_AFTER_ROWS, "dead_floor": VACUUM_AFTER_DEAD_ROWS}).all()
        dead = [name for name, _, many_dead in rows if vacuum and many_dead]
        stale = [name for name, changed, _ in rows if changed and name not in dead]
        if dead:  # VACUUM cannot run inside a transaction: this connection autocommits
            connection.exec_driver_sql("VACUUM (SKIP_LOCKED, ANALYZE) " + ", ".join(dead))
        if stale:
            connection.exec_driver_sql("ANALYZE (SKIP_LOCKED) " + ", ".join(stale))
    return sorted(dead + stale)


def alembic_config(url: str) -> "Config":
    from alembic.config import Config  # imported by the commands that migrate, not by every command

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> "list[Installed]":
    """Create or upgrade the schema to the newest migration, then install the release's packs whose text is not
    stored yet (a changed shipped pack becomes a new version; open cycles keep theirs)."""
    from alembic import command

    from xinyu.policy.install import install_shipped
    from xinyu.settings import get_settings

    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    try:
        return install_shipped(engine, get_settings().packs_dir)
    finally:
        engine.dispose()
