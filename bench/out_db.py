"""Benchmark databases: new SQLite files under bench/out/, migrated to head, removed first if present; and
PostgreSQL databases of a run's own, dropped afterwards."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def fresh_sqlite(name: str) -> str:
    """The URL of a new SQLite file bench/out/<name>, migrated with Alembic."""
    from xinyu.db import migrate

    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        (OUT / f"{name}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{OUT / name}"
    migrate(url)
    return url


@contextmanager
def throwaway_pg(prefix: str, *, migrated: bool = True) -> Iterator[str]:
    """The URL of a new PostgreSQL database `<prefix>_<random>` (migrated unless told), dropped on leaving."""
    from flows.runtime import engine_for
    from xinyu.db import make_engine, migrate

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        engine_for(url).dispose()  # the flows' engine, if anything used it
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
