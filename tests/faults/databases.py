"""Fresh migrated databases for fault injectors: each call of the factory a new, empty one.

    with fresh_databases("sqlite", folder) as new_db:   # or "postgresql"
        url = new_db()

SQLite: the migrations run once into a template file, each call copies it. PostgreSQL: one migrated
template database, each call a `CREATE DATABASE … TEMPLATE` of it; all are dropped on leaving.
"""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from xinyu.db import migrate

PG_ADMIN_URL = os.environ.get("XINYU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_databases(kind: str, folder: Path) -> Iterator[Callable[[], str]]:
    if kind == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        template = folder / "template.db"
        migrate(f"sqlite:///{template}")

        def copy() -> str:
            target = folder / f"{uuid.uuid4().hex[:10]}.db"
            shutil.copy(template, target)
            return f"sqlite:///{target}"

        yield copy
        return
    assert kind == "postgresql", kind
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    prefix = f"xinyu_fault_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_t"]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
    migrate(f"{base}/{names[0]}")

    def clone() -> str:
        name = f"{prefix}_{len(names)}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"'))
        names.append(name)
        return f"{base}/{name}"

    try:
        yield clone
    finally:
        with admin.connect() as conn:
            for name in reversed(names):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
