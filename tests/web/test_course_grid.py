"""The "1+1" grid's core (xinyu.courses.grid) on the web world, without the web: rules, scope, queries."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, func, select

from models import CourseRecord, Student
from tests.web.world import TODAY, World
from xinyu.access import AccessDenied, load_viewer
from xinyu.courses.grid import (
    CourseRecordError,
    RecordingNotAllowed,
    course_grid,
    course_records,
    course_scope,
    record_course,
    school_year_start,
    semester_at,
    semester_for_key,
    semester_months,
    short_classes,
    whole_school_scope,
    withdraw_course,
)
from xinyu.courses.status import class_statuses
from xinyu.cycle import PackBook


@pytest.fixture
def book(world_engine: Engine) -> PackBook:
    return PackBook(world_engine)


def short_in_october(engine: Engine, world: World, book: PackBook) -> dict[int, list[str]]:
    """The world school's classes short of their "1+1" in October 2026 → the kinds they miss."""
    with Session(engine) as session:
        return {s.class_id: s.missing for s in short_classes(session, school_id=world.school_id, month="2026-10",
                                                             today=TODAY, book=book)}


@contextmanager
def counted_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def record_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(CourseRecord)).one()


def test_the_grid_agrees_with_the_monthly_course_check(world: World, world_engine: Engine, book: PackBook) -> None:
    with Session(world_engine) as session:
        pack = book.pack("qingdao")
        statuses = class_statuses(session, school_id=world.school_id, month="2026-10", pack=pack,
                                  work=book.calendar("qingdao"))
    labels = {k: v.label for k, v in pack.course_rule.kinds.items()}
    expected = {s.class_id: s.missing for s in statuses if not s.ok}
    found = short_in_october(world_engine, world, book)
    assert expected and {k: [labels[m] for m in v] for k, v in found.items()} == expected
    # The homeroom account's class is short this October: the browser test records what it misses.
    assert world.accounts["homeroom"].class_id in found


def test_the_autumn_semester_runs_september_to_january(world: World, world_engine: Engine, book: PackBook) -> None:
    pack = book.pack("qingdao")
    autumn = semester_at(pack, TODAY)
    assert (autumn.key, autumn.name, autumn.start, autumn.end) == ("2026-09", "秋季学期", date(2026, 9, 1),
                                                                   date(2027, 1, 31))
    assert semester_for_key(pack, "2027-01") == autumn == semester_for_key(pack, "2026-12")
    assert semester_months(autumn) == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    spring = semester_for_key(pack, "2026-05")
    assert (spring.start, spring.end) == (date(2026, 2, 1), date(2026, 8, 31))
    assert school_year_start(pack, TODAY) == date(2026, 9, 1)
    assert school_year_start(pack, date(2027, 3, 10)) == date(2026, 9, 1)

    with Session(world_engine) as session:
        scope = whole_school_scope(session, world.school_id, book)
        grid = course_grid(session, scope, semester=autumn, today=TODAY)
        past = course_grid(session, scope, semester=spring, today=TODAY)
    assert [(m.month, m.future, m.vacation) for m in grid.months][1:3] == [("2026-10", False, False),
                                                                          ("2026-11", True, False)]
    assert grid.requirement.teaching_months == 5 and grid.requirement.counts == {"lesson": 5, "activity": 5}
    assert grid.requirement.min_periods["小学"] == 6 and grid.requirement.period_kinds == ["lesson"]
    for row in grid.rows:
        assert [c.status for c in row.cells][2:] == ["future"] * 3
        assert row.totals.months_due == 2 and not row.totals.at_risk  # 14 teaching weeks are left
    # The spring semester: February, July and August are vacation months; the past term reached nothing.
    assert [m.month for m in past.months if m.vacation] == ["2026-02", "2026-07", "2026-08"]
    assert {c.status for r in past.rows for c in r.cells} == {"vacation", "short"}
    assert all(r.totals.at_risk and not r.totals.reached for r in past.rows)


def test_the_grid_costs_one_query(world: World, world_engine: Engine, book: PackBook) -> None:
    with Session(world_engine) as session:
        scope = whole_school_scope(session, world.school_id, book)
        with counted_queries(world_engine) as statements:
            grid = course_grid(session, scope, semester=semester_at(scope.pack, TODAY), today=TODAY)
    assert len(grid.rows) == 4 and len(statements) == 1


def test_recording_turns_a_short_month_green(world: World, world_engine: Engine, book: PackBook) -> None:
    homeroom = world.accounts["homeroom"]
    missing = short_in_october(world_engine, world, book)[homeroom.class_id or 0]
    with Session(world_engine) as session:
        viewer = load_viewer(session, homeroom.person_id)
        assert viewer is not None
        scope = course_scope(session, viewer, world.school_id, book)
        assert [c.id for c in scope.classes] == [homeroom.class_id] and scope.can_record
        for kind in missing:
            record_course(session, scope, class_id=homeroom.class_id or 0, kind=kind, held_on=TODAY,
                          topic="  情绪小管家  ", periods=1, today=TODAY)
        session.commit()
        row = course_grid(session, scope, semester=semester_at(scope.pack, TODAY), today=TODAY).rows[0]
        records = course_records(session, scope, semester=semester_at(scope.pack, TODAY), today=TODAY)
    assert next(c for c in row.cells if c.month == "2026-10").status == "ok"
    assert homeroom.class_id not in short_in_october(world_engine, world, book)
    mine = [r for r in records if r.topic == "情绪小管家"]
    assert len(mine) == len(missing) and all(r.withdrawable and r.recorded_by == homeroom.name for r in mine)


@pytest.mark.parametrize(("change", "message"), [
    ({"held_on": date(2026, 10, 21)}, "不能晚于今天"),
    ({"held_on": date(2026, 8, 31)}, "不能早于本学年开始"),
    ({"kind": "lecture"}, "类型应为"),
    ({"topic": "   "}, "请填写主题"),
    ({"topic": "长" * 201}, "不超过"),
    ({"topic": "情绪\x00管理"}, "控制字符"),
    ({"topic": "情绪\u202e管理"}, "主题含有不可见的控制字符"),
    ({"periods": 11}, "课时"),
    ({"periods": 0}, "课时应在 1 到"),
    ({"periods": -1}, "课时应在 1 到"),
])
def test_recording_refuses_what_the_rules_do_not_allow(world: World, world_engine: Engine, book: PackBook,
                                                        change: dict[str, object], message: str) -> None:
    homeroom = world.accounts["homeroom"]
    before = record_count(world_engine)
    with Session(world_engine) as session:
        viewer = load_viewer(session, homeroom.person_id)
        assert viewer is not None
        scope = course_scope(session, viewer, world.school_id, book)
        other = next(c.id for c in whole_school_scope(session, world.school_id, book).classes
                     if c.id != homeroom.class_id)
        values: dict[str, object] = {"class_id": homeroom.class_id, "kind": "lesson", "held_on": TODAY,
                                     "topic": "认识情绪", "periods": 1, **change}
        if values["class_id"] == "other":
            values["class_id"] = other
        with pytest.raises(CourseRecordError, match=message):
            record_course(session, scope, today=TODAY, **values)  # type: ignore[arg-type]
    assert record_count(world_engine) == before


def test_officers_see_every_row_but_record_nothing(world: World, world_engine: Engine, book: PackBook) -> None:
    with Session(world_engine) as session:
        officer = load_viewer(session, world.accounts["officer"].person_id)
        foreign = load_viewer(session, world.accounts["foreign_officer"].person_id)
        other_homeroom = load_viewer(session, world.accounts["other_homeroom"].person_id)
        assert officer is not None and foreign is not None and other_homeroom is not None
        scope = course_scope(session, officer, world.school_id, book)
        assert len(scope.classes) == 4 and scope.officer_only and not scope.can_record
        with pytest.raises(RecordingNotAllowed):
            record_course(session, scope, class_id=scope.class_ids[0], kind="lesson", held_on=TODAY, topic="x",
                          periods=1, today=TODAY)
        for outsider in (foreign, other_homeroom):
            with pytest.raises(AccessDenied):
                course_scope(session, outsider, world.school_id, book)
        with pytest.raises(AccessDenied):
            course_scope(session, officer, 999_999, book)


def test_officers_read_topics_without_student_names(world: World, world_engine: Engine, book: PackBook) -> None:
    with Session(world_engine) as session:
        name = session.exec(select(Student.name).where(Student.school_id == world.school_id)).first()
        leader = load_viewer(session, world.accounts["leader"].person_id)
        officer = load_viewer(session, world.accounts["officer"].person_id)
        assert name and leader is not None and officer is not None
        staff = course_scope(session, leader, world.school_id, book)
        # A teacher types a student's name into the topic by mistake.
        record_course(session, staff, class_id=staff.class_ids[0], kind="lesson", held_on=TODAY,
                      topic=f"与{name}谈情绪", periods=1, today=TODAY)
        session.commit()
        semester = semester_at(staff.pack, TODAY)
        as_staff = course_records(session, staff, semester=semester, today=TODAY)
        as_officer = course_records(session, course_scope(session, officer, world.school_id, book),
                                    semester=semester, today=TODAY)
    assert any(name in r.topic for r in as_staff)
    assert not any(name in r.topic for r in as_officer) and any("某同学" in r.topic for r in as_officer)


def test_withdrawing_only_ones_own_record_of_this_month(world: World, world_engine: Engine, book: PackBook) -> None:
    with Session(world_engine) as session:
        homeroom = load_viewer(session, world.accounts["homeroom"].person_id)
        leader = load_viewer(session, world.accounts["leader"].person_id)
        assert homeroom is not None and leader is not None
        mine = course_scope(session, homeroom, world.school_id, book)
        theirs = course_scope(session, leader, world.school_id, book)
        class_id = mine.class_ids[0]
        today = record_course(session, mine, class_id=class_id, kind="lesson", held_on=TODAY, topic="a", periods=1,
                              today=TODAY)
        earlier = record_course(session, mine, class_id=class_id, kind="lesson", held_on=date(2026, 9, 30),
                                topic="b", periods=1, today=TODAY)
        simulated = session.exec(select(CourseRecord).where(CourseRecord.class_id == class_id,
                                                            CourseRecord.recorded_by_id == None)).first()  # noqa: E711
        session.commit()
        with pytest.raises(RecordingNotAllowed):
            withdraw_course(session, theirs, record_id=today.id or 0, today=TODAY)  # the leader did not record it
        with pytest.raises(CourseRecordError, match="本月"):
            withdraw_course(session, mine, record_id=earlier.id or 0, today=TODAY)
        assert simulated is not None
        with pytest.raises(RecordingNotAllowed):
            withdraw_course(session, mine, record_id=simulated.id or 0, today=TODAY)
        with pytest.raises(AccessDenied):
            withdraw_course(session, mine, record_id=999_999, today=TODAY)
        withdraw_course(session, mine, record_id=today.id or 0, today=TODAY)
        session.commit()
        assert session.get(CourseRecord, today.id) is None and session.get(CourseRecord, earlier.id) is not None


def test_a_homeroom_teacher_may_not_record_for_another_class(world: World, world_engine: Engine,
                                                             book: PackBook) -> None:
    homeroom = world.accounts["homeroom"]
    before = record_count(world_engine)
    with Session(world_engine) as session:
        viewer = load_viewer(session, homeroom.person_id)
        assert viewer is not None
        scope = course_scope(session, viewer, world.school_id, book)
        other = next(c.id for c in whole_school_scope(session, world.school_id, book).classes
                     if c.id != homeroom.class_id)
        with pytest.raises(RecordingNotAllowed, match="只能为您负责的班级"):
            record_course(session, scope, class_id=other, kind="lesson", held_on=TODAY, topic="认识情绪",
                          periods=1, today=TODAY)
    assert record_count(world_engine) == before
