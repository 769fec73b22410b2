"""QD-2 “一生一谈一案一反馈” coverage per class and semester, and ledger A's screening coverage per school year.

Per class, from the rows of ledgers B and D (SQL aggregates, a few queries per batch of schools):
- talked: students with a 谈心 record held in the semester / students;
- with_plan: key students (an open plan: draft or active) whose plan is active (all five fields) / key students;
- family_feedback: key students with a 家访/电话/微信/家长会 record held in the semester / key students.
Each figure shows red below the pack's target (`talk_coverage`, QD-2). Counts only: no names leave this module.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import distinct, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models import KeyStudentPlan, SchoolClass, ScreeningRecord, Student, TalkRecord
from xinyu.courses.grid import semester_at
from xinyu.grades import grade_label
from xinyu.ledgers.talks import FEEDBACK_KINDS, TALK
from xinyu.packs import Pack, TalkCoverageRule

OPEN_PLAN = ("draft", "active")
SEMESTER_KEY = re.compile(r"^(\d{4})-(\S)$")


class SemesterError(ValueError):
    """A semester key the pack does not know."""


@dataclass(frozen=True)
class Term:
    key: str  # 2026-秋: the semester whose name starts with 秋, starting in 2026
    label: str  # 2026年秋季学期
    start: date
    end: date


def _term(pack: Pack, day: date) -> Term:
    info = semester_at(pack, day)
    return Term(key=f"{info.start.year}-{info.name[0]}", label=info.label, start=info.start, end=info.end)


def current_term(pack: Pack, today: date) -> Term:
    return _term(pack, today)


def parse_term(pack: Pack, key: str) -> Term:
    """`2026-秋` → the pack's 秋季学期 starting in 2026."""
    found = SEMESTER_KEY.match(key.strip())
    names = "、".join(f"YYYY-{s.name[0]}" for s in pack.semesters)
    if found is None:
        raise SemesterError(f"学期应写作 {names}（如 2026-秋），实为 {key!r}")
    year, initial = int(found.group(1)), found.group(2)
    for semester in pack.semesters:
        if semester.name.startswith(initial):
            return _term(pack, date(year, int(semester.start[:2]), int(semester.start[3:])))
    raise SemesterError(f"政策包 {pack.name} 没有以“{initial}”开头的学期（应为 {names}）")


def term_choices(pack: Pack, today: date, count: int = 4) -> list[Term]:
    terms = [current_term(pack, today)]
    while len(terms) < count:
        terms.append(_term(pack, terms[-1].start - timedelta(days=1)))
    return terms


@dataclass
class ClassCoverage:
    class_id: int
    label: str
    grade: int
    students: int = 0
    talked: int = 0
    key_students: int = 0
    with_plan: int = 0
    family_feedback: int = 0
    screened: int = 0  # ledger A: students with a result this school year

    @property
    def screened_share(self) -> float | None:
        return share(self.screened, self.students)

    def as_json(self) -> dict[str, Any]:
        return {"class": self.label, "students": self.students, "talked": self.talked,
                "key_students": self.key_students, "with_plan": self.with_plan,
                "family_feedback": self.family_feedback}


def share(part: int, whole: int) -> float | None:
    """Percent, None when there is nobody to count (no key students: nothing is missing)."""
    return None if whole == 0 else round(100 * part / whole, 1)


def below(part: int, whole: int, target: int) -> bool:
    return whole > 0 and part * 100 < target * whole


@dataclass
class SchoolCoverage:
    term: Term
    target: TalkCoverageRule
    classes: list[ClassCoverage] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        keys = ("students", "talked", "key_students", "with_plan", "family_feedback")
        return {k: sum(getattr(c, k) for c in self.classes) for k in keys}

    def short(self, c: ClassCoverage) -> dict[str, bool]:
        """Which figures of a class are below the pack's target (shown red)."""
        return {"talked": below(c.talked, c.students, self.target.talk_target),
                "with_plan": below(c.with_plan, c.key_students, self.target.plan_target),
                "family_feedback": below(c.family_feedback, c.key_students, self.target.feedback_target)}

    @property
    def classes_short(self) -> int:
        return sum(1 for c in self.classes if any(self.short(c).values()))


@lru_cache(maxsize=4096)  # the same few class names in every school
def _natural(name: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (0, p) for p in re.split(r"(\d+)", name) if p)


def _classes(session: Session, school_ids: Collection[int]) -> dict[int, dict[int, ClassCoverage]]:
    found: dict[int, dict[int, ClassCoverage]] = {s: {} for s in school_ids}
    rows = session.execute(sa_select(col(SchoolClass.id), col(SchoolClass.school_id), col(SchoolClass.grade),
                                     col(SchoolClass.name)).where(col(SchoolClass.school_id).in_(school_ids)))
    for class_id, school_id, grade, name in sorted(rows, key=lambda r: (r[2], _natural(r[3]))):
        found[school_id][class_id] = ClassCoverage(class_id=class_id, label=f"{grade_label(grade)}{name}", grade=grade)
    return found


def _per_class(session: Session, query: Any) -> list[tuple[int, int, int]]:
    """(school id, class id, count) rows of an aggregate grouped by the student's class."""
    return [(s, c, int(n)) for s, c, n in session.execute(query.group_by(col(Student.school_id),
                                                                          col(Student.class_id)))]


def coverage_by_school(session: Session, school_ids: Collection[int], *, start: date, end: date,
                       year_start: date | None = None, only: Collection[str] | None = None
                       ) -> dict[int, dict[int, ClassCoverage]]:
    """Every class of the schools with its QD-2 figures for the semester [start, end] (and ledger A's
    screened students from `year_start` to `end`'s school year, when asked)."""
    school_ids = sorted(school_ids)
    classes = _classes(session, school_ids)
    by_class = sa_select(col(Student.school_id), col(Student.class_id))
    in_schools = col(Student.school_id).in_(school_ids)
    figures: list[tuple[str, Any]] = [
        ("students", by_class.add_columns(func.count()).where(in_schools)),
        ("talked", by_class.add_columns(func.count(distinct(col(TalkRecord.student_id))))
         .join(TalkRecord, col(TalkRecord.student_id) == col(Student.id))
         .where(in_schools, col(TalkRecord.kind) == TALK, col(TalkRecord.held_on) >= start,
                col(TalkRecord.held_on) <= end)),
        ("key_students", by_class.add_columns(func.count(distinct(col(KeyStudentPlan.student_id))))
         .join(KeyStudentPlan, col(KeyStudentPlan.student_id) == col(Student.id))
         .where(in_schools, col(KeyStudentPlan.status).in_(OPEN_PLAN))),
        ("with_plan", by_class.add_columns(func.count(distinct(col(KeyStudentPlan.student_id))))
         .join(KeyStudentPlan, col(KeyStudentPlan.student_id) == col(Student.id))
         .where(in_schools, col(KeyStudentPlan.status) == "active")),
        ("family_feedback", by_class.add_columns(func.count(distinct(col(KeyStudentPlan.student_id))))
         .join(KeyStudentPlan, col(KeyStudentPlan.student_id) == col(Student.id))
         .join(TalkRecord, col(TalkRecord.student_id) == col(Student.id))
         .where(in_schools, col(KeyStudentPlan.status).in_(OPEN_PLAN), col(TalkRecord.kind).in_(FEEDBACK_KINDS),
                col(TalkRecord.held_on) >= start, col(TalkRecord.held_on) <= end)),
    ]
    if year_start is not None:
        figures.append(("screened", by_class.add_columns(func.count(distinct(col(ScreeningRecord.student_id))))
                        .join(ScreeningRecord, col(ScreeningRecord.student_id) == col(Student.id))
                        .where(in_schools, col(ScreeningRecord.screened_on) >= year_start,
                               col(ScreeningRecord.screened_on) < _next_year(year_start))))
    for name, query in figures:
        if only is not None and name not in only:
            continue
        for school_id, class_id, n in _per_class(session, query):
            if class_id in classes.get(school_id, {}):
                setattr(classes[school_id][class_id], name, n)
    return classes


def _next_year(day: date) -> date:
    return day.replace(year=day.year + 1)


def school_year_start(today: date) -> date:
    """The school year runs 1 September to 31 August (QD-3: the screening is yearly)."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def school_coverage(session: Session, *, school_id: int, pack: Pack, term: Term,
                    class_ids: Collection[int] | None = None) -> SchoolCoverage:
    """The school's classes (or those asked for) × the three QD-2 figures of the semester."""
    found = coverage_by_school(session, [school_id], start=term.start, end=term.end)[school_id]
    classes = [c for c in found.values() if class_ids is None or c.class_id in class_ids]
    return SchoolCoverage(term=term, target=pack.talk_coverage, classes=classes)


def screening_coverage(session: Session, *, school_id: int, today: date,
                       class_ids: Collection[int] | None = None) -> tuple[date, list[ClassCoverage]]:
    """Ledger A: per class, students with a result this school year / students."""
    start = school_year_start(today)
    found = coverage_by_school(session, [school_id], start=start, end=start, year_start=start,
                               only=("students", "screened"))[school_id]
    return start, [c for c in found.values() if class_ids is None or c.class_id in class_ids]


# ---- what other areas show: the meeting agenda, the report to the district (counts, never names) ----

def coverage_summary(coverage: SchoolCoverage) -> dict[str, Any]:
    t = coverage.totals
    return {"semester": coverage.term.key, "label": coverage.term.label, **t,
            "classes": len(coverage.classes), "classes_short": coverage.classes_short}


def coverage_line(coverage: SchoolCoverage) -> str:
    """One line: 一生一谈一案一反馈（2026年秋季学期）：谈心 …/… 人；一生一案 …/…；家庭反馈 …/…；未达标班级 n 个."""
    t = coverage.totals
    return (f"“一生一谈一案一反馈”（{coverage.term.label}，QD-2）：已谈心 {t['talked']}/{t['students']} 人；"
            f"重点关爱学生成长方案已确立 {t['with_plan']}/{t['key_students']} 人；"
            f"家庭已反馈 {t['family_feedback']}/{t['key_students']} 人；"
            f"未达标班级 {coverage.classes_short}/{len(coverage.classes)} 个")


def coverage_for_schools(session: Session, packs: dict[int, Pack], today: date) -> dict[int, SchoolCoverage]:
    """The current semester's coverage of many schools (school id → its pack): a few queries per pack."""
    out: dict[int, SchoolCoverage] = {}
    by_pack: dict[str, list[int]] = {}
    for school_id, pack in packs.items():
        by_pack.setdefault(pack.id, []).append(school_id)
    for school_ids in by_pack.values():
        pack = packs[school_ids[0]]
        term = current_term(pack, today)
        found = coverage_by_school(session, school_ids, start=term.start, end=term.end)
        for school_id in school_ids:
            out[school_id] = SchoolCoverage(term=term, target=pack.talk_coverage,
                                            classes=list(found[school_id].values()))
    return out


def agenda_lines(session: Session, packs: dict[int, Pack], today: date) -> dict[int, str]:
    """The meeting agenda's QD-2 line per school (counts only), for a batch of schools."""
    return {school_id: coverage_line(c) for school_id, c in coverage_for_schools(session, packs, today).items()}
