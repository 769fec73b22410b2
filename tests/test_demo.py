"""`xinyu demo --today`: the sample district runs from the term's start up to a mid-month day, the month in
progress on Prefect's in-process API; its printed claims are checked against the database it leaves behind,
and nothing it sends or reports carries a student's name."""

import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models import Cycle, Escalation, MonthlyReport, OutboxMessage, Student, Task
from tests.conftest import TEST_DB
from tests.web.app_fixtures import sign_in
from web.app import create_app
from xinyu.cli import main
from xinyu.cycle import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.db import make_engine
from xinyu.demo import DEMO_PASSWORD
from xinyu.demo.run import xinyu_command

TODAY = date(2026, 11, 18)
pytestmark = pytest.mark.skipif(TEST_DB != "sqlite", reason="the demo runs on the embedded default (SQLite)")


def test_demo_today_mid_month(prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo", "--today", "2026-11-18", "--schools", "3", "--classes", "4", "--database", url]) == 0
    printed = capsys.readouterr().out
    engine = make_engine(url)
    book = PackBook(engine)
    with Session(engine) as session:
        november = list(session.exec(select(Cycle).where(Cycle.month == "2026-11")))
        october = list(session.exec(select(Cycle).where(Cycle.month == "2026-10")))
        reports = list(session.exec(select(MonthlyReport).where(MonthlyReport.month == "2026-10")))
        open_tasks = session.exec(select(Task, Cycle).join(Cycle, col(Cycle.id) == col(Task.origin_cycle_id))
                                  .where(Task.status == TaskStatus.open)).all()
        calendars = [(t, book.calendar(c.pack, c.pack_version)) for t, c in open_tasks]
        lateness = [w.workdays_between(t.due, TODAY) for t, w in calendars if w.is_overdue(t.due, TODAY)]
        waiting = list(session.exec(select(Escalation).where(Escalation.status != "resolved")))
        students = list(session.exec(select(Student.name)))
        mail = list(session.exec(select(OutboxMessage)))
    assert len(november) == 3 and {c.status for c in november} == {CycleStatus.open}
    assert {c.status for c in october} == {CycleStatus.closed}
    assert reports, "last month's reports were filed for the district"
    assert lateness and len(set(lateness)) > 1 and min(lateness) < 20  # overdue, and not all equally late
    assert waiting and any(e.level == "district" for e in waiting)
    assert mail and not [n for n in students for m in mail if n in (m.subject or "") + m.body_text]
    tail = printed.rstrip().splitlines()[-7:]
    assert tail[0].endswith(f"{xinyu_command()} serve") and url.split("///")[1] in tail[0]
    assert "http://127.0.0.1:8000/" in tail[1]
    accounts = tail[-4:]
    assert [a.split()[0][:2] for a in accounts] == ["组长", "专职", "班主", "区县"]
    assert all(DEMO_PASSWORD in a and "@" in a for a in accounts)
    app = create_app(engine=engine)
    for line in accounts:
        login = next(word for word in line.split("　") if "@" in word)
        with TestClient(app, base_url="https://testserver") as client:
            sign_in(client, login, DEMO_PASSWORD)
            assert client.get("/api/me").status_code == 200


def test_the_printed_serve_command_runs_from_where_the_user_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A fresh clone's .venv/bin/xinyu is not on PATH: the demo prints the path it was run by."""
    program = tmp_path / ".venv" / "bin" / "xinyu"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(sys, "argv", [str(program)])
    assert xinyu_command() == str(program)
    monkeypatch.setattr(sys, "argv", [".venv/bin/xinyu"])
    assert xinyu_command() == ".venv/bin/xinyu"
    monkeypatch.setenv("PATH", f"{program.parent}:/usr/bin")
    monkeypatch.setattr(sys, "argv", [str(program)])
    assert xinyu_command() == "xinyu"
    monkeypatch.setattr(sys, "argv", ["/usr/lib/python3/pytest"])
    assert xinyu_command() == f"{sys.executable} -m xinyu.cli"
