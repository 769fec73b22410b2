"""Working days of the statutory calendar: late openings, make-up workdays, overdue after holidays."""

from datetime import date

from pytest_bdd import given, scenarios, then

from tests.features.support import Db, SchoolRef, find_task, holder, step_text
from xinyu.cycle import PackBook

scenarios("日历/法定节假日与调休.feature")

WEEKDAYS = "一二三四五六日"


@given(step_text("{day:Day} 是星期{weekday}，但是调休上班日"))
def _(book: PackBook, school: SchoolRef, day: date, weekday: str) -> None:
    assert WEEKDAYS[day.weekday()] == weekday, f"{day} 是星期{WEEKDAYS[day.weekday()]}"
    assert book.calendar(school.pack).is_workday(day)


@then(step_text("在 {day:Day}，{who}的“{task}”任务{state}"))
def _(db: Db, book: PackBook, school: SchoolRef, day: date, who: str, task: str, state: str) -> None:
    with db() as session:
        found = find_task(session, school, task, who=holder(session, school, who))
        assert found.status == "open"
        overdue = book.calendar(school.pack).is_overdue(found.due, day)
    assert overdue == {"已逾期": True, "未逾期": False}[state]
