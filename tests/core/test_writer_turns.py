"""SQLite: threads of one process take turns at the file's write lock (xinyu.db.transaction), handed over at
once, instead of meeting at BEGIN IMMEDIATE where SQLite's busy handler makes the loser sleep and retry (or fail
when its busy timeout runs out: here it is 0, so without the turns the second writer fails at once)."""

import threading

import pytest
from sqlalchemy import create_engine, event, text

from tests.conftest import TEST_DB
from xinyu.db import _sqlite_pragmas, transaction

pytestmark = pytest.mark.skipif(TEST_DB != "sqlite", reason="PostgreSQL writers lock their schools, not a file")


def test_a_second_thread_waits_its_turn_and_both_write(db_url: str) -> None:
    engine = create_engine(db_url, connect_args={"timeout": 0})
    event.listen(engine, "connect", _sqlite_pragmas)
    inside, errors = threading.Event(), []

    def first() -> None:
        with transaction(engine) as session:
            session.execute(text("INSERT INTO audit_log (at, action, target, detail) VALUES"
                                 " ('2026-12-05 02:00:00', 'first', 't:1', '')"))
            inside.set()
            threading.Event().wait(0.3)  # the second thread is at the door meanwhile

    def second() -> None:
        inside.wait()
        try:
            with transaction(engine) as session:
                session.execute(text("INSERT INTO audit_log (at, action, target, detail) VALUES"
                                     " ('2026-12-05 02:00:01', 'second', 't:2', '')"))
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_log ORDER BY id")).scalars().all()[-2:] == [
            "first", "second"]
    engine.dispose()
