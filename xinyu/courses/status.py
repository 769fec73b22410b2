""""1+1" per class and month (QD-T5, GZ-3.2) and semester totals against the minimum (QD-T5b)."""

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import CourseRecord, SchoolClass
from xinyu.db import among
from xinyu.grades import grade_label
from xinyu.months import month_parts, month_range
from xinyu.packs import Pack, Semester
from xinyu.workdays import WorkCalendar


@dataclass
class ClassCourseStatus:
    class_id: int
    label: str
    stage: str
    counts: dict[str, int]
    required: dict[str, int]
    semester_periods: int = 0
    semester_minimum: int | None = None
    semester_at_risk: bool = False
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing


def teaching_weeks(month: str, work: WorkCalendar) -> int:
    """Weeks of the month with at least one working day (a holiday week does not count)."""
    year, number = month_parts(month)
    return len({d.isocalendar()[:2] for d in work.workdays_of_month(year, number)})


def monthly_requirements(pack: Pack, month: str, work: WorkCalendar) -> dict[str, int]:
    """How many of each course kind a class needs this month; `per: fortnight` = one per two weeks."""
    fortnights = math.ceil(teaching_weeks(month, work) / 2)
    return {r.kind: r.min * (fortnights if r.per == "fortnight" else 1) for r in pack.course_rule.monthly}


def semester_of(pack: Pack, day: date) -> tuple[Semester, date, date]:
    for semester in pack.semesters:
        start = date(day.year, int(semester.start[:2]), int(semester.start[3:]))
        end = date(day.year, int(semester.end[:2]), int(semester.end[3:]))
        if end < start:  # the autumn term runs into January
            start, end = (start, end.replace(year=day.year + 1)) if day >= start else (
                start.replace(year=day.year - 1), end)
        if start <= day <= end:
            return semester, start, end
    raise ValueError(f"{day} 不在政策包 {pack.id} 的任何学期内")


def class_statuses(
    session: Session, *, school_id: int, month: str, pack: Pack, work: WorkCalendar
) -> list[ClassCourseStatus]:
    """Every class of the school with its "1+1" counts this month and its semester progress."""
    return class_statuses_by_school(session, school_ids=[school_id], month=month, pack=pack, work=work).get(
        school_id, [])


def class_statuses_by_school(
    session: Session, *, school_ids: Collection[int], month: str, pack: Pack, work: WorkCalendar
) -> dict[int, list[ClassCourseStatus]]:
    """class_statuses for many schools of one pack: the same few queries serve the whole batch."""
    ids = list(school_ids)
    first, last = month_range(month)
    required = monthly_requirements(pack, month, work)
    labels = {k: v.label for k, v in pack.course_rule.kinds.items()}
    month_counts = _counts(session, ids, first, last, func.count())
    semester_rule = pack.course_rule.semester
    _, sem_start, sem_end = semester_of(pack, last)
    periods: dict[tuple[int, str], int] = {}
    remaining_weeks = 0
    if semester_rule:
        periods = _counts(session, ids, sem_start, last, func.sum(CourseRecord.periods))  # 0-period rows add 0
        remaining_weeks = remaining_teaching_weeks(pack, work, last, sem_end)
    statuses: dict[int, list[ClassCourseStatus]] = {}
    classes = session.exec(
        select(SchoolClass.id, SchoolClass.school_id, SchoolClass.grade, SchoolClass.name,  # type: ignore[call-overload]
               SchoolClass.stage)
        .where(among(session, SchoolClass.school_id, ids)).order_by(col(SchoolClass.grade), col(SchoolClass.name)))
    for class_id, school_id, grade, name, stage in classes:
        counts = {kind: month_counts.get((class_id, kind), 0) for kind in labels}
        status = ClassCourseStatus(
            class_id=class_id, label=f"{grade_label(grade)}{name}", stage=stage, counts=counts, required=required,
            missing=[labels[k] for k, n in required.items() if counts.get(k, 0) < n],
        )
        if semester_rule:
            status.semester_periods = sum(periods.get((class_id, k), 0) for k in semester_rule.kinds)
            status.semester_minimum = semester_rule.min_periods.get(stage)
            if status.semester_minimum is not None:
                reachable = status.semester_periods + remaining_weeks * semester_rule.max_periods_per_week
                status.semester_at_risk = reachable < status.semester_minimum
        statuses.setdefault(school_id, []).append(status)
    return statuses


def _counts(
    session: Session, school_ids: list[int], first: date, last: date, measure: object
) -> dict[tuple[int, str], int]:
    rows = session.exec(
        select(CourseRecord.class_id, CourseRecord.kind, measure)  # type: ignore[call-overload]
        .where(among(session, CourseRecord.school_id, school_ids), col(CourseRecord.held_on) >= first,
               col(CourseRecord.held_on) <= last, col(CourseRecord.periods) >= 1)  # no period, no lesson
        .group_by(col(CourseRecord.class_id), col(CourseRecord.kind))
    )
    return {(class_id, kind): int(value or 0) for class_id, kind, value in rows}


def remaining_teaching_weeks(pack: Pack, work: WorkCalendar, after: date, until: date) -> int:
    """Teaching weeks left in the semester after `after`, vacation months excluded."""
    weeks = set()
    day = after + timedelta(days=1)
    while day <= until:
        if day.month not in pack.calendar.vacation_months and work.is_workday(day):
            weeks.add(day.isocalendar()[:2])
        day += timedelta(days=1)
    return len(weeks)
