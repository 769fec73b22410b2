"""Bulk writes (xinyu.db.insert_rows, update_rows) store exactly what the ORM would: JSON, aware times, NULLs.
On PostgreSQL a large update is one statement over a JSON document; both paths are run, on each backend."""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest
from sqlalchemy import Engine, select

from models import OutboxMessage
from xinyu.db import insert_rows, transaction, update_rows

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)


class Status(StrEnum):  # as the task states are (xinyu.cycle.states)
    SENT = "sent"


@pytest.mark.parametrize("one_from", [1, 10_000], ids=["one-statement", "executemany"])
def test_updated_rows_read_back_as_written(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                           one_from: int) -> None:
    monkeypatch.setattr("xinyu.db.UPDATE_AS_ONE_ROWS", one_from)
    with transaction(engine) as session:
        insert_rows(session, OUTBOX, [
            {"dedupe_key": f"k{n}", "channel": "email", "address": f"p{n}@school.example.cn", "body_text": "正文",
             "params": {}, "status": "queued", "attempts": 0, "created_at": NOW} for n in range(5)])
    with transaction(engine) as session:
        ids = list(session.execute(select(OUTBOX.c.id).order_by(OUTBOX.c.id)).scalars())
        update_rows(session, OUTBOX, [
            {"id": ids[n], "status": Status.SENT if n % 2 else "failed", "attempts": n,
             "params": {"学校": f"第{n}中学", "list": [n, None], "引号": "a'b\"c{}"},
             "last_error": None if n % 2 else "连接被拒绝, {x}",
             "sent_at": NOW + timedelta(minutes=n) if n % 2 else None}
            for n in range(4)])  # the fifth row is left alone
    with engine.connect() as connection:
        rows = connection.execute(select(OUTBOX.c.status, OUTBOX.c.attempts, OUTBOX.c.params, OUTBOX.c.last_error,
                                         OUTBOX.c.sent_at).order_by(OUTBOX.c.id)).all()
    assert [tuple(row) for row in rows] == [
        *[("sent" if n % 2 else "failed", n, {"学校": f"第{n}中学", "list": [n, None], "引号": "a'b\"c{}"},
           None if n % 2 else "连接被拒绝, {x}", NOW + timedelta(minutes=n) if n % 2 else None) for n in range(4)],
        ("queued", 0, {}, None, None),
    ]
