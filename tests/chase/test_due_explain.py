"""Issue 11 item 10 (part): due-date explanations that do not contradict themselves, and extensions
counted from the due date (not from the day they are asked or approved)."""

import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models import Person, RoleAssignment, Student, Task
from tests.test_cli import district_files, run

SPAN = re.compile(r"(\d{4}-\d{2}-\d{2}) 至 (\d{4}-\d{2}-\d{2})")


def spans_in_order(text: str) -> bool:
    return all(date.fromisoformat(a) <= date.fromisoformat(b) for a, b in SPAN.findall(text))


def leader_of(session: Session, school_id: int) -> str:
    person = session.exec(select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                          .where(RoleAssignment.role == "leader", RoleAssignment.school_id == school_id)).first()
    assert person is not None
    return person.name


@pytest.fixture
def october(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        assert run(capsys, "import", str(path))[0] == 0
    for day in ("2026-10-08", "2026-10-13"):
        assert run(capsys, "advance", "--at", f"{day}T07:00", "--direct")[0] == 0


def test_a_late_approved_extension_counts_from_the_due_date(
    october: None, engine, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.template == "class_report").order_by(col(Task.id))).first()
        assert task is not None and task.due == date(2026, 10, 13)
        leader = leader_of(session, task.school_id)
    # Asked on 6 November for 5 working days, approved on 9 November: 13 October + 5 working days.
    code, out, err = run(capsys, "extend", str(task.id), "--days", "5", "--reason", "运动会",
                         "--at", "2026-11-06T09:00")
    assert code == 0, err
    assert "2026-10-20" in out
    code, out, err = run(capsys, "extension", "1", "--approve", "--by", leader, "--at", "2026-11-09T09:00")
    assert code == 0 and "新截止日期 2026-10-20" in out, err
    code, out, _ = run(capsys, "due", str(task.id))
    assert code == 0
    assert "延期 5 个工作日：自原截止日期 2026-10-13 起算至 2026-10-20" in out
    assert "2026-10-14 至 2026-10-20 跳过：周末 2 天" in out  # the extension's own days, named
    assert "当前截止：2026-10-20" in out and spans_in_order(out)


def test_a_task_due_the_day_it_was_created_explains_without_an_inverted_span(
    october: None, engine, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    with Session(engine) as session:
        student = session.exec(select(Student).order_by(col(Student.id))).first()
        assert student is not None
        school = session.exec(select(Task.school_id).where(Task.school_id == student.school_id)).first()
        from models import School

        name = session.get(School, school).name  # type: ignore[union-attr]
    code, _, err = run(capsys, "crisis", "--school", name, "--student-no", student.student_no, "--level", "严重",
                       "--at", "2026-12-04T10:00")
    assert code == 0, err
    with Session(engine) as session:
        crisis = session.exec(select(Task).where(Task.kind == "crisis")).one()
    code, out, _ = run(capsys, "due", str(crisis.id))
    assert code == 0
    assert "2026-12-05 至 2026-12-04" not in out
    assert spans_in_order(out), out
    assert "当日截止（2026-12-04）" in out
