"""A claim reads the claimable rows only, not the year of sent messages before them: on PostgreSQL its query is
planned on the partial index ix_outbox_claimable (models/outbox.py) or a status index searched for the claimable
statuses, on SQLite on ix_outbox_ready's status lookups; and it still takes exactly the ready rows (due queued
ones, sending ones whose lease ran out), oldest first."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, text

from models import OutboxMessage
from notifications.claims import claim, ready_ids
from notifications.outbox import message_row
from tests.conftest import TEST_DB

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
SENT = 20_000  # a district's year of messages, sent: all before the ready ones in id order
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


def _row(n: int, **fields: object) -> dict[str, object]:
    return {**message_row(dedupe_key=f"k{n}", channel="email", address=f"p{n}@example.cn", body_text="…",
                          now=NOW - timedelta(days=1)), **fields}


def _fill(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(OUTBOX), [_row(n, status="sent", sent_at=NOW - timedelta(days=1)) for n in range(SENT)])
        conn.execute(insert(OUTBOX), [
            _row(SENT, status="failed"),
            _row(SENT + 1),  # ready
            _row(SENT + 2, not_before=NOW + timedelta(hours=1)),  # held (quiet hours)
            _row(SENT + 3, status="sending", claimed_by="dead", claimed_until=NOW - timedelta(seconds=1)),  # lease over
            _row(SENT + 4, status="sending", claimed_by="alive", claimed_until=NOW + timedelta(minutes=5)),
            _row(SENT + 5),  # ready
        ])
    if TEST_DB == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE outbox")


def _plan(engine: Engine) -> str:
    compiled = ready_ids(now=NOW, wall=NOW, limit=200).compile(dialect=engine.dialect)
    with engine.connect() as conn:
        if TEST_DB == "postgresql":
            lines: Iterable[str] = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars()
        else:
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            lines = (row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params))
        return "\n".join(lines)


def test_a_claim_is_planned_on_the_claimable_rows_and_takes_exactly_the_ready_ones(engine: Engine) -> None:
    _fill(engine)
    plan = _plan(engine)
    if TEST_DB == "postgresql":  # the claimable index, or the status index searched for the claimable statuses
        # (the planner's costs for the two are near a tie); never the table, never the sent rows in id order
        assert ("ix_outbox_claimable" in plan or "= ANY ('{queued,sending}'" in plan), plan
        assert "Seq Scan" not in plan and "outbox_pkey" not in plan, plan
    else:  # no partial index there: the ready index's status lookups, never a scan of the table
        assert "SEARCH outbox USING INDEX ix_outbox_ready" in plan and "SCAN outbox" not in plan, plan
    taken = claim(engine, now=NOW, wall=NOW, worker="w", lease=timedelta(minutes=5), limit=200)
    assert [m.dedupe_key for m in taken] == [f"k{SENT + 1}", f"k{SENT + 3}", f"k{SENT + 5}"]
    with engine.connect() as conn:
        claimed = "SELECT count(*) FROM outbox WHERE status = 'sending' AND claimed_by = 'w'"
        assert conn.execute(text(claimed)).scalar() == 3
