"""After a run, the tables it changed by much are analysed (xinyu.db.refresh_statistics): the planner must not
plan a month's tasks as the empty table it saw before (autovacuum may lag, or be off as on this machine)."""

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from tests.conftest import TEST_DB
from xinyu.cycle.task_factory import AUDIT
from xinyu.db import ANALYZE_AFTER_ROWS, VACUUM_AFTER_DEAD_ROWS, insert_rows, refresh_statistics, transaction


def _analysed(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT analyze_count + autoanalyze_count FROM pg_stat_user_tables"
                                           " WHERE relname = :t"), {"t": table}).scalar_one())


def test_the_tables_a_run_changed_by_much_are_analysed_and_only_those(engine: Engine) -> None:
    if TEST_DB != "postgresql":
        assert refresh_statistics(engine) == []  # SQLite plans without gathered statistics: nothing to do
        return
    refresh_statistics(engine)  # whatever earlier tests left
    before = _analysed(engine, "audit_log"), _analysed(engine, "task")
    now = datetime(2026, 12, 4, 8, tzinfo=UTC)
    with transaction(engine) as session:
        insert_rows(session, AUDIT, [{"at": now, "actor_id": None, "action": "bulk", "target": f"t:{n}",
                                      "detail": ""} for n in range(ANALYZE_AFTER_ROWS * 3)])
        session.execute(text("SELECT pg_stat_force_next_flush()"))  # the counts reach the statistics at commit
    assert "audit_log" in refresh_statistics(engine)
    assert (_analysed(engine, "audit_log"), _analysed(engine, "task")) == (before[0] + 1, before[1])
    assert refresh_statistics(engine) == []  # analysed: nothing changed since


def _vacuums_and_dead_rows(engine: Engine, table: str) -> tuple[int, int]:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT vacuum_count + autovacuum_count, n_dead_tup FROM pg_stat_user_tables"
                                      " WHERE relname = :t"), {"t": table}).one()
        return int(row[0]), int(row[1])


def test_at_a_runs_end_a_table_full_of_dead_row_versions_is_vacuumed(engine: Engine) -> None:
    """Autovacuum is off on this machine: without this, a year's outbox kept a million dead rows and every
    claim of ready messages read them (xinyu/db.py refresh_statistics)."""
    if TEST_DB != "postgresql":
        assert refresh_statistics(engine, vacuum=True) == []
        return
    now = datetime(2026, 12, 4, 8, tzinfo=UTC)
    rows = VACUUM_AFTER_DEAD_ROWS * 3
    with transaction(engine) as session:
        insert_rows(session, AUDIT, [{"at": now, "actor_id": None, "action": "dead", "target": f"t:{n}",
                                      "detail": ""} for n in range(rows)])
    refresh_statistics(engine, vacuum=True)  # whatever earlier tests left, and the inserts analysed
    with transaction(engine) as session:  # every row of this test updated once: as many dead versions
        session.execute(text("UPDATE audit_log SET detail = 'x' WHERE action = 'dead'"))
        session.execute(text("SELECT pg_stat_force_next_flush()"))
    vacuums, dead = _vacuums_and_dead_rows(engine, "audit_log")
    assert dead >= rows
    refresh_statistics(engine)  # before each batch: analysed at most, never vacuumed there
    assert _vacuums_and_dead_rows(engine, "audit_log")[0] == vacuums
    assert "audit_log" in refresh_statistics(engine, vacuum=True)
    after, dead_after = _vacuums_and_dead_rows(engine, "audit_log")
    assert (after, dead_after) == (vacuums + 1, 0)
    assert "audit_log" not in refresh_statistics(engine, vacuum=True)  # nothing dead since
