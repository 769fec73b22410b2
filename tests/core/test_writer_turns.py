"""SQLite: threads of one process take turns at the file's write lock (xinyu.db.transaction), handed over at
once, instead of meeting at BEGIN IMMEDIATE where SQLite's busy handler makes the loser sleep and retry (or fail
when its busy timeout runs out: here it is 0, so without the turns the second writer fails at once)."""

import threading

import pytest
from sqlalchemy import create_engine, event, text

from tests.conftest import TEST_DB
from xinyu.db import _WRITERS, _sqlite_pragmas, transaction

pytestmark = pytest.mark.skipif(TEST_DB != "sqlite", reason="PostgreSQL writers lock their schools, not a file")


class _Door:
    """The file's turn lock, telling when a second thread has come to it (no sleeping in the test)."""

    def __init__(self) -> None:
        self.lock, self.calls, self.second_arrived = threading.Lock(), 0, threading.Event()

    def acquire(self, timeout: float = -1) -> bool:
        self.calls += 1
        if self.calls == 2:
            self.second_arrived.set()
        return self.lock.acquire(timeout=timeout)

    def release(self) -> None:
        self.lock.release()


def test_a_second_thread_waits_its_turn_and_both_write(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(db_url, connect_args={"timeout": 0})
    event.listen(engine, "connect", _sqlite_pragmas)
    door = _Door()
    monkeypatch.setitem(_WRITERS, str(engine.url.database), door)
    inside, errors = threading.Event(), []

    def first() -> None:
        with transaction(engine) as session:
            session.execute(text("INSERT INTO audit_log (at, action, target, detail) VALUES"
                                 " ('2026-12-05 02:00:00', 'first', 't:1', '')"))
            inside.set()
            assert door.second_arrived.wait(timeout=30)  # the second thread is at the door meanwhile

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
