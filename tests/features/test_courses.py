"""Courses: "1+1" per month (QD-T5), semester minimum (QD-T5b), vacation variant (QD-T5c), Ganzhou (GZ-3.2)."""

from datetime import date, timedelta

from pytest_bdd import given, scenarios, then, when
from sqlmodel import select

from models import CourseRecord, Step, Task
from tests.features.support import Db, SchoolRef, class_id, course_kind, cycle_of, step_rule, step_text
from xinyu.courses.status import ClassCourseStatus, class_statuses, monthly_requirements, teaching_weeks
from xinyu.cycle import PackBook
from xinyu.cycle.schedule import month_parts

scenarios("课程")

VARIANTS = {"假期周期": "vacation", "常规周期": "regular"}


@given(step_text("{klass}在{first:Month}至{last:d}月共开设了 {n:d} 课时{kind}"))
def _(db: Db, book: PackBook, school: SchoolRef, klass: str, first: str, last: int, n: int, kind: str) -> None:
    """One period a week, on the first working day of each week from the first month on."""
    year, number = month_parts(first)
    work, day = book.calendar(school.pack), date(year, number, 1)
    days: list[date] = []
    while len(days) < n:
        if work.is_workday(day) and (not days or day.isocalendar()[:2] != days[-1].isocalendar()[:2]):
            days.append(day)
        day += timedelta(days=1)
    assert not days or days[-1].month <= last, f"{n} 课时排不进{first}至{last}月（每周1课时）"
    with db() as session:
        target = class_id(session, school, klass)
        for held_on in days:
            session.add(CourseRecord(school_id=school.id, class_id=target, held_on=held_on,
                                     kind=course_kind(book.pack(school.pack), kind), topic=kind, periods=1))


def _statuses(db: Db, book: PackBook, school: SchoolRef, month: str) -> list[ClassCourseStatus]:
    with db() as session:
        return class_statuses(session, school_id=school.id, month=month, pack=book.pack(school.pack),
                              work=book.calendar(school.pack))


@when(step_text("统计截至{month:Month}的本学期课时"), target_fixture="course_statuses")
def _(db: Db, book: PackBook, school: SchoolRef, month: str) -> list[ClassCourseStatus]:
    return _statuses(db, book, school, month)


def _status(statuses: list[ClassCourseStatus], klass: str) -> ClassCourseStatus:
    found = [s for s in statuses if s.label == klass]
    assert len(found) == 1, [s.label for s in statuses]
    return found[0]


@then(step_text("{klass}本学期已开 {n:d} 课时，学段下限 {minimum:d} 课时，{conclusion}"))
def _(course_statuses: list[ClassCourseStatus], klass: str, n: int, minimum: int, conclusion: str) -> None:
    status = _status(course_statuses, klass)
    assert (status.semester_periods, status.semester_minimum) == (n, minimum)
    expected = {"提前预警": (True, False), "按剩余教学周仍可达到": (False, False), "已达到下限": (False, True)}
    assert (status.semester_at_risk, status.semester_periods >= minimum) == expected[conclusion]


@then(step_text("{klass}本学期没有学段课时下限，不作预警"))
def _(course_statuses: list[ClassCourseStatus], klass: str) -> None:
    status = _status(course_statuses, klass)
    assert (status.semester_minimum, status.semester_at_risk) == (None, False)


@then("本月各班课程落实情况为：")
def _(db: Db, book: PackBook, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        month = cycle_of(session, school).month
    pack = book.pack(school.pack)
    actual = []
    for status in _statuses(db, book, school, month):
        values = {"班级": status.label, "结论": "达标" if status.ok else "缺" + "、".join(status.missing)}
        values.update({label: str(status.counts[course_kind(pack, label)]) for label in header[1:-1]})
        actual.append([values[h] for h in header])
    assert actual == rows


@then("本月没有生成整改任务")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        titles = list(session.exec(select(Task.title).where(Task.cycle_id == cycle.id,
                                                            Task.kind == "rectification")))
    assert not titles, titles


@then(step_text("{month:Month}共有 {weeks:d} 个教学周，每班应开{requirements}"))
def _(book: PackBook, school: SchoolRef, month: str, weeks: int, requirements: str) -> None:
    pack, work = book.pack(school.pack), book.calendar(school.pack)
    expected = {}
    for part in requirements.split("、"):
        label, count, unit = part.split(" ")
        assert unit == "节", part
        expected[course_kind(pack, label)] = int(count)
    assert teaching_weeks(month, work) == weeks
    assert monthly_requirements(pack, month, work) == expected


@then(step_text("本月周期为{kind}"))
def _(db: Db, school: SchoolRef, kind: str) -> None:
    with db() as session:
        assert cycle_of(session, school).variant == VARIANTS[kind]


def _has_step(db: Db, book: PackBook, school: SchoolRef, label: str) -> bool:
    with db() as session:
        cycle = cycle_of(session, school)
        keys = set(session.exec(select(Step.key).where(Step.cycle_id == cycle.id)))
        try:
            rule = step_rule(book, cycle, label)
        except AssertionError:
            return False
        return rule.key in keys


@then(step_text("本月周期有“{label}”步骤"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str) -> None:
    assert _has_step(db, book, school, label)


@then(step_text("本月周期没有“{label}”步骤"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str) -> None:
    assert not _has_step(db, book, school, label)
