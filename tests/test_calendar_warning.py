"""Issue 11 item 11: from 1 November, while next year's schedule is missing, `xinyu check` reports it
and each district officer gets one email a week (queued by advance, through the outbox)."""

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import OutboxMessage, Person, RoleAssignment
from tests.test_cli import district_files, run
from xinyu.roles import Role

FIXTURE = Path(__file__).parent / "fixtures" / "calendar" / "test-2027.csv"




def test_check_reports_a_missing_next_year_from_the_first_of_november(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init")[0] == 0
    code, out, err = run(capsys, "check", "--at", "2026-10-31T09:00")
    assert code == 0 and out.startswith("一致：") and "2027" not in err
    code, out, err = run(capsys, "check", "--at", "2026-11-01T09:00")
    assert code == 0 and out.startswith("一致：") and "警告：2027 年的国务院节假日安排尚未导入" in err
    assert run(capsys, "calendar", "import", str(FIXTURE))[0] == 0
    code, out, err = run(capsys, "check", "--at", "2026-11-01T09:00")
    assert code == 0 and "警告" not in err


def warnings_sent(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).like("calendar-missing%"))
                                 .order_by(col(OutboxMessage.id))))


def test_officers_get_one_email_a_week_while_next_year_is_missing(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        assert run(capsys, "import", str(path))[0] == 0
    with Session(engine) as session:
        officers = set(session.exec(select(Person.email).join(
            RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
            .where(RoleAssignment.role == Role.district_officer, col(Person.email).is_not(None))))
    assert officers
    assert run(capsys, "advance", "--at", "2026-10-30T07:00", "--direct")[0] == 0
    assert warnings_sent(engine) == []  # October: not yet
    for at in ("2026-11-02T07:00", "2026-11-02T16:00", "2026-11-04T07:00", "2026-11-08T07:00"):
        assert run(capsys, "advance", "--at", at, "--direct")[0] == 0
    first_week = warnings_sent(engine)
    assert {m.address for m in first_week} == officers and len(first_week) == len(officers)  # once in the week
    assert all(m.channel == "email" and "2027 年节假日安排尚未导入" in m.subject for m in first_week)
    assert run(capsys, "advance", "--at", "2026-11-09T07:00", "--direct")[0] == 0
    assert len(warnings_sent(engine)) == 2 * len(officers)  # the next ISO week: again
    assert run(capsys, "calendar", "import", str(FIXTURE))[0] == 0
    assert run(capsys, "advance", "--at", "2026-11-16T07:00", "--direct")[0] == 0
    assert len(warnings_sent(engine)) == 2 * len(officers)  # imported: no more
