"""QD-G4 / QD-S1: one cycle a month, steps in order, schedule in working days, carry-over."""

from datetime import date

from pytest_bdd import scenarios, then
from sqlmodel import select

from models import Task
from tests.features.support import (
    STATUS_LABELS,
    AdvanceOutcome,
    Db,
    SchoolRef,
    cycle_of,
    describe_holder,
    step_of,
    step_text,
)
from xinyu.cycle import PackBook

scenarios("月度闭环/以月为周期的闭环.feature")


@then(step_text("本月“{label}”步骤最早于 {day:Day} 开启"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, day: date) -> None:
    with db() as session:
        assert step_of(session, book, school, label).earliest == day


@then("这次推进没有开启任何周期或步骤，也没有生成任何任务")
def _(advance_outcome: AdvanceOutcome) -> None:
    result = advance_outcome.result
    assert (result.opened.opened, result.steps_opened, result.steps_done, result.tasks_created) == (0, 0, 0, 0)


@then("这次推进前后学校的记录完全相同")
def _(advance_outcome: AdvanceOutcome) -> None:
    assert advance_outcome.after == advance_outcome.before


@then(step_text("{month:Month}的以下任务状态为“{state}”："))
def _(db: Db, school: SchoolRef, month: str, state: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    status = {label: value for value, label in STATUS_LABELS.items()}[state]
    with db() as session:
        cycle = cycle_of(session, school, month)
        actual = [[{"任务": t.title, "负责人": describe_holder(session, t.assignee_id)}[h] for h in header]
                  for t in session.exec(select(Task).where(Task.cycle_id == cycle.id, Task.status == status))]
    assert sorted(actual) == sorted(rows)


@then(step_text("{month:Month}的周期有以下上月结转任务："))
def _(db: Db, school: SchoolRef, month: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        cycle = cycle_of(session, school, month)
        actual = [
            [{"任务": t.title, "负责人": describe_holder(session, t.assignee_id), "截止日期": t.due.isoformat()}[h]
             for h in header]
            for t in session.exec(select(Task).where(Task.cycle_id == cycle.id, Task.carried_over == True))  # noqa: E712
        ]
    assert sorted(actual) == sorted(rows)


@then(step_text("{month:Month}的周期中上月结转的以下任务都已完成："))
def _(db: Db, school: SchoolRef, month: str, datatable: list[list[str]]) -> None:
    with db() as session:
        cycle = cycle_of(session, school, month)
        carried = {t.title: t.status for t in session.exec(select(Task).where(
            Task.cycle_id == cycle.id, Task.carried_over == True))}  # noqa: E712
    for (title,) in datatable:
        assert carried.get(title) == "done", f"上月结转的“{title}”：{STATUS_LABELS.get(carried.get(title, ''), '没有')}"


@then(step_text("{month:Month}没有待办的任务"))
def _(db: Db, school: SchoolRef, month: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school, month)
        still_open = [t.title for t in session.exec(select(Task).where(Task.cycle_id == cycle.id,
                                                                       Task.status == "open"))]
        assert not still_open, still_open
