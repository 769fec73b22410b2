"""Finding the schools and classes a student or screening file names (they come from the staff roster)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from models import District, School, SchoolClass
from xinyu.grades import class_name_in_grade, grade_label, parse_grade
from xinyu.roster.bulk import chunked, fetch


@dataclass(frozen=True)
class KnownSchool:
    id: int
    name: str
    district: str
    stage: str


@dataclass
class KnownClasses:
    """The classes of the schools a file names: (grade, name) → id, per school."""

    by_school: dict[int, dict[tuple[int, str], int]] = field(default_factory=dict)
    stages: dict[int, set[str]] = field(default_factory=dict)


def load_schools(session: Session, names: Iterable[str]) -> dict[str, list[KnownSchool]]:
    found: dict[str, list[KnownSchool]] = {}
    query = select(col(School.id), col(School.name), col(District.name), col(School.stage)).join(
        District, col(District.id) == col(School.district_id)
    )
    for part in chunked(sorted(set(names))):
        for id_, name, district, stage in fetch(session, query.where(col(School.name).in_(part))):
            found.setdefault(name, []).append(KnownSchool(id_, name, district, stage))
    return found


def resolve_school(known: dict[str, list[KnownSchool]], name: str, district: str) -> KnownSchool | str:
    """The one school of that name (in that district, when given), or what was expected instead."""
    candidates = [s for s in known.get(name, []) if not district or s.district == district]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and district and known.get(name):
        return f"不在区县“{district}”中（该校属于：{'、'.join(s.district for s in known[name])}）"
    if not candidates:
        return "不存在（应先导入教职工名单，建立学校和班级）"
    return f"在多个区县都有同名学校（应增加“区县”列，可为：{'、'.join(s.district for s in candidates)}）"


def load_classes(session: Session, school_ids: Iterable[int]) -> KnownClasses:
    known = KnownClasses()
    query = select(
        col(SchoolClass.id), col(SchoolClass.school_id), col(SchoolClass.grade), col(SchoolClass.name),
        col(SchoolClass.stage),
    )
    for part in chunked(sorted(set(school_ids))):
        for id_, school_id, grade, name, stage in fetch(session, query.where(col(SchoolClass.school_id).in_(part))):
            known.by_school.setdefault(school_id, {})[(grade, name)] = id_
            known.stages.setdefault(school_id, set()).add(stage)
    return known


def find_class(
    known: KnownClasses, school: KnownSchool, grade_text: str, class_text: str
) -> tuple[int, int] | tuple[str, str]:
    """(grade, class id), or (column, expected) naming the cell that does not match an existing class.

    A bare "3" means 初三 in a 初中 and 高三 in a 高中; a school with several stages must be unambiguous.
    """
    classes = known.by_school.get(school.id, {})
    stages = known.stages.get(school.id) or {school.stage}
    grades = {g for stage in sorted(stages) if (g := parse_grade(grade_text, stage)) is not None}
    if not grades:
        return "grade", "不是可识别的年级（应为：1–12、一年级…六年级、初一…初三、高一…高三）"
    present = sorted({g for g, _ in classes})
    matches = {
        (g, classes[(g, name)])
        for g in grades
        if (name := class_name_in_grade(class_text, g)) and (g, name) in classes
    }
    if len(matches) == 1:
        return matches.pop()
    if len(matches) > 1:
        return "grade", f"有歧义（该校有多个学段，应写作：{'、'.join(grade_label(g) for g in sorted(grades))}）"
    if not grades & set(present):
        listed = "、".join(grade_label(g) for g in present) or "无"
        return "grade", f"在学校“{school.name}”中没有班级（已有年级：{listed}）"
    grade = min(grades & set(present))
    names = sorted((n for g, n in classes if g == grade), key=lambda n: (len(n), n))
    listed = "、".join(names[:20]) + ("…" if len(names) > 20 else "")
    return "class", f"在学校“{school.name}”{grade_label(grade)}中不存在（已有：{listed}；应先在教职工名单中建立）"
