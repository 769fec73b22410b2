"""`xinyu demo` end to end on the embedded default: a small district, the real flows, real files.

The demo is the product's first impression, so its printed claims are checked against the database
it leaves behind, and nothing it sends or reports may carry a student's name.
"""

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Cycle, MonthlyReport, OutboxMessage, School, Student, Task
from tests.conftest import TEST_DB
from tests.web.app_fixtures import sign_in
from web.app import create_app
from xinyu.cycle.states import CycleStatus
from xinyu.db import make_engine
from xinyu.demo import DEMO_PASSWORD, run_demo

pytestmark = pytest.mark.skipif(TEST_DB != "sqlite", reason="the demo runs on the embedded default (SQLite)")


def test_demo_runs_october_and_carries_open_work_into_november(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    lines: list[str] = []
    run_demo(database_url=url, schools=3, classes=4, seed=7, out=lines.append)
    printed = "\n".join(lines)

    with Session(make_engine(url)) as session:
        schools = list(session.exec(select(School.name)))
        october = list(session.exec(select(Cycle).where(Cycle.month == "2026-10")))
        november = list(session.exec(select(Cycle).where(Cycle.month == "2026-11")))
        carried = session.exec(select(func.count()).select_from(Task).join(Cycle, col(Cycle.id) == col(Task.cycle_id))
                               .where(Cycle.month == "2026-11", col(Task.carried_over))).one()
        students = list(session.exec(select(Student.name)))
        reports = [r.body for r in session.exec(select(MonthlyReport))]
        mail = list(session.exec(select(OutboxMessage)))

    assert len(schools) == 3 and len(students) == 3 * 4 * 5
    assert all(name in printed for name in schools)  # every school has a board row
    assert "心育月度闭环看板" in printed and "专题会议议程" in printed
    assert {c.status for c in october} == {CycleStatus.closed} and len(november) == 3
    assert f"结转上月未完成事项 {carried} 项" in printed and carried > 0
    assert reports and mail and all(m.status == "sent" for m in mail)
    written = sorted((tmp_path / "outbox").glob("*.eml"))
    texts = sorted((tmp_path / "outbox").glob("*.json"))  # SMS and robot posts
    assert len(written) == sum(1 for m in mail if m.channel == "email")
    assert len(written) + len(texts) == len(mail)
    assert {m.channel for m in mail} >= {"email", "sms"}  # reports, and the chase's digests
    # Privacy: what leaves the school carries counts only; no SMS names anyone.
    leaving = reports + [readable(path) for path in written] + [path.read_text("utf-8") for path in texts]
    assert not [name for name in students for text in leaving if name in text]
    # The demo's accounts, as printed, sign into the web app.
    logins = re.findall(r"\S+@\S+\.cn", printed.split("十、网页端")[1])
    assert len(logins) == 4
    app = create_app(engine=make_engine(url))
    for login in logins:
        with TestClient(app, base_url="https://testserver") as client:
            sign_in(client, login, DEMO_PASSWORD)
            assert client.get("/api/me").json()["name"] in printed


def readable(path: Path) -> str:
    """Subject and every text part, decoded (the raw file is base64 or quoted-printable)."""
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    parts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join([str(message["Subject"]), *parts])
