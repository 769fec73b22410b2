""""1+1" requirements per month (QD-T5, GZ-3.2), teaching weeks, semesters and the semester minimum (QD-T5b)."""

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from models import CourseRecord
from tests.factories import make_school
from xinyu.courses.status import class_statuses, monthly_requirements, semester_of, teaching_weeks
from xinyu.packs import Pack, Semester, load_pack


@pytest.fixture
def qingdao(packs_dir: Path) -> Pack:
    return load_pack("qingdao", packs_dir)


@pytest.fixture
def ganzhou(packs_dir: Path) -> Pack:
    return load_pack("ganzhou", packs_dir)


@pytest.mark.parametrize(("month", "weeks"), [
    ("2026-10", 4),  # 1–7 October is the National Day holiday: that week has no working day
    ("2026-11", 5),
    ("2026-09", 5),  # Sunday 20 September is a make-up workday, inside a week already counted
    ("2026-05", 4),  # 1–5 May holiday; Saturday 9 May is a make-up workday of the week of 4 May
])
def test_teaching_weeks(qingdao: Pack, month: str, weeks: int) -> None:
    assert teaching_weeks(month, qingdao.work_calendar()) == weeks


@pytest.mark.parametrize("month", ["2026-10", "2026-11"])
def test_qingdao_asks_one_lesson_and_one_activity_every_month(qingdao: Pack, month: str) -> None:
    assert monthly_requirements(qingdao, month, qingdao.work_calendar()) == {"lesson": 1, "activity": 1}


@pytest.mark.parametrize(("month", "activity_lessons"), [
    ("2026-10", 2),  # 4 teaching weeks = 2 fortnights
    ("2026-11", 3),  # 5 teaching weeks: a started fortnight counts
])
def test_ganzhou_asks_an_activity_lesson_per_fortnight_and_a_class_meeting_per_month(
    ganzhou: Pack, month: str, activity_lessons: int,
) -> None:
    assert monthly_requirements(ganzhou, month, ganzhou.work_calendar()) == {
        "activity_lesson": activity_lessons, "class_meeting": 1,
    }


@pytest.mark.parametrize(("day", "name", "start", "end"), [
    (date(2026, 9, 1), "秋季学期", date(2026, 9, 1), date(2027, 1, 31)),
    (date(2026, 12, 31), "秋季学期", date(2026, 9, 1), date(2027, 1, 31)),
    (date(2027, 1, 1), "秋季学期", date(2026, 9, 1), date(2027, 1, 31)),
    (date(2027, 1, 31), "秋季学期", date(2026, 9, 1), date(2027, 1, 31)),
    (date(2027, 2, 1), "春季学期", date(2027, 2, 1), date(2027, 8, 31)),
    (date(2026, 8, 31), "春季学期", date(2026, 2, 1), date(2026, 8, 31)),
])
def test_semester_of_across_the_january_boundary(qingdao: Pack, day: date, name: str, start: date,
                                                  end: date) -> None:
    semester, first, last = semester_of(qingdao, day)
    assert (semester.name, first, last) == (name, start, end)


def test_a_day_between_semesters_is_refused(qingdao: Pack) -> None:
    gappy = qingdao.model_copy(update={"semesters": (
        Semester(name="秋季学期", start="09-01", end="01-15"),
        Semester(name="春季学期", start="02-20", end="07-10"),
    )})
    with pytest.raises(ValueError, match="2027-02-01 不在政策包 qingdao 的任何学期内"):
        semester_of(gappy, date(2027, 2, 1))


def add_records(session: Session, school_id: int, class_id: int, *records: tuple[str, str]) -> None:
    for held_on, kind in records:
        session.add(CourseRecord(school_id=school_id, class_id=class_id, held_on=date.fromisoformat(held_on),
                                 kind=kind, topic="情绪管理", periods=1))
    session.flush()


def test_a_class_is_short_of_what_it_did_not_hold_this_month(session: Session, qingdao: Pack) -> None:
    school = make_school(session)
    full, short = school.classes
    add_records(session, school.id, full.id or 0, ("2026-10-09", "lesson"), ("2026-10-30", "activity"))
    # Records on either side of October do not count for October.
    add_records(session, school.id, short.id or 0, ("2026-10-12", "lesson"), ("2026-09-30", "activity"),
                ("2026-11-02", "activity"))
    statuses = {s.class_id: s for s in class_statuses(session, school_id=school.id, month="2026-10", pack=qingdao,
                                                       work=qingdao.work_calendar())}
    assert statuses[full.id or 0].ok and statuses[full.id or 0].counts == {"lesson": 1, "activity": 1}
    assert statuses[short.id or 0].missing == ["心理健康专题活动"]
    assert statuses[short.id or 0].counts == {"lesson": 1, "activity": 0}


def test_semester_at_risk_when_the_remaining_weeks_cannot_reach_the_minimum(session: Session, qingdao: Pack) -> None:
    # End of May 2026: June has 5 teaching weeks left (July and August are vacation months); a primary
    # class needs 6 lesson periods in the spring semester, at most 1 a week.
    school = make_school(session, classes_per_grade=3)
    nothing, one_lesson, wrong_kind = (c.id or 0 for c in school.classes)
    add_records(session, school.id, one_lesson, ("2026-03-10", "lesson"))
    # Activities are not lessons, and a lesson of the autumn semester does not count for the spring one.
    add_records(session, school.id, wrong_kind, ("2026-03-10", "activity"), ("2026-04-14", "activity"),
                ("2026-05-12", "activity"), ("2026-01-20", "lesson"))
    statuses = {s.class_id: s for s in class_statuses(session, school_id=school.id, month="2026-05", pack=qingdao,
                                                       work=qingdao.work_calendar())}
    assert (statuses[nothing].semester_periods, statuses[nothing].semester_at_risk) == (0, True)
    assert (statuses[one_lesson].semester_periods, statuses[one_lesson].semester_at_risk) == (1, False)
    assert (statuses[wrong_kind].semester_periods, statuses[wrong_kind].semester_at_risk) == (0, True)
    assert statuses[nothing].semester_minimum == 6


def test_no_semester_check_where_the_pack_has_none(session: Session, ganzhou: Pack) -> None:
    school = make_school(session, pack="ganzhou", name="赣州市实验小学", district_name="章贡区")
    (status, *_) = class_statuses(session, school_id=school.id, month="2026-05", pack=ganzhou,
                                  work=ganzhou.work_calendar())
    assert (status.semester_minimum, status.semester_at_risk) == (None, False)
