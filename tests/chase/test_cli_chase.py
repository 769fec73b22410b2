"""The chase's commands in-process on the test database: every command once, with what it prints."""

import json
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models import CrisisCase, Escalation, Extension, Person, RoleAssignment, Student, Task
from tests.test_cli import district_files, run


def name_of(session: Session, role: str) -> str:
    person = session.exec(select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                          .where(RoleAssignment.role == role).order_by(col(RoleAssignment.id))).first()
    assert person is not None
    return person.name


def test_ladder_inbox_extension_and_crisis_from_the_command_line(
    cli_db: str, engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        assert run(capsys, "import", str(path))[0] == 0
    for day in ("2026-10-08", "2026-10-13", "2026-10-15", "2026-10-20"):
        code, out, err = run(capsys, "advance", "--at", f"{day}T07:00", "--direct")
        assert code == 0, err
    assert "报区县督办" in out
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.template == "class_report").order_by(col(Task.id))).first()
        assert task is not None and task.id is not None
        officer, leader = name_of(session, "district_officer"), name_of(session, "leader")
        student_no = session.exec(select(Student.student_no).where(Student.school_id == task.school_id)).first()

    code, out, _ = run(capsys, "reminders", "--task", str(task.id))
    assert code == 0 and "截止当日提醒" in out and "升级至组长" in out and "报区县督办" in out

    code, out, _ = run(capsys, "due", str(task.id))
    assert code == 0 and "国庆节 10-01至10-07（7天）" in out and "调休上班：10-10（星期六，国庆节调休）" in out

    code, out, _ = run(capsys, "inbox", "--json", "--at", "2026-10-20T09:00")
    items = [i for i in json.loads(out) if i["task_id"] == task.id]
    assert code == 0 and [(i["level"], i["days_overdue"], i["status"]) for i in items] == [("district", 5, "new")]
    assert run(capsys, "inbox", "ack", str(items[0]["id"]), "--by", officer, "--at", "2026-10-20T10:00")[0] == 0
    code, out, _ = run(capsys, "inbox", "notice", str(items[0]["id"]), "--by", officer, "--days", "3",
                       "--text", "限期整改", "--at", "2026-10-20T10:05")
    assert code == 0 and "截止 2026-10-23" in out

    code, out, _ = run(capsys, "ack", str(task.id), "--at", "2026-10-20T11:00")
    assert code == 0 and "不再重复提醒" in out
    # Two working days from the due date (13 October), not from today: asking late buys no extra days.
    code, out, _ = run(capsys, "extend", str(task.id), "--days", "2", "--reason", "运动会", "--at", "2026-10-20T11:05")
    assert code == 0 and "2026-10-15" in out
    with Session(engine) as session:
        extension = session.exec(select(Extension)).one()
    code, out, _ = run(capsys, "extension", str(extension.id), "--approve", "--by", leader, "--at", "2026-10-20T12:00")
    assert code == 0 and "新截止日期 2026-10-15" in out

    code, out, err = run(capsys, "crisis", "--school", items[0]["school"], "--student-no", str(student_no),
                         "--level", "重大", "--at", "2026-10-20T22:30")
    assert code == 0, err
    assert "快速通道" in out and "已报区县督办箱" in out
    with Session(engine) as session:
        assert session.exec(select(CrisisCase)).one().level == "重大"
        assert session.exec(select(Escalation).where(Escalation.reason == "crisis")).one().status == "new"

    code, _, err = run(capsys, "inbox", "ack", str(items[0]["id"]), "--by", "不存在的人")
    assert code == 1 and "负责人" in err


def test_inbox_ack_and_notice_take_several_ids(
    cli_db: str, engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        assert run(capsys, "import", str(path))[0] == 0
    for day in ("2026-10-08", "2026-10-13", "2026-10-15", "2026-10-20"):
        assert run(capsys, "advance", "--at", f"{day}T07:00", "--direct")[0] == 0
    code, out, _ = run(capsys, "inbox", "--json", "--at", "2026-10-20T09:00")
    items = json.loads(out)
    by_school: dict[str, list[int]] = {}
    for item in items:
        by_school.setdefault(item["school"], []).append(item["id"])
    assert code == 0 and len(items) >= 3
    with Session(engine) as session:
        officer = name_of(session, "district_officer")
    ids = [str(i["id"]) for i in items]
    code, out, err = run(capsys, "inbox", "ack", *ids[:2], "--by", officer, "--at", "2026-10-20T10:00")
    assert code == 0, err
    assert f"已签收 2 项：{ids[0]}、{ids[1]}" in out
    code, out, err = run(capsys, "inbox", "notice", *ids, "--by", officer, "--days", "3", "--text", "限期整改",
                         "--at", "2026-10-20T10:05")
    assert code == 0, err
    assert f"共督办 {len(ids)} 项，下发 {len(by_school)} 份通知" in out
    assert out.count("已下发督办通知，学校整改任务 #") == len(by_school)
    with Session(engine) as session:
        assert len(list(session.exec(select(Task).where(Task.kind == "notice")))) == len(by_school)
    code, out, err = run(capsys, "inbox", "notice", *ids, "--by", officer, "--days", "3", "--text", "限期整改",
                         "--at", "2026-10-20T10:06")  # again: nothing new
    assert code == 0 and "共督办 0 项，下发 0 份通知" in out and out.count("已下发过督办通知，未改动") == len(ids)
    code, _, err = run(capsys, "inbox", "ack", ids[0], "999999", "--by", officer)
    assert code == 1 and "没有第 999999 项" in err
