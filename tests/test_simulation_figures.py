"""Performance work must not change a single figure: a seeded simulated month against its record.

`xinyu simulate` (3 schools × 6 classes with students, two months, 40 % of tasks late, seed 5, the core
called directly) must print the same lines and leave the same business state as it did at eab8e4e, the
commit before issue 15's speed-ups: every row of the tables the runs write, by natural key
(tests/state_snapshot.py), and the row count of every table. The record holds one digest per table (and
the counts), per database: SQLite and PostgreSQL store times differently.

To re-record after an intended change of behaviour (say so in the commit):
    XINYU_RECORD_SIMULATION=1 .venv/bin/pytest tests/test_simulation_figures.py   (and with XINYU_TEST_DB=postgresql)
"""

import hashlib
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, func, select

from tests.conftest import TEST_DB
from tests.state_snapshot import snapshot
from tests.test_simulate import without_times
from xinyu.cli import main

ARGS = ["simulate", "--schools", "3", "--months", "2", "--late-rate", "0.4", "--seed", "5", "--classes", "6",
        "--students", "--orchestrator", "direct"]
RECORD = Path(__file__).parent / "fixtures" / "simulation_month" / f"{TEST_DB}.json"


def figures(engine: Engine, printed: str) -> dict[str, object]:
    """The printed lines, each table's row count and a digest of each snapshot table's rows."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        counts = {name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                  for name, table in sorted(metadata.tables.items()) if name != "alembic_version"}
    digests = {name: hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
               for name, rows in sorted(snapshot(engine).items())}
    return {"printed": without_times(printed), "counts": counts, "digests": digests}


# On PostgreSQL a second run sends every bulk insert by COPY; SQLite has no COPY, so it runs once.
COPY_FROM = {"as configured": None} | ({"every bulk insert by COPY": 1} if TEST_DB == "postgresql" else {})


@pytest.mark.parametrize("copy_from", list(COPY_FROM.values()), ids=list(COPY_FROM))
def test_a_seeded_month_is_what_it_was(
    capsys: pytest.CaptureFixture[str], db_url: str, engine: Engine, tmp_path: Path, copy_from: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL, large bulk inserts go in by COPY (xinyu.db.insert_rows): the second run sends every one
    that way, so the small month proves COPY writes what an INSERT would."""
    if copy_from is not None:
        monkeypatch.setattr("xinyu.db.COPY_FROM_ROWS", copy_from)
    code = main([*ARGS, "--database-url", db_url, "--dir", str(tmp_path / "run")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    found = figures(engine, captured.out)
    if os.environ.get("XINYU_RECORD_SIMULATION"):
        RECORD.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    assert found["printed"] == recorded["printed"]
    assert found["counts"] == recorded["counts"]
    changed = [name for name, digest in found["digests"].items() if recorded["digests"].get(name) != digest]
    assert not changed, f"tables whose rows changed: {changed}"
