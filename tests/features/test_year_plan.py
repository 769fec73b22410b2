"""QD-S1 细化年度重点工作清单和进度安排: the school year's months × steps (xinyu/year_plan.py)."""

from datetime import date

from pytest_bdd import scenarios, then

from models import School
from tests.features.support import Db, SchoolRef, step_text
from xinyu.cycle import PackBook
from xinyu.year_plan import PlannedCell, YearMonth, YearView, year_view

scenarios("月度闭环/年度重点工作清单.feature")

VARIANTS = {"regular": "常规月", "vacation": "假期月"}


def _view(db: Db, book: PackBook, school: SchoolRef, year: str, today: date) -> YearView:
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None
        return year_view(session, row, year=year, today=today, book=book)


def _month(view: YearView, label: str) -> YearMonth:
    (found,) = [m for m in view.months if m.label == label]
    return found


def _state(month: YearMonth) -> str:
    if month.opened:
        return "进行中" if month.cycle_status == "open" else "已结束"
    return "未开启" if month.missed else "计划"


@then(step_text("{year}学年的年度清单于 {today:Day} 为："))
def _(db: Db, book: PackBook, school: SchoolRef, year: str, today: date, datatable: list[list[str]]) -> None:
    view = _view(db, book, school, year, today)
    actual = [[m.label, _state(m), VARIANTS[m.variant]] for m in view.months]
    assert actual == datatable[1:]


@then(step_text("{year}学年{label}“{step}”计划于 {day:Day} 截止"))
def _(db: Db, book: PackBook, school: SchoolRef, year: str, label: str, step: str, day: date) -> None:
    view = _view(db, book, school, year, date(2026, 10, 8))
    (key,) = [c.key for c in view.columns if c.label == step]
    cell = _month(view, label).cells[key]
    assert isinstance(cell, PlannedCell) and cell.due == day


@then(step_text("{year}学年{label}没有{absent}，有“{present}”"))
def _(db: Db, book: PackBook, school: SchoolRef, year: str, label: str, absent: str, present: str) -> None:
    view = _view(db, book, school, year, date(2026, 10, 8))
    labels = {c.key: c.label for c in view.columns}
    steps = [labels[key] for key in _month(view, label).cells]
    assert absent.strip("“”") not in "".join(steps) and present in steps, steps


@then(step_text("{year}学年{label}的当月工作为："))
def _(db: Db, book: PackBook, school: SchoolRef, year: str, label: str, datatable: list[list[str]]) -> None:
    view = _view(db, book, school, year, date(2026, 10, 8))
    actual = [[w.title, w.clause, w.due.isoformat()] for w in _month(view, label).month_work]
    assert actual == datatable[1:]
