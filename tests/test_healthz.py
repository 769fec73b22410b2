"""GET /healthz on the test database (SQLite or PostgreSQL): no sign-in, JSON, 503 only when the database
cannot be reached or is not migrated to this release's head; the scheduler's heartbeat read back."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from models import SchedulerHeartbeat
from web.app import create_app
from web.routes.health import script_head
from xinyu.cycle import PackBook
from xinyu.db import make_engine
from xinyu.service.heartbeat import recorded

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    app = create_app(engine=engine, book=PackBook(engine), clock=lambda: NOW, base_url="https://testserver")
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def beat(engine: Engine, job_id: str, *, started: datetime, ok: bool | None = True) -> None:
    with Session(engine) as session:
        session.merge(SchedulerHeartbeat(job_id=job_id, last_started=started,
                                         last_finished=started + timedelta(seconds=2) if ok is not None else None,
                                         ok=ok))
        session.commit()


def test_a_migrated_database_without_a_scheduler_run_is_healthy_but_degraded(client: TestClient) -> None:
    response = client.get("/healthz")  # no session cookie
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["migrations"] == {"current": script_head(), "head": script_head(), "ok": True}
    assert body["scheduler"]["state"] == "never" and body["scheduler"]["jobs"] == {}


def test_a_recent_run_is_ok_and_an_old_one_stale(client: TestClient, engine: Engine) -> None:
    beat(engine, "dispatch", started=NOW - timedelta(minutes=4))
    beat(engine, "advance", started=NOW - timedelta(hours=1))
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["scheduler"]["state"] == "ok"
    assert body["scheduler"]["last_started"] == (NOW - timedelta(minutes=4)).isoformat()
    assert set(body["scheduler"]["jobs"]) == {"advance", "dispatch"}
    assert body["scheduler"]["jobs"]["dispatch"]["ok"] is True

    beat(engine, "dispatch", started=NOW - timedelta(minutes=11))  # more than twice the 5-minute dispatch
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["scheduler"]["state"] == "stale"


def test_a_failed_run_is_reported(client: TestClient, engine: Engine) -> None:
    beat(engine, "dispatch", started=NOW - timedelta(minutes=1), ok=False)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and body["scheduler"]["state"] == "failing"
    assert body["scheduler"]["jobs"]["dispatch"]["ok"] is False


def test_a_database_behind_the_release_is_503(client: TestClient, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0017'"))
    try:
        response = client.get("/healthz")
    finally:  # PostgreSQL's test database is shared by the session's tests: put the head back
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": script_head()})
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["migrations"] == {"current": "0017", "head": script_head(), "ok": False}


def test_an_unreachable_database_is_503(tmp_path: Path) -> None:
    gone = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'xinyu.db'}")
    app = create_app(engine=gone, book=PackBook(gone), clock=lambda: NOW, base_url="https://testserver")
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "error"}


def test_the_answer_names_nothing_but_states_and_times(client: TestClient, engine: Engine, db_url: str) -> None:
    beat(engine, "dispatch", started=NOW - timedelta(minutes=1))
    text_ = client.get("/healthz").text
    host = db_url.split("@")[-1].split("/")[0] if "@" in db_url else Path(db_url.split("///")[-1]).name
    assert host not in text_ and "postgres" not in text_ and "sqlite" not in text_


def test_a_job_records_its_start_finish_and_outcome(engine: Engine) -> None:
    with recorded(engine, "advance"):
        with Session(engine) as session:
            running = session.get(SchedulerHeartbeat, "advance")
            assert running is not None and running.last_started is not None and running.ok is None
    with pytest.raises(RuntimeError), recorded(engine, "dispatch"):
        raise RuntimeError("the flow failed")
    with Session(engine) as session:
        done, failed = session.get(SchedulerHeartbeat, "advance"), session.get(SchedulerHeartbeat, "dispatch")
        assert done is not None and done.ok is True and done.last_finished is not None
        assert done.last_started is not None and done.last_finished >= done.last_started
        assert failed is not None and failed.ok is False
