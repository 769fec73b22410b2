"""The "1+1" grid (QD-T5, QD-T5b): a school's classes × the months of a semester, and recording lessons.

Who sees which rows and who may record comes from xinyu.access (a homeroom teacher: their classes; the
leadership and psychology teachers: the whole school; the district's officers: every row, read only — the
grid holds no student names). What a class needs each month and each semester is the pack's, through
xinyu.courses.status, so the grid agrees with the monthly course check.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import CourseRecord, Person, School, SchoolClass
from xinyu.access import AccessDenied, Viewer
from xinyu.courses.status import monthly_requirements, remaining_teaching_weeks, semester_of
from xinyu.cycle.packbook import PackBook
from xinyu.grades import grade_label
from xinyu.months import month_of, month_parts, next_month
from xinyu.packs import Pack
from xinyu.privacy import school_masker
from xinyu.text_input import check_text
from xinyu.workdays import WorkCalendar

MAX_PERIODS = 10
MAX_TOPIC = 200
# Short names for a cell ("课1 活1"); kinds not named here show their label without the 心理 prefix.
SHORT_LABELS = {"lesson": "课", "activity": "活"}
# A few topics to pick from on a phone (the datalist); anything else may be typed.
TOPIC_SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "lesson": ("认识情绪，学会调节", "压力管理与考试心态", "人际交往与沟通", "珍爱生命，积极成长",
               "网络使用与自我管理"),
    "activity": ("主题班会：做情绪的主人", "心理拓展活动", "团体心理辅导", "心理健康手抄报", "“5·25”心理健康活动"),
}
GENERIC_TOPICS = ("认识情绪，学会调节", "人际交往与沟通", "心理拓展活动", "主题班会")

CellStatus = Literal["ok", "short", "future", "vacation"]


class CourseRecordError(ValueError):
    """A record that cannot be written as given (answered 400 with this message; nothing written)."""


class RecordingNotAllowed(PermissionError):
    """The viewer may see the grid but not record or withdraw here (answered 403)."""


# ---- what the grid and the form show (the API's response models too) ----

class CourseKindInfo(BaseModel):
    key: str
    label: str
    short: str
    monthly_min: int | None  # None: no monthly requirement for this kind (it still counts in totals)
    monthly_per: Literal["month", "fortnight"] | None


class SemesterInfo(BaseModel):
    key: str  # YYYY-MM of its first month: `?semester=` takes this (or any month inside it)
    name: str
    label: str  # e.g. 2026年秋季学期
    start: date
    end: date


class MonthColumn(BaseModel):
    month: str  # YYYY-MM
    label: str
    vacation: bool
    future: bool
    required: dict[str, int]  # kind → minimum this month (empty in a vacation month)


class GridCell(BaseModel):
    month: str
    counts: dict[str, int]
    status: CellStatus
    missing: list[str]  # kind keys still short this month
    text: str  # e.g. 课1 活0


class SemesterTotals(BaseModel):
    counts: dict[str, int]  # kind → records this semester
    periods: int  # periods of the kinds the semester rule counts (all kinds when the pack has no such rule)
    minimum: int | None  # the pack's minimum of periods for the class's stage (QD-T5b)
    reached: bool
    at_risk: bool  # cannot reach the minimum in the teaching weeks left
    months_ok: int
    months_due: int  # teaching months up to this one


class GridRow(BaseModel):
    class_id: int
    label: str
    grade: int
    grade_label: str
    stage: str
    editable: bool
    cells: list[GridCell]
    totals: SemesterTotals


class SemesterRequirement(BaseModel):
    clause: str  # the monthly rule's clause (QD-T5)
    semester_clause: str | None  # QD-T5b
    teaching_months: int
    counts: dict[str, int]  # kind → the monthly minimums added over the semester's teaching months
    period_kinds: list[str]
    min_periods: dict[str, int]  # stage → minimum periods


class CourseGrid(BaseModel):
    school_id: int
    school_name: str
    rule_label: str
    semester: SemesterInfo
    semesters: list[SemesterInfo]
    current_month: str
    kinds: list[CourseKindInfo]
    months: list[MonthColumn]
    rows: list[GridRow]
    requirement: SemesterRequirement
    can_record: bool


class ClassChoice(BaseModel):
    class_id: int
    label: str
    missing_this_month: list[str]  # kind keys


class RecordOptions(BaseModel):
    """What the form offers: the classes this viewer may record for, the pack's kinds, dates allowed."""

    classes: list[ClassChoice]
    kinds: list[CourseKindInfo]
    earliest: date
    latest: date
    max_periods: int
    suggestions: list[str]


class CourseRecordOut(BaseModel):
    id: int
    class_id: int
    class_label: str
    held_on: date
    kind: str
    kind_label: str
    topic: str
    periods: int
    recorded_by: str | None
    withdrawable: bool


# ---- scope ----

@dataclass(frozen=True)
class CourseScope:
    """A school as one viewer may use its courses: the rows they see and the classes they may record for."""

    school: School
    pack: Pack
    work: WorkCalendar
    classes: list[SchoolClass]
    editable_ids: frozenset[int]
    person_id: int | None
    officer_only: bool  # sees the school as a district officer, not as its staff

    @property
    def school_id(self) -> int:
        assert self.school.id is not None
        return self.school.id

    @property
    def class_ids(self) -> list[int]:
        return [c.id for c in self.classes if c.id is not None]

    @property
    def can_record(self) -> bool:
        return bool(self.editable_ids)


def course_scope(session: Session, viewer: Viewer, school_id: int, book: PackBook) -> CourseScope:
    """The school's staff see their classes (whole-school roles: all) and record for them; the officers of
    its district see every row and record nothing. Anyone else: AccessDenied."""
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    staff = viewer.sees_school_as_staff(school_id)
    officer = school.district_id in viewer.district_ids
    if not staff and not officer:
        raise AccessDenied(f"school {school_id}")
    classes = _classes(session, school_id)
    editable = frozenset(c.id for c in classes
                         if staff and c.id is not None and viewer.sees_class(school_id, c.id, c.grade))
    if not (officer or viewer.sees_whole_school(school_id)):
        classes = [c for c in classes if c.id in editable]
    return CourseScope(school=school, pack=book.pack(school.pack), work=book.calendar(school.pack), classes=classes,
                       editable_ids=editable, person_id=viewer.person_id, officer_only=officer and not staff)


def whole_school_scope(session: Session, school_id: int, book: PackBook) -> CourseScope:
    """Every class of the school, for checks that are nobody's view (tests, reports)."""
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    return CourseScope(school=school, pack=book.pack(school.pack), work=book.calendar(school.pack),
                       classes=_classes(session, school_id), editable_ids=frozenset(), person_id=None,
                       officer_only=False)


def _classes(session: Session, school_id: int) -> list[SchoolClass]:
    classes = session.exec(select(SchoolClass).where(SchoolClass.school_id == school_id)).all()
    return sorted(classes, key=lambda c: (c.grade, _natural(c.name)))


def _natural(name: str) -> tuple[tuple[int, str], ...]:
    """2班 before 10班."""
    return tuple((int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", name) if part)


def class_label(school_class: SchoolClass) -> str:
    return f"{grade_label(school_class.grade)}{school_class.name}"


# ---- semesters ----

def semester_at(pack: Pack, day: date) -> SemesterInfo:
    """The semester holding `day`; in a gap between a pack's semesters, the latest one before it."""
    for back in range(367):
        try:
            semester, start, end = semester_of(pack, day - timedelta(days=back))
        except ValueError:
            continue
        return SemesterInfo(key=month_of(start), name=semester.name, label=f"{start.year}年{semester.name}",
                            start=start, end=end)
    raise ValueError(f"政策包 {pack.id} 在 {day} 前一年内没有学期")


def semester_for_key(pack: Pack, key: str) -> SemesterInfo:
    """`?semester=YYYY-MM`: the semester holding that month (its first day, else its last)."""
    year, number = month_parts(key)
    first = date(year, number, 1)
    last = date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)
    found = semester_at(pack, first)
    return found if found.end >= first else semester_at(pack, last)


def semester_choices(pack: Pack, today: date, count: int = 4) -> list[SemesterInfo]:
    """The current semester and the ones before it, newest first."""
    choices = [semester_at(pack, today)]
    while len(choices) < count:
        choices.append(semester_at(pack, choices[-1].start - timedelta(days=1)))
    return choices


def school_year_start(pack: Pack, today: date) -> date:
    """The first day of the school year: the start of the pack's first semester (秋季学期) on or before today."""
    semester = semester_at(pack, today)
    for _ in pack.semesters:
        if semester.name == pack.semesters[0].name:
            break
        semester = semester_at(pack, semester.start - timedelta(days=1))
    return semester.start


def semester_months(semester: SemesterInfo) -> list[str]:
    months, month = [], month_of(semester.start)
    while month <= month_of(semester.end):
        months.append(month)
        month = next_month(month)
    return months


# ---- the grid ----

def course_kinds(pack: Pack) -> list[CourseKindInfo]:
    rules = {r.kind: r for r in pack.course_rule.monthly}
    return [CourseKindInfo(key=key, label=kind.label, short=SHORT_LABELS.get(key, kind.label.removeprefix("心理")),
                           monthly_min=rules[key].min if key in rules else None,
                           monthly_per=rules[key].per if key in rules else None)
            for key, kind in pack.course_rule.kinds.items()]


def course_grid(session: Session, scope: CourseScope, *, semester: SemesterInfo, today: date) -> CourseGrid:
    """Rows of the scope's classes, one cell per month, and the semester's totals: one query for the counts."""
    pack, work = scope.pack, scope.work
    kinds = course_kinds(pack)
    current = month_of(today)
    columns = [_column(pack, work, month, current) for month in semester_months(semester)]
    counts, periods = _semester_counts(session, scope, semester)
    rule = pack.course_rule.semester
    period_kinds = list(rule.kinds) if rule else [k.key for k in kinds]
    after = min(max(today, semester.start - timedelta(days=1)), semester.end)
    weeks_left = remaining_teaching_weeks(pack, work, after, semester.end) if rule else 0
    rows = []
    for school_class in scope.classes:
        class_id = school_class.id or 0
        cells = [_cell(column, counts.get((class_id, column.month), {}), kinds) for column in columns]
        total_counts = {k.key: sum(counts.get((class_id, c.month), {}).get(k.key, 0) for c in columns) for k in kinds}
        total_periods = sum(periods.get((class_id, kind), 0) for kind in period_kinds)
        minimum = rule.min_periods.get(school_class.stage) if rule else None
        reachable = total_periods + weeks_left * (rule.max_periods_per_week if rule else 0)
        due = [c for c in cells if c.status in ("ok", "short")]
        rows.append(GridRow(
            class_id=class_id, label=class_label(school_class), grade=school_class.grade,
            grade_label=grade_label(school_class.grade), stage=school_class.stage,
            editable=class_id in scope.editable_ids, cells=cells,
            totals=SemesterTotals(
                counts=total_counts, periods=total_periods, minimum=minimum,
                reached=minimum is None or total_periods >= minimum,
                at_risk=minimum is not None and reachable < minimum,
                months_ok=sum(c.status == "ok" for c in due), months_due=len(due)),
        ))
    teaching = [c for c in columns if not c.vacation]
    return CourseGrid(
        school_id=scope.school_id, school_name=scope.school.name, rule_label=pack.course_rule.label,
        semester=semester, semesters=_with(semester_choices(pack, today), semester), current_month=current,
        kinds=kinds, months=columns, rows=rows,
        requirement=SemesterRequirement(
            clause=pack.course_rule.clause, semester_clause=rule.clause if rule else None,
            teaching_months=len(teaching),
            counts={k.key: sum(c.required.get(k.key, 0) for c in teaching) for k in kinds if k.monthly_min},
            period_kinds=period_kinds, min_periods=dict(rule.min_periods) if rule else {}),
        can_record=scope.can_record,
    )


def _with(choices: list[SemesterInfo], chosen: SemesterInfo) -> list[SemesterInfo]:
    return choices if any(c.key == chosen.key for c in choices) else [*choices, chosen]


def _column(pack: Pack, work: WorkCalendar, month: str, current: str) -> MonthColumn:
    vacation = pack.variant_for_month(int(month[5:])) == "vacation"
    return MonthColumn(month=month, label=f"{int(month[5:])}月", vacation=vacation, future=month > current,
                       required={} if vacation else monthly_requirements(pack, month, work))


def _cell(column: MonthColumn, counts: dict[str, int], kinds: list[CourseKindInfo]) -> GridCell:
    shown = [k for k in kinds if k.key in column.required or counts.get(k.key)]
    text = " ".join(f"{k.short}{counts.get(k.key, 0)}" for k in shown)
    missing = [kind for kind, n in column.required.items() if counts.get(kind, 0) < n]
    status: CellStatus
    if column.vacation:
        status, text = "vacation", " ".join(["假期", *[f"{k.short}{counts[k.key]}" for k in kinds
                                                     if counts.get(k.key)]])
    elif column.future:
        status, text = "future", "—"
    else:
        status = "short" if missing else "ok"
    return GridCell(month=column.month, counts={k.key: counts.get(k.key, 0) for k in kinds}, status=status,
                    missing=[] if status in ("vacation", "future") else missing, text=text)


def _semester_counts(session: Session, scope: CourseScope, semester: SemesterInfo) -> tuple[
        dict[tuple[int, str], dict[str, int]], dict[tuple[int, str], int]]:
    """(class, month) → kind → records, and (class, kind) → periods over the semester: one grouped query."""
    counts: dict[tuple[int, str], dict[str, int]] = {}
    periods: dict[tuple[int, str], int] = {}
    if not scope.classes:
        return counts, periods
    rows = session.exec(
        select(CourseRecord.class_id, CourseRecord.held_on, CourseRecord.kind,  # type: ignore[call-overload]
               func.count(), func.sum(CourseRecord.periods))
        .where(CourseRecord.school_id == scope.school_id, col(CourseRecord.class_id).in_(scope.class_ids),
               col(CourseRecord.held_on) >= semester.start, col(CourseRecord.held_on) <= semester.end,
               col(CourseRecord.periods) >= 1)  # no period, no lesson
        .group_by(col(CourseRecord.class_id), col(CourseRecord.held_on), col(CourseRecord.kind)))
    for class_id, held_on, kind, number, period_sum in rows:
        bucket = counts.setdefault((class_id, month_of(held_on)), {})
        bucket[kind] = bucket.get(kind, 0) + int(number)
        periods[(class_id, kind)] = periods.get((class_id, kind), 0) + int(period_sum or 0)
    return counts, periods


@dataclass(frozen=True)
class ShortClass:
    class_id: int
    label: str
    missing: list[str]  # kind keys


def short_classes(session: Session, *, school_id: int, month: str, today: date, book: PackBook) -> list[ShortClass]:
    """Classes of the school whose cell for `month` is short (red) on the grid today."""
    scope = whole_school_scope(session, school_id, book)
    grid = course_grid(session, scope, semester=semester_for_key(scope.pack, month), today=today)
    short = []
    for row in grid.rows:
        cell = next((c for c in row.cells if c.month == month), None)
        if cell is not None and cell.status == "short":
            short.append(ShortClass(class_id=row.class_id, label=row.label, missing=cell.missing))
    return short


# ---- recording ----

def record_options(session: Session, scope: CourseScope, *, today: date) -> RecordOptions:
    """The form's choices; each class says what it still misses this month so the form can suggest it."""
    if not scope.can_record:
        raise RecordingNotAllowed("区县人员可查看课程落实情况，但不能代学校记录" if scope.officer_only
                                  else "您没有可记录课程的班级")
    editable = [c for c in scope.classes if c.id in scope.editable_ids]
    month = month_of(today)
    column = _column(scope.pack, scope.work, month, month)
    counts = _month_counts(session, scope, month)
    kinds = course_kinds(scope.pack)
    suggestions = [t for k in kinds for t in TOPIC_SUGGESTIONS.get(k.key, ())] or list(GENERIC_TOPICS)
    return RecordOptions(
        classes=[ClassChoice(class_id=c.id or 0, label=class_label(c),
                             missing_this_month=[k for k, n in column.required.items()
                                                 if counts.get((c.id or 0, k), 0) < n]) for c in editable],
        kinds=kinds, earliest=school_year_start(scope.pack, today), latest=today, max_periods=MAX_PERIODS,
        suggestions=suggestions)


def _month_counts(session: Session, scope: CourseScope, month: str) -> dict[tuple[int, str], int]:
    year, number = month_parts(month)
    first = date(year, number, 1)
    rows = session.exec(
        select(CourseRecord.class_id, CourseRecord.kind, func.count())  # type: ignore[call-overload]
        .where(CourseRecord.school_id == scope.school_id, col(CourseRecord.held_on) >= first,
               col(CourseRecord.held_on) < date(year + number // 12, number % 12 + 1, 1),
               col(CourseRecord.periods) >= 1)
        .group_by(col(CourseRecord.class_id), col(CourseRecord.kind)))
    return {(class_id, kind): int(n) for class_id, kind, n in rows}


def record_course(
    session: Session, scope: CourseScope, *, class_id: int, kind: str, held_on: date, topic: str, periods: int,
    today: date,
) -> CourseRecord:
    """Write one lesson or activity (QD-T5) after checking it against the viewer's classes and the pack."""
    if not scope.can_record:
        raise RecordingNotAllowed("区县人员可查看课程落实情况，但不能代学校记录" if scope.officer_only
                                  else "您没有可记录课程的班级")
    if class_id not in scope.editable_ids:  # another teacher's class: a refusal of access, not a typo
        raise RecordingNotAllowed("只能为您负责的班级记录课程或活动")
    kinds = scope.pack.course_rule.kinds
    if kind not in kinds:
        raise CourseRecordError("类型应为：" + "、".join(k.label for k in kinds.values()))
    topic = topic.strip()
    if not topic:
        raise CourseRecordError("请填写主题")
    if len(topic) > MAX_TOPIC:
        raise CourseRecordError(f"主题不超过 {MAX_TOPIC} 字")
    check_text(topic, "主题", error=CourseRecordError)
    if not 1 <= periods <= MAX_PERIODS:  # a lesson is at least one period: 0 would count toward "1+1" for nothing
        raise CourseRecordError(f"课时应在 1 到 {MAX_PERIODS} 之间")
    if held_on > today:
        raise CourseRecordError("日期不能晚于今天：请在课程或活动开展后再记录")
    earliest = school_year_start(scope.pack, today)
    if held_on < earliest:
        raise CourseRecordError(f"日期不能早于本学年开始（{earliest.isoformat()}）")
    record = CourseRecord(school_id=scope.school_id, class_id=class_id, held_on=held_on, kind=kind, topic=topic,
                          periods=periods, recorded_by_id=scope.person_id)
    session.add(record)
    session.flush()
    return record


def withdraw_course(session: Session, scope: CourseScope, *, record_id: int, today: date) -> CourseRecord:
    """Delete one's own record of this month (a mistake); others' records and past months stay."""
    record = session.get(CourseRecord, record_id)
    if record is None or record.school_id != scope.school_id or record.class_id not in scope.class_ids:
        raise AccessDenied(f"course record {record_id}")
    if not _withdrawable(record, scope, today):
        if record.recorded_by_id != scope.person_id or scope.person_id is None:
            raise RecordingNotAllowed("只能撤回自己录入的记录")
        raise CourseRecordError("只能撤回本月的记录；以前月份的记录已计入核查")
    session.delete(record)
    session.flush()
    return record


def _withdrawable(record: CourseRecord, scope: CourseScope, today: date) -> bool:
    return (scope.person_id is not None and record.recorded_by_id == scope.person_id
            and record.class_id in scope.editable_ids and month_of(record.held_on) == month_of(today))


# ---- the records behind the grid ----

def course_records(
    session: Session, scope: CourseScope, *, semester: SemesterInfo, today: date, limit: int | None = None,
) -> list[CourseRecordOut]:
    """The semester's records of the scope's classes, newest first. For officers, a student's name typed
    into a topic is masked (xinyu.privacy: the text leaves the school)."""
    if not scope.classes:
        return []
    query = (select(CourseRecord, Person.name).outerjoin(Person, col(Person.id) == col(CourseRecord.recorded_by_id))
             .where(CourseRecord.school_id == scope.school_id, col(CourseRecord.class_id).in_(scope.class_ids),
                    col(CourseRecord.held_on) >= semester.start, col(CourseRecord.held_on) <= semester.end)
             .order_by(col(CourseRecord.held_on).desc(), col(CourseRecord.id).desc()))
    if limit is not None:
        query = query.limit(limit)
    found = list(session.exec(query))
    described = [describe_record(scope, record, recorded_by=recorder, today=today) for record, recorder in found]
    if scope.officer_only and found:
        masker = school_masker(session, scope.school_id)
        for item in described:
            item.topic = masker.mask(item.topic)
    return described


def describe_record(scope: CourseScope, record: CourseRecord, *, recorded_by: str | None,
                    today: date) -> CourseRecordOut:
    school_class = next((c for c in scope.classes if c.id == record.class_id), None)
    kind = scope.pack.course_rule.kinds.get(record.kind)
    return CourseRecordOut(
        id=record.id or 0, class_id=record.class_id, class_label=class_label(school_class) if school_class else "",
        held_on=record.held_on, kind=record.kind, kind_label=kind.label if kind else record.kind,
        topic=record.topic, periods=record.periods, recorded_by=recorded_by,
        withdrawable=_withdrawable(record, scope, today))
