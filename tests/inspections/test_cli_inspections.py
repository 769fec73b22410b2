"""`xinyu inspection add` and `xinyu inspections` (QD-S2) in-process on the test database, refusals included."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import District, Inspection, InspectionFinding, OutboxMessage, RecordRevision, School, Student, Task
from tests.chase.test_cli_chase import name_of
from tests.test_cli import district_files, run

AT = "2026-10-20T10:00"


@pytest.fixture
def district(cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """青岛市市南区 with two schools, October open; the officer's name and the schools'."""
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        assert run(capsys, "import", str(path))[0] == 0
    assert run(capsys, "advance", "--at", "2026-10-08T07:00", "--direct")[0] == 0
    with Session(engine) as session:
        schools = sorted(session.exec(select(School.name)))
        return {"officer": name_of(session, "district_officer"), "school": schools[0], "other": schools[1]}


def written(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                     for model in (Inspection, InspectionFinding, Task, OutboxMessage))


def test_a_finding_is_a_rectification_task_and_closes_with_it(
    district: dict[str, str], engine: Engine, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "inspection", "add", "--district", "青岛市市南区", "--school", district["school"],
                         "--on", "2026-10-19", "--by", district["officer"], "--finding", "专职心理教师配备不足",
                         "--days", "3", "--json", "--at", AT)
    assert code == 0, err
    added = json.loads(out)
    (finding,) = added["findings"]
    assert (added["school"], added["held_on"]) == (district["school"], "2026-10-19")
    assert finding["text"] == "专职心理教师配备不足"

    tasks = {t["id"]: t for t in json.loads(run(capsys, "tasks", "--json", "--at", AT)[1])}
    task = tasks[finding["task_id"]]
    # Three working days from the day it was issued (Tuesday 20 October): Friday 23 October; no escalation first.
    assert (task["kind"], task["role_code"], task["due"], task["clause"]) == ("inspection", "leader", "2026-10-23",
                                                                             "QD-S2")
    assert task["step_label"] == "专项巡查整改" and task["escalation_level"] == "none"
    assert task["responsible"] == "学校（心理健康教育工作领导小组组长）"
    assert all({"clause_text", "responsible"} <= t.keys() and t["responsible"] for t in tasks.values())

    with Session(engine) as session:
        mails = list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith(
            f"inspection:{finding['id']}:"))))
        names = set(session.exec(select(Student.name)))
    assert mails and all(f"/tasks/{finding['task_id']}" in m.body_text for m in mails)
    assert not any(name in (m.subject or "") + m.body_text for m in mails for name in names)

    code, out, _ = run(capsys, "inspections", "--json", "--at", AT)
    rows = {r["school"]: r for r in json.loads(out)}
    assert code == 0 and list(rows[district["school"]])[:3] == ["school", "count", "open_findings"]
    assert (rows[district["school"]]["count"], rows[district["school"]]["open_findings"]) == (1, 1)
    assert (rows[district["other"]]["count"], rows[district["school"]]["minimum"]) == (0, 3)
    code, out, _ = run(capsys, "inspections", "--year", "2025")
    assert code == 0 and "2025 年专项巡查" in out and "未达要求" in out

    code, _, err = run(capsys, "complete", str(finding["task_id"]), "--set", "measures=已补配一名专职心理教师",
                       "--at", "2026-10-22T09:00")
    assert code == 0, err
    rows = {r["school"]: r for r in json.loads(run(capsys, "inspections", "--json", "--at", AT)[1])}
    assert (rows[district["school"]]["count"], rows[district["school"]]["open_findings"]) == (1, 0)
    with Session(engine) as session:
        kept = session.exec(select(InspectionFinding)).one()
        history = list(session.exec(select(RecordRevision.action).where(RecordRevision.kind == "inspection")
                                    .order_by(col(RecordRevision.id))))
    assert (kept.status, history) == ("closed", ["created", "closed"])


@pytest.mark.parametrize(("change", "message"), [
    ({"--district": "无此区"}, "没有区县 无此区"),
    ({"--school": "无此校"}, "没有学校 无此校"),
    ({"--by": "无此人"}, "没有名为 无此人 的区县负责人"),
    ({"--on": "2026-13-01"}, "巡查日期 '2026-13-01' 无效"),
    ({"--on": "2026-10-21"}, "晚于今天"),
    ({"--finding": "   "}, "巡查发现不能为空"),
    ({"--days": "0"}, "整改期限应为 1–30 个工作日"),
    ({"--days": "31"}, "整改期限应为 1–30 个工作日"),
])
def test_refusals_are_one_line_and_write_nothing(
    district: dict[str, str], engine: Engine, capsys: pytest.CaptureFixture[str], change: dict[str, str], message: str,
) -> None:
    options = {"--district": "青岛市市南区", "--school": district["school"], "--on": "2026-10-19",
               "--by": district["officer"], "--finding": "心理辅导室未按要求开放", "--days": "5", **change}
    before = written(engine)
    code, out, err = run(capsys, "inspection", "add", *(x for pair in options.items() for x in pair), "--at", AT)
    assert (code, out) == (1, "") and message in err and err.count("\n") == 1
    assert written(engine) == before


def test_a_school_of_another_district_and_a_student_named_are_refused(
    district: dict[str, str], engine: Engine, capsys: pytest.CaptureFixture[str],
) -> None:
    with Session(engine) as session:
        school = session.exec(select(School).where(School.name == district["school"])).one()
        student = session.exec(select(Student.name).where(Student.school_id == school.id)).first()
        assert student is not None
        other = District(name="青岛市崂山区")
        session.add(other)
        session.commit()
    before = written(engine)
    code, _, err = run(capsys, "inspection", "add", "--district", "青岛市崂山区", "--school", district["school"],
                       "--on", "2026-10-19", "--by", district["officer"], "--finding", "台账不全", "--at", AT)
    assert code == 1 and f"学校 {district['school']} 不属于青岛市崂山区" in err
    code, _, err = run(capsys, "inspection", "add", "--district", "青岛市市南区", "--school", district["school"],
                       "--on", "2026-10-19", "--by", district["officer"], "--finding", f"{student}的谈心记录缺失",
                       "--at", AT)
    assert code == 1 and "学生姓名" in err
    assert written(engine) == before
