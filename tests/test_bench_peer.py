"""bench/peer_spiff.py in miniature: both engines run the month for 2 schools on the test database.

SpiffWorkflow is a bench-only extra (`pip install -e '.[bench]'`); CI installs `.[dev]`, so this
module skips itself when it is absent and nothing else imports it. No timings are checked here.
"""

import pytest

pytest.importorskip("SpiffWorkflow", reason="the peer engine is the bench extra: pip install -e '.[bench]'")

from pathlib import Path  # noqa: E402

from sqlalchemy import select  # noqa: E402

from bench.peer_spiff import PEER_STATE, STEPS, side_by_side  # noqa: E402
from flows.runtime import engine_for  # noqa: E402


def test_both_engines_finish_the_same_month_and_the_peer_state_is_in_the_database(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)  # run_month points the core at it; restored afterwards
    engine = engine_for(db_url)
    try:
        run = side_by_side(db_url, backend=engine.dialect.name, schools=2, classes=4, batch_size=100,
                           workdir=tmp_path)
        assert run.ours.counts["cycles"] == 2 and run.ours.counts["steps done"] == 2 * len(STEPS)
        assert [p.label for p in run.peer.phases] == ["open month", *(f"step {k}" for k in STEPS)]
        # side_by_side checked that both completed the same tasks per school; here: they did real work.
        assert sorted(run.tasks_per_school) == [1, 2]
        assert all(n >= 4 + 1 + 4 + 1 + 1 + 1 for n in run.tasks_per_school.values())
        assert run.peer.saves == 2 * (1 + len(STEPS))
        with engine.connect() as connection:
            rows = connection.execute(select(PEER_STATE.c.school_id, PEER_STATE.c.step, PEER_STATE.c.state)
                                      .order_by(PEER_STATE.c.school_id)).all()
        assert [(school, step) for school, step, _ in rows] == [(1, "feedback"), (2, "feedback")]
        assert all('"completed": true' in state for _, _, state in rows)
    finally:
        PEER_STATE.drop(engine, checkfirst=True)  # not an app table: the PostgreSQL template keeps no trace
        engine.dispose()
