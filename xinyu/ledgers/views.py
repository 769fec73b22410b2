"""The four work ledgers A–D as staff read them (QD-ANNEX: 可以分别建立，也可以有机结合).

Each ledger on its own, or combined per student. Scope is applied in SQL:
- whole-school staff (leadership group, psychology teachers) see A, B and D of their school;
- homeroom teachers and grade heads see the rows of students in their classes only;
- ledger C (crisis) only for its readers (the pack's ledger_readers.C: leader and psychology teachers)
  and a case's handler (their own cases); everyone else sees neither the rows nor a count. Every read of
  crisis records writes an AuditEntry (ids and counts, never names).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import false, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    CrisisCase,
    Cycle,
    KeyStudentPlan,
    LedgerReview,
    Person,
    School,
    SchoolClass,
    ScreeningRecord,
    Student,
    TalkRecord,
)
from xinyu.access import AccessDenied, Viewer, visible_class_ids
from xinyu.clock import as_local, local_date
from xinyu.grades import grade_label
from xinyu.months import month_of

LEDGER_LABELS = {
    "A": "心理测评与档案台账",
    "B": "重点关爱学生台账",
    "C": "心理危机干预与转介台账",
    "D": "谈心谈话与家校反馈台账",
}
LedgerView = Literal["all", "A", "B", "C", "D"]
VIEWS: tuple[LedgerView, ...] = ("all", "A", "B", "C", "D")
PAGE_SIZE = 200
NO_ACCESS = "无权查看"
CrisisAccess = Literal["all", "handled", "none"]


# ---- scope -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerScope:
    """What one viewer may read of one school's ledgers."""

    school_id: int
    school_name: str
    viewer_id: int
    class_ids: list[int] | None  # None: every class of the school
    class_filter: int | None  # the one class asked for, if any
    crisis: CrisisAccess  # all: a ledger C reader; handled: their own cases only; none: 无权查看
    classes: list["ClassOption"]  # the classes the viewer may pick

    @property
    def crisis_allowed(self) -> bool:
        return self.crisis != "none"


class ClassOption(BaseModel):
    id: int
    label: str


def ledger_scope(session: Session, viewer: Viewer, school_id: int, class_id: int | None = None) -> LedgerScope:
    """The viewer's scope in the school; AccessDenied (404) for outsiders and officers, and for a class out of reach."""
    viewer.require_school(school_id)
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    visible = visible_class_ids(session, viewer, school_id)
    query = select(SchoolClass).where(SchoolClass.school_id == school_id)
    if visible is not None:
        query = query.where(col(SchoolClass.id).in_(visible))
    classes = [ClassOption(id=c.id or 0, label=class_label(c.grade, c.name))
               for c in session.exec(query.order_by(col(SchoolClass.grade), col(SchoolClass.name)))]
    if class_id is not None and class_id not in {c.id for c in classes}:
        raise AccessDenied(f"class {class_id}")
    return LedgerScope(
        school_id=school_id, school_name=school.name, viewer_id=viewer.person_id,
        class_ids=[class_id] if class_id is not None else visible, class_filter=class_id,
        crisis=crisis_access(session, viewer, school_id), classes=classes,
    )


def crisis_access(session: Session, viewer: Viewer, school_id: int) -> CrisisAccess:
    """Who reads ledger C is decided in one place: xinyu.crisis.access (the pack's ledger_readers.C, GZ-5.3)."""
    from xinyu.crisis.access import crisis_access as decide

    return decide(session, viewer, school_id)


def class_label(grade: int, name: str) -> str:
    return f"{grade_label(grade)}{name}"


def _in_scope(query: Any, scope: LedgerScope, table: Any) -> Any:
    """Rows of the school, of the classes in scope (through the student's class)."""
    query = query.where(table.school_id == scope.school_id)
    if scope.class_ids is not None:
        query = query.where(col(Student.class_id).in_(scope.class_ids))
    return query


def _crisis_in_scope(query: Any, scope: LedgerScope) -> Any:
    """Ledger C: the handler's own cases (in any class) or the leader's whole school; a class asked for applies."""
    query = query.where(CrisisCase.school_id == scope.school_id)
    if scope.crisis == "handled":
        query = query.where(CrisisCase.handler_id == scope.viewer_id)
    elif scope.crisis == "none":
        query = query.where(false())
    if scope.class_filter is not None:
        query = query.where(Student.class_id == scope.class_filter)
    return query


# ---- rows --------------------------------------------------------------------------------------------------

class StudentCells(BaseModel):
    student_id: int
    student_no: str
    student_name: str
    class_id: int
    class_label: str


class ScreeningRow(StudentCells):
    id: int
    screened_on: date
    scale: str
    total_score: float
    level: str
    method: str


class KeyStudentRow(StudentCells):
    id: int
    status: str = "draft"  # draft | active | closed (xinyu.ledgers.key_students)
    mentor: str | None
    opened_on: date
    closed_on: date | None
    family_situation: str
    difficulties: str
    study_plan: str
    growth_advice: str
    progression_path: str


class CrisisRow(StudentCells):
    id: int
    code: str
    level: str
    handler: str | None
    opened_at: datetime | None
    parents_informed_at: datetime | None
    referral_hospital: str | None
    certificate_on: date | None
    outcome: str | None
    closed_at: datetime | None


class TalkRow(StudentCells):
    id: int
    kind: str
    held_on: date
    by: str | None
    summary: str


class StudentLedgerRow(StudentCells):
    """The combined view: one row per student."""

    latest_level: str | None
    latest_screened_on: date | None
    plan: Literal["在案", "已结案"] | None
    crisis_open: bool | None  # None: the viewer may not see ledger C
    crisis_case_ids: list[int] | None
    talks: int


class ReviewStatus(BaseModel):
    """This month's review of one ledger (the ledger step's LedgerReview)."""

    ledger: str
    label: str
    reviewed: bool
    reviewed_by: str | None
    reviewed_at: datetime | None
    entries: int | None  # None: hidden (ledger C for anyone but the leader)
    changed: int | None
    note: str | None
    hidden: bool


class LedgerListing(BaseModel):
    school_id: int
    school_name: str
    view: LedgerView
    class_id: int | None
    classes: list[ClassOption]
    month: str
    crisis_allowed: bool
    counts: dict[str, int | None]  # per ledger in scope; C is None when not allowed
    reviews: list[ReviewStatus]
    page: int
    pages: int
    total: int | None  # rows of this view in scope; None for C when not allowed
    screening: list[ScreeningRow] = []
    key_students: list[KeyStudentRow] = []
    crisis: list[CrisisRow] = []
    talks: list[TalkRow] = []
    students: list[StudentLedgerRow] = []


def _student_cells(student: Student, school_class: SchoolClass) -> dict[str, Any]:
    return {"student_id": student.id, "student_no": student.student_no, "student_name": student.name,
            "class_id": school_class.id, "class_label": class_label(school_class.grade, school_class.name)}


def _joined(table: Any) -> Any:
    return (select(table, Student, SchoolClass)
            .join(Student, col(Student.id) == table.student_id)
            .join(SchoolClass, col(SchoolClass.id) == col(Student.class_id)))


def _order(query: Any) -> Any:
    return query.order_by(col(SchoolClass.grade), col(SchoolClass.name), col(Student.student_no))


def _people(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    found = session.execute(sa_select(col(Person.id), col(Person.name)).where(col(Person.id).in_(wanted)))
    return {pid: name for pid, name in found}


def screening_rows(session: Session, scope: LedgerScope, *, limit: int | None = None, offset: int = 0
                   ) -> list[ScreeningRow]:
    query = _in_scope(_joined(ScreeningRecord), scope, ScreeningRecord)
    query = query.order_by(col(ScreeningRecord.screened_on).desc(), col(SchoolClass.grade), col(SchoolClass.name),
                           col(Student.student_no), col(ScreeningRecord.id)).offset(offset).limit(limit)
    return [ScreeningRow(**_student_cells(s, c), id=r.id, screened_on=r.screened_on, scale=r.scale,
                         total_score=r.total_score, level=r.level, method=r.method)
            for r, s, c in session.exec(query)]


def key_student_rows(session: Session, scope: LedgerScope, *, limit: int | None = None, offset: int = 0
                     ) -> list[KeyStudentRow]:
    query = _order(_in_scope(_joined(KeyStudentPlan), scope, KeyStudentPlan))
    found = list(session.exec(query.order_by(col(KeyStudentPlan.id)).offset(offset).limit(limit)))
    mentors = _people(session, {r.mentor_id for r, _, _ in found})
    return [KeyStudentRow(**_student_cells(s, c), id=r.id, status=r.status, mentor=mentors.get(r.mentor_id or 0),
                          opened_on=r.opened_on, closed_on=r.closed_on, family_situation=r.family_situation,
                          difficulties=r.difficulties, study_plan=r.study_plan, growth_advice=r.growth_advice,
                          progression_path=r.progression_path)
            for r, s, c in found]


def talk_rows(session: Session, scope: LedgerScope, *, limit: int | None = None, offset: int = 0) -> list[TalkRow]:
    query = _in_scope(_joined(TalkRecord), scope, TalkRecord)
    query = query.order_by(col(TalkRecord.held_on).desc(), col(SchoolClass.grade), col(SchoolClass.name),
                           col(Student.student_no), col(TalkRecord.id)).offset(offset).limit(limit)
    found = list(session.exec(query))
    people = _people(session, {r.by_id for r, _, _ in found})
    return [TalkRow(**_student_cells(s, c), id=r.id, kind=r.kind, held_on=r.held_on, by=people.get(r.by_id or 0),
                    summary=r.summary)
            for r, s, c in found]


def crisis_rows(session: Session, scope: LedgerScope, *, now: datetime, purpose: str,
                limit: int | None = None, offset: int = 0) -> list[CrisisRow]:
    """Ledger C rows the viewer may read; the read is audited (even when it finds nothing)."""
    if not scope.crisis_allowed:
        return []
    query = _crisis_in_scope(_joined(CrisisCase), scope)
    query = query.order_by(col(CrisisCase.closed_at).is_not(None), col(CrisisCase.opened_at).desc(),
                           col(CrisisCase.id).desc()).offset(offset).limit(limit)
    found = list(session.exec(query))
    handlers = _people(session, {r.handler_id for r, _, _ in found})
    rows = [CrisisRow(**_student_cells(s, c), id=r.id, code=f"C-{r.id}", level=r.level,
                      handler=handlers.get(r.handler_id or 0), opened_at=r.opened_at,
                      parents_informed_at=r.parents_informed_at, referral_hospital=r.referral_hospital,
                      certificate_on=r.certificate_on, outcome=r.outcome, closed_at=r.closed_at)
            for r, s, c in found]
    audit_crisis_list(session, scope, now=now, purpose=purpose, case_ids=[r.id for r in rows])
    return rows


def audit_crisis_list(session: Session, scope: LedgerScope, *, now: datetime, purpose: str,
                      case_ids: list[int]) -> None:
    ids = ",".join(str(i) for i in case_ids)
    detail = f"{purpose} count={len(case_ids)} ids={ids}"
    if len(detail) > 2000:
        detail = detail[:1990] + "…"
    session.add(AuditEntry(at=now, actor_id=scope.viewer_id, action="read_crisis",
                           target=f"ledger:C:school:{scope.school_id}", detail=detail))


def student_rows(session: Session, scope: LedgerScope, *, now: datetime, purpose: str,
                 limit: int | None = None, offset: int = 0) -> tuple[list[StudentLedgerRow], int]:
    """The combined view: every student in scope who appears in a ledger the viewer may read, with
    their latest screening level, plan, crisis flag (only if C is readable) and number of talks."""
    latest: dict[int, tuple[date, str]] = {}
    record = ScreeningRecord
    screenings = (sa_select(col(record.student_id), col(record.screened_on), col(record.level))
                  .join(Student, col(Student.id) == col(ScreeningRecord.student_id)))
    screenings = _in_scope(screenings, scope, ScreeningRecord).order_by(col(ScreeningRecord.screened_on),
                                                                        col(ScreeningRecord.id))
    for student_id, screened_on, level in session.execute(screenings):
        latest[student_id] = (screened_on, level)
    plans: dict[int, str] = {}
    plan_rows = (sa_select(col(KeyStudentPlan.student_id), col(KeyStudentPlan.closed_on))
                 .join(Student, col(Student.id) == col(KeyStudentPlan.student_id)))
    for student_id, closed_on in session.execute(_in_scope(plan_rows, scope, KeyStudentPlan)):
        if closed_on is None or student_id not in plans:
            plans[student_id] = "已结案" if closed_on is not None else "在案"
    talk_counts = (sa_select(col(TalkRecord.student_id), func.count())
                   .join(Student, col(Student.id) == col(TalkRecord.student_id)))
    talks = {sid: n for sid, n in session.execute(_in_scope(talk_counts, scope, TalkRecord)
                                                   .group_by(col(TalkRecord.student_id)))}
    cases: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    if scope.crisis_allowed:
        case_rows = (sa_select(col(CrisisCase.student_id), col(CrisisCase.id), col(CrisisCase.closed_at))
                     .join(Student, col(Student.id) == col(CrisisCase.student_id)))
        for student_id, case_id, closed_at in session.execute(
                _crisis_in_scope(case_rows, scope).order_by(col(CrisisCase.id))):
            cases[student_id].append((case_id, closed_at is None))
    wanted = set(latest) | set(plans) | set(talks) | set(cases)
    # Plain columns, not entities: a school of a few thousand students would spend its time building objects.
    query = _order(sa_select(col(Student.id), col(Student.student_no), col(Student.name), col(Student.class_id),
                             col(SchoolClass.grade), col(SchoolClass.name))
                   .join(SchoolClass, col(SchoolClass.id) == col(Student.class_id))
                   .where(col(Student.school_id) == scope.school_id))
    if scope.class_ids is not None:
        query = query.where(col(Student.class_id).in_(scope.class_ids))
    students = [row for row in session.execute(query) if row[0] in wanted]
    page = students[offset: offset + limit if limit is not None else None]
    rows = []
    for sid, student_no, name, class_id, grade, class_name in page:
        screened = latest.get(sid)
        own = cases.get(sid, [])
        rows.append(StudentLedgerRow(
            student_id=sid, student_no=student_no, student_name=name, class_id=class_id,
            class_label=class_label(grade, class_name),
            latest_level=screened[1] if screened else None, latest_screened_on=screened[0] if screened else None,
            plan=plans.get(sid),  # type: ignore[arg-type]
            crisis_open=any(is_open for _, is_open in own) if scope.crisis_allowed else None,
            crisis_case_ids=[case_id for case_id, _ in own] if scope.crisis_allowed else None,
            talks=int(talks.get(sid, 0)),
        ))
    if scope.crisis_allowed:
        audit_crisis_list(session, scope, now=now, purpose=purpose,
                          case_ids=[i for r in rows for i in (r.crisis_case_ids or [])])
    return rows, len(students)


# ---- counts and reviews ------------------------------------------------------------------------------------

def ledger_counts(session: Session, scope: LedgerScope) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for letter, table in (("A", ScreeningRecord), ("B", KeyStudentPlan), ("D", TalkRecord)):
        query = select(func.count()).select_from(table).join(Student, col(Student.id) == table.student_id)
        counts[letter] = int(session.exec(_in_scope(query, scope, table)).one())
    if scope.crisis_allowed:
        query = (select(func.count()).select_from(CrisisCase)
                 .join(Student, col(Student.id) == col(CrisisCase.student_id)))
        counts["C"] = int(session.exec(_crisis_in_scope(query, scope)).one())
    else:
        counts["C"] = None
    return {k: counts[k] for k in "ABCD"}


def review_statuses(session: Session, scope: LedgerScope, month: str) -> list[ReviewStatus]:
    """This month's LedgerReview per ledger; C's counts and note only for the leader (they reveal cases)."""
    reviewer = aliased(Person)
    found = {r.ledger: (r, name) for r, name in session.execute(
        sa_select(LedgerReview, col(reviewer.name))
        .join(Cycle, col(Cycle.id) == col(LedgerReview.cycle_id))
        .outerjoin(reviewer, col(reviewer.id) == col(LedgerReview.reviewed_by_id))
        .where(col(Cycle.school_id) == scope.school_id, col(Cycle.month) == month))}
    statuses = []
    for letter, label in LEDGER_LABELS.items():
        review, name = found.get(letter, (None, None))
        hidden = letter == "C" and scope.crisis != "all"
        reviewed = review is not None and review.reviewed_at is not None
        statuses.append(ReviewStatus(
            ledger=letter, label=label, reviewed=reviewed, reviewed_by=name if reviewed else None,
            reviewed_at=review.reviewed_at if review and reviewed else None,
            entries=None if hidden or not reviewed or review is None else review.entries,
            changed=None if hidden or not reviewed or review is None else review.changed,
            note=None if hidden or not reviewed or review is None else review.note, hidden=hidden))
    return statuses


# ---- the page ----------------------------------------------------------------------------------------------

def ledger_listing(session: Session, scope: LedgerScope, *, view: LedgerView, page: int, now: datetime
                   ) -> LedgerListing:
    """One page of a ledger (or of the combined view) with the counts and this month's reviews."""
    counts = ledger_counts(session, scope)
    month = month_of(local_date(now))
    offset = (page - 1) * PAGE_SIZE
    listing = LedgerListing(
        school_id=scope.school_id, school_name=scope.school_name, view=view,
        class_id=scope.class_filter, classes=scope.classes, month=month, crisis_allowed=scope.crisis_allowed,
        counts=counts, reviews=review_statuses(session, scope, month), page=page, pages=1,
        total=counts.get(view) if view != "all" else None,
    )
    purpose = f"view={view} page={page}"
    if view == "A":
        listing.screening = screening_rows(session, scope, limit=PAGE_SIZE, offset=offset)
    elif view == "B":
        listing.key_students = key_student_rows(session, scope, limit=PAGE_SIZE, offset=offset)
    elif view == "C":
        listing.crisis = crisis_rows(session, scope, now=now, purpose=purpose, limit=PAGE_SIZE, offset=offset)
    elif view == "D":
        listing.talks = talk_rows(session, scope, limit=PAGE_SIZE, offset=offset)
    else:
        listing.students, listing.total = student_rows(session, scope, now=now, purpose=purpose,
                                                       limit=PAGE_SIZE, offset=offset)
    listing.pages = max(1, -(-(listing.total or 0) // PAGE_SIZE))
    return listing


# ---- export ------------------------------------------------------------------------------------------------

@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]


def _when(moment: datetime | None) -> str:
    return as_local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


STUDENT_HEADER = ["学号", "姓名", "班级"]


def _student(row: StudentCells) -> list[Any]:
    return [row.student_no, row.student_name, row.class_label]


def export_tables(session: Session, scope: LedgerScope, *, view: LedgerView, now: datetime) -> list[Table]:
    """Everything in scope, unpaged: the combined sheet and/or one sheet per ledger (C only if readable)."""
    letters = ["A", "B", "C", "D"] if view == "all" else [view]
    tables: list[Table] = []
    if view == "all":
        students, _ = student_rows(session, scope, now=now, purpose="export view=all")
        header = [*STUDENT_HEADER, "最近测评日期", "最近预警等级", "一生一案", "谈心谈话次数"]
        if scope.crisis_allowed:
            header.insert(6, "危机个案")
        rows = []
        for r in students:
            row = [*_student(r), _day(r.latest_screened_on), r.latest_level or "", r.plan or "", r.talks]
            if scope.crisis_allowed:
                row.insert(6, "、".join(f"C-{i}" for i in r.crisis_case_ids or []))
            rows.append(row)
        tables.append(Table("综合台账（按学生）", header, rows))
    if "A" in letters:
        tables.append(Table("A 心理测评与档案", [*STUDENT_HEADER, "测评日期", "量表", "总分", "预警等级", "测评方式"],
                            [[*_student(r), _day(r.screened_on), r.scale, r.total_score, r.level,
                              "线上测评" if r.method == "online" else "他评" if r.method == "rating" else r.method]
                             for r in screening_rows(session, scope)]))
    if "B" in letters:
        tables.append(Table("B 重点关爱学生", [*STUDENT_HEADER, "成长导师", "建档日期", "结案日期", "家庭情况",
                                           "主要困难", "学业规划", "成长建议", "升学路径"],
                            [[*_student(r), r.mentor or "", _day(r.opened_on), _day(r.closed_on), r.family_situation,
                              r.difficulties, r.study_plan, r.growth_advice, r.progression_path]
                             for r in key_student_rows(session, scope)]))
    if "C" in letters and scope.crisis_allowed:
        tables.append(Table("C 心理危机干预与转介", [
            "个案编号", *STUDENT_HEADER, "危机等级", "处置负责人", "建档时间", "家长告知时间", "转介医院",
            "复学证明日期", "处置结果", "结案时间"],
            [[r.code, *_student(r), r.level, r.handler or "", _when(r.opened_at), _when(r.parents_informed_at),
              r.referral_hospital or "", _day(r.certificate_on), r.outcome or "", _when(r.closed_at)]
             for r in crisis_rows(session, scope, now=now, purpose=f"export view={view}")]))
    if "D" in letters:
        tables.append(Table("D 谈心谈话与家校反馈", [*STUDENT_HEADER, "日期", "方式", "谈话人", "内容摘要"],
                            [[*_student(r), _day(r.held_on), r.kind, r.by or "", r.summary]
                             for r in talk_rows(session, scope)]))
    if not tables:  # C asked for by someone who may not read it: a sheet that says so, and nothing else
        tables.append(Table("C 心理危机干预与转介", ["说明"], [[NO_ACCESS]]))
    return tables
