"""A Jilin school (packs/jilin.yaml) run through its months by the real core: October with the yearly
screening (JL-5) and the course check (JL-1), May and June with the publicity month's window (JL-3)."""

from datetime import date

from sqlmodel import Session

from tests.core.helpers import (
    add_course_records,
    at,
    cycle_of,
    drive_to,
    finish_blocking_tasks,
    sample_evidence,
    steps_of,
    tasks_of,
)
from tests.factories import make_school
from xinyu.chase.explain import explain_due
from xinyu.cycle import PackBook, advance, complete_task


def test_a_jilin_school_runs_october_to_the_end(session: Session, book: PackBook) -> None:
    school = make_school(session, name="长春市实验中学", district_name="朝阳区", grades=(8,), pack="jilin")
    complete_class, empty_class = school.classes
    add_course_records(session, school.id, complete_class.id, "lesson", "activity")
    advance(session, now=at("2026-10-08"), book=book, school_ids=[school.id])
    cycle = cycle_of(session, school.id, "2026-10")
    assert list(steps_of(session, cycle.id)) == ["screening", "ledgers", "meeting", "course_check", "feedback"]

    # JL-5: the yearly screening opens with the screening step, does not hold it, and is due 31 October.
    (yearly,) = tasks_of(session, cycle.id, template="annual_screening")
    assert (yearly.role, yearly.due, yearly.blocks_step, yearly.clause) == (
        "psych_teacher", date(2026, 10, 31), False, "JL-5")
    template = book.template("jilin", "2026-10", "screening", "annual_screening")
    assert template.responsible_unit == "学校（县级中小学心理健康中心组织）"
    reports = tasks_of(session, cycle.id, template="class_report")
    assert sorted(t.class_id or 0 for t in reports) == sorted(c.id or 0 for c in school.classes)

    now = drive_to(session, book, school.id, "2026-10", "course_check")
    (check,) = tasks_of(session, cycle.id, template="check", status="open")
    assert check.title == "核查本月各班心理健康教育课与专题教育落实情况"
    complete_task(session, task_id=check.id or 0, values={"confirmed": "是"}, now=now, book=book)
    (rectification,) = tasks_of(session, cycle.id, kind="rectification")
    assert rectification.class_id == empty_class.id
    assert rectification.title == "初二2班心育课程整改：10月缺心理健康教育课（版块/学时）、心理健康专题教育"

    last = at(steps_of(session, cycle.id)["feedback"].earliest, 10)
    advance(session, now=last, book=book, school_ids=[school.id])
    finish_blocking_tasks(session, book, cycle, "feedback", last)
    assert {k: s.status for k, s in steps_of(session, cycle.id).items()} == dict.fromkeys(
        ["screening", "ledgers", "meeting", "course_check", "feedback"], "done")
    complete_task(session, task_id=yearly.id or 0,
                  values=sample_evidence(book.template("jilin", "2026-10", "screening", "annual_screening"),
                                         last.date()), now=last, book=book)
    assert tasks_of(session, cycle.id, template="annual_screening", status="done")


def test_the_publicity_month_opens_on_25_may_and_is_due_at_its_end_in_each_month(
    session: Session, book: PackBook,
) -> None:
    school = make_school(session, name="吉林市第一中学", district_name="船营区", grades=(10,), pack="jilin")
    may = "2026-05"
    drive_to(session, book, school.id, may, "meeting")
    cycle = cycle_of(session, school.id, may)
    advance(session, now=at("2026-05-24", 20), book=book, school_ids=[school.id])
    assert tasks_of(session, cycle.id, template="publicity_month") == []  # never before the window starts

    advance(session, now=at("2026-05-25", 8), book=book, school_ids=[school.id])
    (part,) = tasks_of(session, cycle.id, template="publicity_month")
    assert (part.role, part.due, part.blocks_step, part.step_key) == ("deputy", date(2026, 5, 31), False,
                                                                       "screening")
    assert steps_of(session, cycle.id)["screening"].status == "done"  # a done step still gets its window's task
    explained = "\n".join(explain_due(session, task_id=part.id or 0, book=book))
    assert "JL-3 规定的时段 05-25 至 06-25，本月部分自 2026-05-25 开启，于本月内的最后一天截止：2026-05-31" in explained
    advance(session, now=at("2026-05-26", 8), book=book, school_ids=[school.id])
    assert len(tasks_of(session, cycle.id, template="publicity_month")) == 1  # created once

    advance(session, now=at("2026-06-01", 8), book=book, school_ids=[school.id])
    june = cycle_of(session, school.id, "2026-06")
    carried, june_part = tasks_of(session, june.id, template="publicity_month")
    assert (carried.carried_over, carried.due) == (True, date(2026, 5, 31))  # May's part, undone: late, carried
    assert (june_part.carried_over, june_part.due) == (False, date(2026, 6, 25))
    finish_blocking_tasks(session, book, june, "screening", at("2026-06-02", 10))
    advance(session, now=at("2026-07-01", 8), book=book, school_ids=[school.id])
    july = tasks_of(session, cycle_of(session, school.id, "2026-07").id, template="publicity_month")
    assert july and all(t.carried_over for t in july)  # only the undone parts, carried: July has no window
