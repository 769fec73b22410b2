"""QD-S1b: the leadership group's monthly meeting — agenda, minutes, decisions as tasks."""

from datetime import date, datetime

from pytest_bdd import scenarios, then, when
from sqlmodel import Session, col, select

from models import Meeting, Task
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
from xinyu.cycle import PackBook, complete_task

scenarios("领导小组会议/领导小组月度专题会议.feature")

MINUTES_TASK = "召开心理健康工作领导小组月度专题会议并录入纪要"
MINUTES = "会议研究了本月学生心理健康问题、心理健康档案管理、心理危机协同干预和“1+1”落实情况。"


def _record_minutes(session: Session, book: PackBook, school: SchoolRef, at: datetime, held_on: date,
                    decisions: str) -> None:
    leader = holder(session, school, "组长")
    task = find_task(session, school, MINUTES_TASK, who=leader)
    assert task.id is not None
    values = {"held_on": held_on.isoformat(), "minutes": MINUTES, "decisions": decisions}
    complete_task(session, task_id=task.id, values=values, now=at, book=book, by=leader.person_id)


@when(step_text("组长于 {at:At} 录入 {day:Day} 召开的专题会议纪要，会议决定如下："))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, day: date, docstring: str) -> None:
    with db() as session:
        _record_minutes(session, book, school, at, day, docstring)


@when(step_text("组长于 {at:At} 提交 {day:Day} 召开的专题会议纪要，会议决定如下："), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, day: date, docstring: str) -> Attempt:
    return attempt(db, school, lambda session: _record_minutes(session, book, school, at, day, docstring))


def _meeting(session: Session, school: SchoolRef) -> Meeting:
    cycle = cycle_of(session, school)
    meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).first()
    assert meeting is not None, f"{cycle.month}没有专题会议记录"
    return meeting


@then("本月专题会议议程涵盖以下议题：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    with db() as session:
        agenda = _meeting(session, school).agenda
    missing = [topic for (topic,) in datatable if topic not in agenda]
    assert not missing, f"议程缺少议题 {missing}：\n{agenda}"


@then(step_text("本月专题会议纪要已登记，会议日期为 {day:Day}"))
def _(db: Db, school: SchoolRef, day: date) -> None:
    with db() as session:
        meeting = _meeting(session, school)
        assert meeting.minutes and meeting.held_on == day and meeting.recorded_at is not None


@then("本月专题会议纪要尚未登记")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        meeting = _meeting(session, school)
        assert (meeting.minutes, meeting.held_on, meeting.recorded_at) == (None, None, None)


def _decisions(session: Session, school: SchoolRef) -> list[Task]:
    cycle = cycle_of(session, school)
    return list(session.exec(select(Task).where(Task.cycle_id == cycle.id, Task.kind == "decision")
                             .order_by(col(Task.id))))


@then("生成以下会议决定任务：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        actual = [
            [{"任务": t.title, "负责人": describe_holder(session, t.assignee_id), "截止日期": t.due.isoformat()}[h]
             for h in header]
            for t in _decisions(session, school)
        ]
    assert actual == rows


@then("没有生成任何会议决定任务")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        assert not _decisions(session, school)
