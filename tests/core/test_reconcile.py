"""The monthly loop on the real calendar of October 2026 (National Day 1–7 October; first working day the 8th).

Opening, the reconciler's idempotency, a whole month with a fresh engine between every action, phases,
the ledger step, carry-over, clock skew and refused completions — against the real database fixture.
"""

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from models import Cycle, LedgerReview, Meeting, MonthlyReport, OutboxMessage, Step, Task
from tests.core.helpers import (
    add_course_records,
    add_crisis_cases,
    at,
    counts,
    cycle_of,
    drive_to,
    finish_blocking_tasks,
    snapshot,
    steps_of,
    tasks_of,
)
from tests.factories import SchoolFixture, make_school
from xinyu.cycle import CompletionError, PackBook, advance, complete_task, complete_tasks, open_month, reconcile
from xinyu.cycle.completion import Completion
from xinyu.cycle.reconcile import ReconcileResult
from xinyu.db import make_engine, transaction

OCTOBER = "2026-10"
CLASS_REPORT = {"committee_consulted": "是"}
LEDGER: dict[str, str] = {}


@pytest.fixture
def school(engine: Engine) -> SchoolFixture:
    with transaction(engine) as session:
        return make_school(session)


def nothing_happened(result: ReconcileResult) -> bool:
    return (result.opened.opened, result.opened.closed, result.opened.carried_tasks, result.steps_opened,
            result.steps_done, result.tasks_created) == (0, 0, 0, 0, 0, 0)


def one_task(session: Session, cycle_id: int | None, template: str, **filters: Any) -> Task:
    (task,) = tasks_of(session, cycle_id, template=template, **filters)
    return task


# --- opening ---------------------------------------------------------------------------------------------


def test_october_opens_during_national_day_with_its_steps_and_no_task_yet(
    session: Session, book: PackBook, school: SchoolFixture,
) -> None:
    result = advance(session, now=at("2026-10-01", 10), book=book)
    assert (result.opened.opened, result.tasks_created, result.steps_opened) == (1, 0, 0)
    cycle = cycle_of(session, school.id, OCTOBER)
    assert (cycle.status, cycle.pack, cycle.pack_version, cycle.variant) == ("open", "qingdao", "1", "regular")
    steps = steps_of(session, cycle.id)
    assert {k: (s.order, s.status, s.earliest, s.calendar_due, s.due) for k, s in steps.items()} == {
        "screening": (1, "pending", date(2026, 10, 8), date(2026, 10, 13), None),
        "ledgers": (2, "pending", date(2026, 10, 10), date(2026, 10, 16), None),
        "meeting": (3, "pending", date(2026, 10, 14), date(2026, 10, 22), None),
        "course_check": (4, "pending", date(2026, 10, 28), date(2026, 10, 29), None),
        "feedback": (5, "pending", date(2026, 10, 29), date(2026, 10, 30), None),
    }
    assert tasks_of(session, cycle.id) == []


def test_screening_opens_on_the_first_working_day_after_national_day(
    session: Session, book: PackBook, school: SchoolFixture,
) -> None:
    advance(session, now=at("2026-10-07", 18), book=book)
    assert steps_of(session, cycle_of(session, school.id, OCTOBER).id)["screening"].status == "pending"

    result = advance(session, now=at("2026-10-08", 8), book=book)
    cycle = cycle_of(session, school.id, OCTOBER)
    screening = steps_of(session, cycle.id)["screening"]
    assert (result.steps_opened, result.tasks_created) == (1, 3)
    assert (screening.status, screening.due, screening.opened_at) == ("open", date(2026, 10, 13), at("2026-10-08", 8))
    reports = tasks_of(session, cycle.id, template="class_report")
    assert [(t.class_id, t.assignee_id, t.role, t.due, t.blocks_step, t.clause) for t in reports] == [
        (c.id, school.people[f"homeroom:{c.id}"].id, "homeroom", date(2026, 10, 13), True, "QD-T10")
        for c in school.classes
    ]
    day = one_task(session, cycle.id, "mental_health_day")  # QD-T11, 10 October
    assert (day.assignee_id, day.due, day.blocks_step) == (school.people["deputy"].id, date(2026, 10, 20), False)
    # A primary school gets no secondary-school screening task, and the consolidation waits for the classes.
    assert {t.template for t in tasks_of(session, cycle.id)} == {"class_report", "mental_health_day"}
    assert [s.status for s in steps_of(session, cycle.id).values()][1:] == ["pending"] * 4


def test_a_secondary_school_gets_the_annual_screening_in_october(session: Session, book: PackBook) -> None:
    school = make_school(session, name="青岛第二中学", grades=(7,), classes_per_grade=1)
    advance(session, now=at("2026-10-08"), book=book)
    task = one_task(session, cycle_of(session, school.id, OCTOBER).id, "annual_screening_secondary")
    assert (task.assignee_id, task.due, task.blocks_step) == (school.people["psych_teacher"].id,
                                                              date(2026, 10, 31), False)


def test_opening_a_month_twice_opens_it_once(session: Session, book: PackBook, school: SchoolFixture) -> None:
    first = open_month(session, month=OCTOBER, now=at("2026-10-01"), book=book)
    second = open_month(session, month=OCTOBER, now=at("2026-10-02"), book=book)
    assert (first.opened, first.already_open, second.opened, second.already_open) == (1, 0, 0, 1)
    assert len(session.exec(select(Cycle)).all()) == 1


def test_opening_a_badly_written_month_is_refused(session: Session, book: PackBook, school: SchoolFixture) -> None:
    with pytest.raises(ValueError, match="月份应为 YYYY-MM"):
        open_month(session, month="2026-+1", now=at("2026-10-01"), book=book)


# --- idempotency -----------------------------------------------------------------------------------------


def _national_day(session: Session, book: PackBook, school_id: int) -> datetime:
    return at("2026-10-01", 10)


def _screening_day(session: Session, book: PackBook, school_id: int) -> datetime:
    return at("2026-10-08", 9)


def _meeting_day(session: Session, book: PackBook, school_id: int) -> datetime:
    now = drive_to(session, book, school_id, OCTOBER, "ledgers")
    finish_blocking_tasks(session, book, cycle_of(session, school_id, OCTOBER), "ledgers", now)
    return at("2026-10-14", 9)  # the meeting opens and its agenda is written


def _feedback_day(session: Session, book: PackBook, school_id: int) -> datetime:
    now = drive_to(session, book, school_id, OCTOBER, "course_check")
    finish_blocking_tasks(session, book, cycle_of(session, school_id, OCTOBER), "course_check", now)
    return at("2026-10-29", 9)


def _november_day(session: Session, book: PackBook, school_id: int) -> datetime:
    advance(session, now=at("2026-10-08"), book=book)
    return at("2026-11-02", 9)  # November opens and carries October's open work


@pytest.mark.parametrize(("setup", "steps_opened"), [
    (_national_day, 0), (_screening_day, 1), (_meeting_day, 1), (_feedback_day, 1), (_november_day, 1),
], ids=["national-day", "screening-opens", "meeting-opens", "feedback-opens", "november-opens"])
def test_advancing_twice_at_the_same_moment_changes_nothing_the_second_time(
    engine: Engine, book: PackBook, school: SchoolFixture,
    setup: Callable[[Session, PackBook, int], datetime], steps_opened: int,
) -> None:
    with transaction(engine) as session:
        now = setup(session, book, school.id)
    with transaction(engine) as session:
        first = advance(session, now=now, book=book)
    assert first.steps_opened == steps_opened  # the scenario does what its name says
    before, rows = counts(engine), snapshot(engine)
    with transaction(engine) as session:
        second = advance(session, now=now, book=book)
    assert nothing_happened(second), second
    assert counts(engine) == before
    assert snapshot(engine) == rows


# --- a whole month, reloaded from the database between every action (SpiffWorkflow's habit) --------------


@contextmanager
def fresh_unit(db_url: str) -> Iterator[Session]:
    """A new engine and a new session from the URL: whatever the last action left in memory is gone."""
    engine = make_engine(db_url)
    try:
        with transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_a_whole_month_runs_with_nothing_kept_in_memory_between_actions(db_url: str, packs_dir: Path) -> None:
    def act(action: Callable[[Session, PackBook], Any]) -> Any:
        with fresh_unit(db_url) as session:
            return action(session, PackBook(session.get_bind()))  # type: ignore[arg-type]

    def complete(task_id: int | None, values: dict[str, Any], now: datetime) -> None:
        act(lambda s, b: complete_task(s, task_id=task_id or 0, values=values, now=now, book=b))

    def october(session: Session) -> Cycle:
        return cycle_of(session, school_id, OCTOBER)

    def step(key: str) -> Step:
        return act(lambda s, b: steps_of(s, october(s).id)[key])

    def tasks(**filters: Any) -> list[Task]:
        return act(lambda s, b: tasks_of(s, october(s).id, **filters))

    school = act(lambda s, b: make_school(s))
    school_id, people = school.id, {k: p.id for k, p in school.people.items()}
    first_class, second_class = (c.id for c in school.classes)

    assert act(lambda s, b: advance(s, now=at("2026-10-01"), book=b)).opened.opened == 1
    assert act(lambda s, b: advance(s, now=at("2026-10-08"), book=b)).tasks_created == 3
    first_report, second_report = tasks(template="class_report")

    complete(first_report.id, CLASS_REPORT, at("2026-10-08", 15))
    assert tasks(template="consolidate") == []
    complete(second_report.id, CLASS_REPORT, at("2026-10-09", 10))
    (consolidate,) = tasks(template="consolidate")
    assert (consolidate.assignee_id, consolidate.due) == (people["psych_teacher"], date(2026, 10, 13))
    complete(consolidate.id, {"new_key_students": "0", "summary": "全校情况平稳"}, at("2026-10-09", 16))
    assert (step("screening").status, step("screening").done_at) == ("done", at("2026-10-09", 16))
    assert step("ledgers").status == "pending"  # its earliest day, the make-up Saturday, has not come

    act(lambda s, b: advance(s, now=at("2026-10-10"), book=b))
    assert (step("ledgers").status, step("ledgers").due) == ("open", date(2026, 10, 16))
    ledger_tasks = {t.template: t for t in tasks() if t.step_key == "ledgers"}
    assert {k: t.assignee_id for k, t in ledger_tasks.items()} == {
        "ledger_a": people["psych_teacher"], "ledger_b": people["psych_teacher"],
        "ledger_c": people["psych_teacher"], "ledger_d": people["deputy"],
    }
    for key in ("ledger_a", "ledger_b", "ledger_c"):
        complete(ledger_tasks[key].id, LEDGER, at("2026-10-12", 11))
        assert step("ledgers").status == "open"
    complete(ledger_tasks["ledger_d"].id, LEDGER, at("2026-10-13", 11))
    assert (step("ledgers").status, step("ledgers").done_at) == ("done", at("2026-10-13", 11))
    assert act(lambda s, b: sorted(r.ledger for r in s.exec(select(LedgerReview)))) == ["A", "B", "C", "D"]

    act(lambda s, b: advance(s, now=at("2026-10-14"), book=b))
    assert (step("meeting").status, step("meeting").due) == ("open", date(2026, 10, 22))
    assert "心理健康工作领导小组" in act(lambda s, b: s.exec(select(Meeting)).one().agenda)
    (minutes,) = tasks(template="minutes")
    complete(minutes.id, {"held_on": "2026-10-15", "minutes": "研判本月情况", "decisions":
                          "开展家长心理健康讲座｜副组长｜2026-10-30"}, at("2026-10-15", 17))
    (decision,) = tasks(kind="decision")
    assert (decision.assignee_id, decision.due, decision.blocks_step) == (people["deputy"], date(2026, 10, 30), False)
    assert step("meeting").status == "done"

    act(lambda s, b: add_course_records(s, school_id, first_class, "lesson", "activity"))
    act(lambda s, b: add_course_records(s, school_id, second_class, "lesson"))
    act(lambda s, b: advance(s, now=at("2026-10-28"), book=b))
    (check,) = tasks(template="check")
    complete(check.id, {"confirmed": "是"}, at("2026-10-28", 11))
    (rectification,) = tasks(kind="rectification")
    assert (rectification.class_id, rectification.assignee_id, rectification.due) == (
        second_class, people[f"homeroom:{second_class}"], date(2026, 11, 4))
    assert (step("course_check").status, step("feedback").status) == ("done", "pending")

    act(lambda s, b: advance(s, now=at("2026-10-29"), book=b))
    (report,) = tasks(template="report")
    complete(report.id, {"summary": "本月闭环完成"}, at("2026-10-29", 15))
    assert [s.status for s in act(lambda s, b: list(steps_of(s, october(s).id).values()))] == ["done"] * 5
    assert act(lambda s, b: len(s.exec(select(MonthlyReport)).all())) == 1
    assert act(lambda s, b: len(s.exec(select(OutboxMessage)).all())) == 1
    assert act(lambda s, b: october(s).status) == "open"  # closed when November opens

    result = act(lambda s, b: advance(s, now=at("2026-11-02"), book=b))
    # Left open in October and carried: the decision, the theme day, the rectification and the month's push to
    # parents (QD-P1: it does not hold up the feedback step, nobody did it in this test).
    assert (result.opened.opened, result.opened.closed, result.opened.carried_tasks) == (1, 1, 4)
    assert act(lambda s, b: october(s).status) == "closed"
    carried = act(lambda s, b: tasks_of(s, cycle_of(s, school_id, "2026-11").id))
    assert sorted(t.template for t in carried if t.carried_over) == ["decision", "mental_health_day",
                                                                      "parent_push", "rectification"]
    again = act(lambda s, b: advance(s, now=at("2026-11-02"), book=b))
    assert nothing_happened(again)


# --- phases and the ledger step ---------------------------------------------------------------------------


def test_the_consolidation_waits_for_every_class_report(session: Session, book: PackBook,
                                                        school: SchoolFixture) -> None:
    advance(session, now=at("2026-10-08"), book=book)
    cycle = cycle_of(session, school.id, OCTOBER)
    first, second = tasks_of(session, cycle.id, template="class_report")
    complete_task(session, task_id=first.id or 0, values=CLASS_REPORT, now=at("2026-10-08", 12), book=book)
    advance(session, now=at("2026-10-12"), book=book)
    assert tasks_of(session, cycle.id, template="consolidate") == []
    assert steps_of(session, cycle.id)["screening"].status == "open"
    assert steps_of(session, cycle.id)["ledgers"].status == "pending"  # its day has come, its predecessor not done

    complete_task(session, task_id=second.id or 0, values=CLASS_REPORT, now=at("2026-10-12", 12), book=book)
    consolidate = one_task(session, cycle.id, "consolidate")
    assert (consolidate.status, consolidate.assignee_id) == ("open", school.people["psych_teacher"].id)
    assert steps_of(session, cycle.id)["screening"].status == "open"


def test_a_school_without_classes_gets_the_consolidation_at_once(session: Session, book: PackBook) -> None:
    school = make_school(session, classes_per_grade=0)
    advance(session, now=at("2026-10-08"), book=book)
    cycle = cycle_of(session, school.id, OCTOBER)
    assert tasks_of(session, cycle.id, template="class_report") == []
    assert one_task(session, cycle.id, "consolidate").status == "open"


def test_the_ledger_step_needs_a_review_of_each_ledger_a_to_d(session: Session, book: PackBook,
                                                               school: SchoolFixture) -> None:
    now = drive_to(session, book, school.id, OCTOBER, "ledgers")
    cycle = cycle_of(session, school.id, OCTOBER)
    ledger_tasks = [t for t in tasks_of(session, cycle.id) if t.step_key == "ledgers"]
    # All four tasks done in one batch, without reconciling; then one review goes missing.
    complete_tasks(session, completions=[Completion(t.id or 0, LEDGER) for t in ledger_tasks], now=now, book=book)
    session.execute(delete(LedgerReview).where(col(LedgerReview.cycle_id) == cycle.id, col(LedgerReview.ledger) == "D"))
    reconcile(session, now=now, book=book)
    assert steps_of(session, cycle.id)["ledgers"].status == "open"

    session.add(LedgerReview(cycle_id=cycle.id or 0, ledger="D", reviewed_at=now))
    reconcile(session, now=now, book=book)
    assert steps_of(session, cycle.id)["ledgers"].status == "done"


def test_a_ledger_review_records_the_ledgers_size_and_the_changes(session: Session, book: PackBook,
                                                                   school: SchoolFixture) -> None:
    first, _ = add_crisis_cases(session, school, ["王一", "王二"])  # opened in September
    now = drive_to(session, book, school.id, OCTOBER, "ledgers")
    first.updated_at = now  # one of them changed in October
    cycle = cycle_of(session, school.id, OCTOBER)
    task = one_task(session, cycle.id, "ledger_c")
    complete_task(session, task_id=task.id or 0, values={"note": "一例更新"}, now=now, book=book)
    review = session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle.id)).one()
    assert (review.ledger, review.entries, review.added, review.updated, review.changed, review.note) == (
        "C", 2, 0, 1, 1, "一例更新")
    assert review.reviewed_by_id == school.people["psych_teacher"].id


def test_a_step_opened_late_keeps_its_minimum_working_days(session: Session, book: PackBook,
                                                           school: SchoolFixture) -> None:
    advance(session, now=at("2026-10-08"), book=book)
    cycle = cycle_of(session, school.id, OCTOBER)
    finish_blocking_tasks(session, book, cycle, "screening", at("2026-10-15", 10))
    ledgers = steps_of(session, cycle.id)["ledgers"]
    # Calendar due 16 October, but it opened on the 15th and needs 2 working days: Monday the 19th.
    assert (ledgers.status, ledgers.opened_at, ledgers.due) == ("open", at("2026-10-15", 10), date(2026, 10, 19))
    assert {t.due for t in tasks_of(session, cycle.id) if t.step_key == "ledgers"} == {date(2026, 10, 19)}


# --- carry-over -------------------------------------------------------------------------------------------


def test_november_carries_octobers_open_work_and_closes_october(session: Session, book: PackBook,
                                                                school: SchoolFixture) -> None:
    advance(session, now=at("2026-10-08"), book=book)
    october = cycle_of(session, school.id, OCTOBER)
    done_report, open_report = tasks_of(session, october.id, template="class_report")
    holiday_task = one_task(session, october.id, "mental_health_day")
    complete_task(session, task_id=done_report.id or 0, values=CLASS_REPORT, now=at("2026-10-09"), book=book)

    now = at("2026-11-02", 9)
    result = advance(session, now=now, book=book)
    november = cycle_of(session, school.id, "2026-11")

    # 2 open tasks, the consolidation the open screening never reached, 4 steps October never opened.
    assert (result.opened.opened, result.opened.closed, result.opened.carried_tasks) == (1, 1, 7)
    assert (october.status, october.closed_at) == ("closed", now)
    assert {t.id: t.status for t in tasks_of(session, october.id)} == {
        done_report.id: "done", open_report.id: "carried", holiday_task.id: "carried"}
    assert {k: s.status for k, s in steps_of(session, october.id).items()} == {
        "screening": "carried", "ledgers": "carried", "meeting": "carried", "course_check": "carried",
        "feedback": "carried"}

    carried = {t.carried_from_id: t for t in tasks_of(session, november.id) if t.carried_from_id}
    assert set(carried) == {open_report.id, holiday_task.id}
    for original in (open_report, holiday_task):
        copy = carried[original.id or 0]
        assert (copy.status, copy.carried_over, copy.origin_cycle_id, copy.step_id, copy.blocks_step) == (
            "open", True, october.id, None, False)
        assert (copy.template, copy.title, copy.assignee_id, copy.class_id, copy.due) == (
            original.template, original.title, original.assignee_id, original.class_id, original.due)

    consolidate = one_task(session, november.id, "consolidate")
    assert (consolidate.carried_over, consolidate.origin_cycle_id, consolidate.assignee_id, consolidate.due) == (
        True, october.id, school.people["psych_teacher"].id, date(2026, 10, 13))

    missed = tasks_of(session, november.id, kind="missed")
    assert [(t.step_key, t.title, t.due, t.assignee_id, t.origin_cycle_id, t.carried_over) for t in missed] == [
        (key, f"补做10月未开启的步骤：{label}", due, school.people["deputy"].id, october.id, True)
        for key, label, due in [("ledgers", "台账A–D更新", date(2026, 10, 16)),
                                ("meeting", "领导小组专题会议", date(2026, 10, 22)),
                                ("course_check", "“1+1”课程核查", date(2026, 10, 29)),
                                ("feedback", "月度反馈", date(2026, 10, 30))]
    ]
    # November's own loop starts as usual on its first working day.
    assert steps_of(session, november.id)["screening"].status == "open"


def test_carried_and_missed_work_is_completed_in_the_new_month(session: Session, book: PackBook,
                                                               school: SchoolFixture) -> None:
    advance(session, now=at("2026-10-08"), book=book)
    advance(session, now=at("2026-11-02"), book=book)
    november = cycle_of(session, school.id, "2026-11")
    copy = next(t for t in tasks_of(session, november.id, template="class_report") if t.carried_over)
    missed = tasks_of(session, november.id, kind="missed")[0]

    complete_task(session, task_id=copy.id or 0, values=CLASS_REPORT, now=at("2026-11-03"), book=book)
    with pytest.raises(CompletionError, match="缺少必填项“补做情况说明”"):
        complete_task(session, task_id=missed.id or 0, values={}, now=at("2026-11-03"), book=book)
    complete_task(session, task_id=missed.id or 0, values={"note": "11月3日已补开会议"}, now=at("2026-11-03"),
                  book=book)
    assert (copy.status, missed.status, missed.completed_by_id) == ("done", "done", school.people["deputy"].id)


def test_work_carried_twice_keeps_its_first_month(session: Session, book: PackBook, school: SchoolFixture) -> None:
    advance(session, now=at("2026-10-08"), book=book)
    advance(session, now=at("2026-11-02"), book=book)
    advance(session, now=at("2026-12-01"), book=book)
    october = cycle_of(session, school.id, OCTOBER)
    december = cycle_of(session, school.id, "2026-12")
    twice = [t for t in tasks_of(session, december.id) if t.template == "class_report" and t.carried_over]
    assert {t.origin_cycle_id for t in twice if t.due == date(2026, 10, 13)} == {october.id}
    assert len([t for t in twice if t.due == date(2026, 10, 13)]) == 2
    assert cycle_of(session, school.id, "2026-11").status == "closed"


# --- clock skew -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("earlier", [at("2026-10-13", 9), at("2026-10-08", 9), at("2026-10-01", 9)],
                         ids=["day-before", "screening-day", "national-day"])
def test_an_earlier_clock_changes_nothing_already_done(engine: Engine, book: PackBook, school: SchoolFixture,
                                                       earlier: datetime) -> None:
    with transaction(engine) as session:
        _meeting_day(session, book, school.id)
        advance(session, now=at("2026-10-14", 9), book=book)
    rows = snapshot(engine)
    with transaction(engine) as session:
        result = advance(session, now=earlier, book=book)
    assert nothing_happened(result), result
    assert snapshot(engine) == rows


def test_an_earlier_clock_in_the_previous_month_opens_no_past_month(engine: Engine, book: PackBook,
                                                                    school: SchoolFixture) -> None:
    with transaction(engine) as session:
        advance(session, now=at("2026-10-08", 9), book=book)
    rows = snapshot(engine)
    with transaction(engine) as session:
        result = advance(session, now=at("2026-09-30", 17), book=book)
    assert nothing_happened(result), result
    assert result.opened.superseded == 1
    assert snapshot(engine) == rows


# --- refused completions ----------------------------------------------------------------------------------


def refused(engine: Engine, book: PackBook, completions: list[Completion], now: datetime) -> str:
    """Complete in a transaction of its own; assert it is refused and that the database did not change."""
    rows = snapshot(engine)
    with pytest.raises(CompletionError) as error, transaction(engine) as session:
        complete_tasks(session, completions=completions, now=now, book=book)
        reconcile(session, now=now, book=book)
    assert snapshot(engine) == rows
    return str(error.value)


def open_october(engine: Engine, book: PackBook) -> None:
    with transaction(engine) as session:
        advance(session, now=at("2026-10-08"), book=book)


def october_tasks(engine: Engine, school_id: int, template: str) -> list[Task]:
    with Session(engine) as session:
        return tasks_of(session, cycle_of(session, school_id, OCTOBER).id, template=template)


def test_a_role_nobody_holds_leaves_the_task_unassigned_and_completing_it_needs_a_person(
    engine: Engine, book: PackBook,
) -> None:
    with transaction(engine) as session:
        school = make_school(session, homeroom=False)
    open_october(engine, book)
    task, _ = october_tasks(engine, school.id, "class_report")
    assert task.assignee_id is None
    message = refused(engine, book, [Completion(task.id or 0, CLASS_REPORT)], at("2026-10-09"))
    assert message == f"任务 #{task.id} 尚未指派（学校没有班主任），请指明完成人"

    leader = school.people["leader"].id
    with transaction(engine) as session:
        complete_task(session, task_id=task.id or 0, values=CLASS_REPORT, now=at("2026-10-09"), book=book, by=leader)
    (done, _) = october_tasks(engine, school.id, "class_report")
    assert (done.status, done.completed_by_id) == ("done", leader)


def test_a_person_who_does_not_hold_the_role_may_not_complete(engine: Engine, book: PackBook,
                                                              school: SchoolFixture) -> None:
    with transaction(engine) as session:
        other = make_school(session, name="青岛市第二实验小学")
    open_october(engine, book)
    first, second = october_tasks(engine, school.id, "class_report")
    first_homeroom = school.people[f"homeroom:{first.class_id}"]
    for person in (first_homeroom, school.people["psych_teacher"], other.people["leader"]):
        message = refused(engine, book, [Completion(second.id or 0, CLASS_REPORT, by=person.id)], at("2026-10-09"))
        assert message == f"{person.name} 不是任务 #{second.id} 的负责人（应为本校班主任或组长）"


def test_a_done_task_cannot_be_completed_again(engine: Engine, book: PackBook, school: SchoolFixture) -> None:
    open_october(engine, book)
    task, _ = october_tasks(engine, school.id, "class_report")
    with transaction(engine) as session:
        complete_task(session, task_id=task.id or 0, values=CLASS_REPORT, now=at("2026-10-09"), book=book)
    message = refused(engine, book, [Completion(task.id or 0, CLASS_REPORT)], at("2026-10-10"))
    assert message == f"任务 #{task.id} 已于此前完成"


def test_a_carried_task_is_refused_and_points_to_its_successor(engine: Engine, book: PackBook,
                                                                school: SchoolFixture) -> None:
    open_october(engine, book)
    task, _ = october_tasks(engine, school.id, "class_report")
    with transaction(engine) as session:
        advance(session, now=at("2026-11-02"), book=book)
        successor = session.exec(select(Task.id).where(Task.carried_from_id == task.id)).one()
    message = refused(engine, book, [Completion(task.id or 0, CLASS_REPORT)], at("2026-11-03"))
    assert message == f"任务 #{task.id} 已结转到下月，请完成任务 #{successor}"


def test_a_batch_with_one_refusal_writes_none_of_it(engine: Engine, book: PackBook, school: SchoolFixture) -> None:
    open_october(engine, book)
    good, bad = october_tasks(engine, school.id, "class_report")
    message = refused(engine, book, [Completion(good.id or 0, CLASS_REPORT),
                                     Completion(bad.id or 0, {"attention_students": "若干"})], at("2026-10-09"))
    assert message.startswith(f"任务 #{bad.id}「本班月度心理状况摸排（会同本班心理委员）」：")
    assert "缺少必填项“已听取本班心理委员反馈”" in message


def test_an_unknown_task_is_refused(engine: Engine, book: PackBook, school: SchoolFixture) -> None:
    open_october(engine, book)
    assert refused(engine, book, [Completion(9999, {})], at("2026-10-09")) == "没有任务 #9999"


def test_the_domain_core_imports_without_prefect() -> None:
    code = ("import sys, xinyu.cycle, xinyu.courses.status, xinyu.meetings.agenda, xinyu.monthly_report, "
            "notifications.outbox, "
            "notifications.dispatcher, xinyu.chase; "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'prefect']")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
