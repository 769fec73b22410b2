"""QD-ANNEX: the ledger step is done only when each of the ledgers A–D was reviewed this month; the month's
新增/更新 are counted from the ledgers' rows (never typed), shown on the task page and kept in the review."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlmodel import Session, col, select

from models import (
    CrisisCase,
    KeyStudentPlan,
    LedgerReview,
    Meeting,
    Person,
    SchoolClass,
    ScreeningRecord,
    Student,
    TalkRecord,
)
from tests.features.support import (
    Attempt,
    Db,
    SchoolRef,
    attempt,
    cycle_of,
    describe_holder,
    find_task,
    holder,
    step_text,
)
from tests.roster_files import SCREENING_HEADERS, write_table
from xinyu.access import load_viewer
from xinyu.cli import main as xinyu
from xinyu.clock import SHANGHAI, as_local
from xinyu.cycle import PackBook, complete_task
from xinyu.roster import run_import
from xinyu.task_views import task_detail

scenarios("台账/四类工作台账月度更新.feature")

TITLES = {"A": "更新A台账", "B": "更新B台账", "C": "更新C台账", "D": "更新D台账"}


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()).replace(tzinfo=SHANGHAI)


def _student(session: Session, school: SchoolRef, number: int) -> int:
    klass = session.exec(select(SchoolClass).where(SchoolClass.school_id == school.id)).first()
    assert klass is not None and klass.id is not None
    student = Student(school_id=school.id, class_id=klass.id, student_no=f"S{number:04d}", name=f"学生{number}",
                      gender="男")
    session.add(student)
    session.flush()
    assert student.id is not None
    return student.id


@given("台账中有以下记录：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    _, *rows = datatable
    with db() as session:
        for n, (ledger, created, updated) in enumerate(rows, start=1):
            student = _student(session, school, 100 + n)
            made, changed = _moment(created), _moment(updated)
            common: dict[str, Any] = {"school_id": school.id, "student_id": student, "updated_at": changed}
            if ledger == "A":
                session.add(ScreeningRecord(**common, screened_on=made.date(), scale="MHT", total_score=50.0,
                                            level="无", method="online", created_at=made))
            elif ledger == "B":
                session.add(KeyStudentPlan(**common, opened_on=made.date(), created_at=made))
            elif ledger == "C":
                session.add(CrisisCase(**common, level="一般", opened_at=made))
            else:
                session.add(TalkRecord(**common, kind="谈心", held_on=made.date(), summary="谈心", created_at=made))


@given(step_text("专职心理教师于 {at:At} 导入{n:d}名学生的测评结果"))
def _(db: Db, school: SchoolRef, tmp_path: Path, at: datetime, n: int) -> None:
    with db() as session:
        for i in range(n):
            _student(session, school, 200 + i)
    numbers = [f"S{200 + i:04d}" for i in range(n)]
    path = write_table(tmp_path / "screening.csv", SCREENING_HEADERS,
                       [[no, at.date().isoformat(), "MHT", 40, "无"] for no in numbers])
    with db() as session:
        run_import(session, path, school=school.name, now=at)


@then(step_text("“{title}”的任务页面显示本月“{text}”"))
def _(db: Db, book: PackBook, school: SchoolRef, title: str, text: str) -> None:
    with db() as session:
        task = find_task(session, school, title)
        person = task.assignee_id
        assert person is not None and task.id is not None
        viewer = load_viewer(session, person)
        assert viewer is not None
        detail = task_detail(session, viewer, task.id, today=date(2026, 10, 12), book=book)
        assert detail is not None and detail.ledger_counts is not None
        counts = detail.ledger_counts
        assert f"新增 {counts.added}、更新 {counts.updated}" == text and not counts.recorded


@when(step_text("{who}于 {at:At} 提交“{title}”，自行填写本月新增或更新条数 {n:d}"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, title: str, n: int) -> Attempt:
    def action(session: Session) -> None:
        person = holder(session, school, who)
        task = find_task(session, school, title, who=person)
        complete_task(session, task_id=task.id or 0, values={"changed": str(n)}, now=at, book=book,
                      by=person.person_id)

    return attempt(db, school, action)


@when(step_text("{who}于 {at:At} 在命令行确认“{title}”，说明为“{note}”"))
def _(db: Db, school: SchoolRef, cli_db: str, capsys: pytest.CaptureFixture[str], who: str, at: datetime,
      title: str, note: str) -> None:
    with db() as session:
        person = holder(session, school, who)
        task = find_task(session, school, title, who=person)
        found = session.get(Person, person.person_id)
        assert found is not None
        name = found.name
    code = xinyu(["complete", str(task.id), "--by", name, "--set", f"note={note}", "--at", at.isoformat()])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "本月新增 1、更新 0（系统按台账记录统计）" in out


@then(step_text("本月已复核的台账为 {letters}"))
def _(db: Db, school: SchoolRef, letters: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        reviewed = list(session.exec(select(LedgerReview.ledger).where(LedgerReview.cycle_id == cycle.id)
                                     .order_by(col(LedgerReview.ledger))))
    assert reviewed == letters.split("、")


@then("本月台账复核记录为：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        cycle = cycle_of(session, school)
        actual = []
        for review in session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle.id)
                                   .order_by(col(LedgerReview.ledger))):
            assert review.reviewed_at is not None
            values = {"台账": review.ledger, "复核人": describe_holder(session, review.reviewed_by_id),
                      "本月新增": str(review.added), "本月更新": str(review.updated),
                      "本月新增或更新条数": str(review.changed), "说明": review.note,
                      "复核日期": as_local(review.reviewed_at).date().isoformat()}
            actual.append([values[h] for h in header])
    assert actual == rows


@then(parsers.parse("本月专题会议议程列出“{text}”"))
def _(db: Db, school: SchoolRef, text: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).one()
    assert text in meeting.agenda, meeting.agenda
