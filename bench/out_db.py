"""Benchmark databases: new SQLite files under bench/out/, migrated to head, removed first if present."""

from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def fresh_sqlite(name: str) -> str:
    """The URL of a new SQLite file bench/out/<name>, migrated with Alembic."""
    from xinyu.db import migrate

    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        (OUT / f"{name}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{OUT / name}"
    migrate(url)
    return url
