"""Screening results from a provider → ledger A (QD-3): one record per student, date and scale."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from models import School, SchoolClass, ScreeningRecord, Student
from xinyu.clock import now as clock_now
from xinyu.policy.store import stored_pack
from xinyu.roster.bulk import chunked, fetch, insert_plain, update_by_id
from xinyu.roster.columns import Columns, Kind
from xinyu.roster.errors import ErrorList, RosterError, RowError
from xinyu.roster.fields import LEVELS, SCORE_MAX, SCORE_MIN, parse_date, parse_level, parse_score
from xinyu.roster.result import ImportResult
from xinyu.roster.schools import KnownSchool, load_schools, resolve_school
from xinyu.roster.tables import Cell, Table, cell_text

LEVEL_EXPECTED = f"不是已知的预警等级（应为：{'、'.join(LEVELS)}，或 正常、低/中/高风险、一级/二级/三级）"


@dataclass(frozen=True)
class ScreeningRow:
    row: int
    school_id: int
    student_id: int
    screened_on: date
    scale: str
    total_score: float
    level: str
    method: str


MethodOf = Callable[[int, int], str]  # (school id, grade) → rating | online


def import_screening(session: Session, table: Table, columns: Columns, *, school: str | None,
                     now: datetime | None = None) -> ImportResult:
    """Every row must name a student on record; each grade's method (他评/线上) comes from the school's pack (QD-3)."""
    if "school" not in columns.index and not school:
        expected = "缺少此列且导入时未指定学校（应在文件中加“学校”列，或用 --school 指定学校）"
        raise RosterError([RowError(table.file, 1, "学校", "", expected)])
    errors = columns.errors()
    records = [(n, cells, {k: cell_text(v) for k, v in cells.items()}) for n, cells in columns.records(table)]
    default = _school_option(session, table.file, school)
    named = {text.get("school", "") for _, _, text in records} - {""}
    schools = load_schools(session, named)
    school_ids = {s.id for same_name in schools.values() for s in same_name} | ({default.id} if default else set())
    students = _load_students(session, school_ids)
    method_of = _methods(session, school_ids)
    rows: dict[tuple[int, date, str], ScreeningRow] = {}
    for number, cells, text in records:
        row = _parse(number, cells, text, default, schools, students, errors, method_of)
        if row is None:
            continue
        key = (row.student_id, row.screened_on, row.scale)
        seen = rows.setdefault(key, row)
        if seen is not row and (seen.total_score, seen.level) != (row.total_score, row.level):
            expected = f"与第{seen.row}行是同一次测评（同一日期和量表），但结果不同"
            errors.add(number, "student_no", text["student_no"], expected)
    errors.raise_if_any()
    result = ImportResult(file=table.file, kind=Kind.screening, rows=len(table.rows))
    _write(session, list(rows.values()), result, now=now or clock_now())
    return result


def _methods(session: Session, school_ids: set[int]) -> MethodOf:
    """The screening method of a grade in a school, from the school's policy pack (QD-3 in Qingdao)."""
    packs = dict(fetch(session, select(col(School.id), col(School.pack))
                       .where(col(School.id).in_(sorted(school_ids))))) if school_ids else {}
    rules = {school_id: stored_pack(session, pack_id)[1].screening for school_id, pack_id in packs.items()}
    return lambda school_id, grade: rules[school_id].method_for(grade)


def _school_option(session: Session, file: str, school: str | None) -> KnownSchool | None:
    """--school names a school, or "区县/学校" when the name is not unique."""
    if not school:
        return None
    district, _, name = school.rpartition("/")
    found = resolve_school(load_schools(session, [name]), name, district)
    if isinstance(found, str):
        raise RosterError([RowError(file, 0, "学校", school, found)])
    return found


def _load_students(session: Session, school_ids: set[int]) -> dict[tuple[int, str], tuple[int, int]]:
    """(school id, 学号) → (student id, grade); the grade decides rating or online screening."""
    found: dict[tuple[int, str], tuple[int, int]] = {}
    query = select(col(Student.id), col(Student.school_id), col(Student.student_no), col(SchoolClass.grade)).join(
        SchoolClass, col(SchoolClass.id) == col(Student.class_id)
    )
    for part in chunked(sorted(school_ids)):
        for id_, school_id, student_no, grade in fetch(session, query.where(col(Student.school_id).in_(part))):
            found[(school_id, student_no)] = (id_, grade)
    return found


def _parse(
    number: int,
    cells: dict[str, Cell],
    text: dict[str, str],
    default: KnownSchool | None,
    schools: dict[str, list[KnownSchool]],
    students: dict[tuple[int, str], tuple[int, int]],
    errors: ErrorList,
    method_of: MethodOf,
) -> ScreeningRow | None:
    before = errors.total
    school = default
    if text.get("school"):
        found = resolve_school(schools, text["school"], text.get("district", ""))
        school = None if isinstance(found, str) else found
        if isinstance(found, str):
            errors.add(number, "school", text["school"], found)
    elif default is None:
        errors.add(number, "school", "", "不能为空（应填写学校名称，或导入时用 --school 指定）")
    student = students.get((school.id, text["student_no"])) if school else None
    if not text["student_no"]:
        errors.add(number, "student_no", "", "不能为空（应填写学号）")
    elif school and student is None:
        errors.add(number, "student_no", text["student_no"], f"在学校“{school.name}”中不存在（应先导入学生名单）")
    screened_on = parse_date(cells["date"])
    if screened_on is None:
        errors.add(number, "date", text["date"], "不是有效的日期（应为 YYYY-MM-DD 或 YYYY/MM/DD）")
    scale = text["scale"]
    if not scale or len(scale) > 64:
        errors.add(number, "scale", scale, "不能为空且最多 64 个字（应填写量表名称，如 MHT、SCL-90）")
    score = parse_score(cells["score"])
    if score is None:
        errors.add(number, "score", text["score"], "不是有效的数字（应填写总分）")
    elif not SCORE_MIN <= score <= SCORE_MAX:
        errors.add(number, "score", text["score"], f"超出范围：总分应在 {SCORE_MIN} 到 {SCORE_MAX} 之间")
        score = None
    level = parse_level(text["level"])
    if level is None:
        errors.add(number, "level", text["level"], LEVEL_EXPECTED)
    if errors.total > before or not (school and student and screened_on and score is not None and level):
        return None
    student_id, grade = student
    method = method_of(school.id, grade)
    return ScreeningRow(number, school.id, student_id, screened_on, scale, score, level, method)


def _write(session: Session, rows: list[ScreeningRow], result: ImportResult, *, now: datetime) -> None:
    """New rows and changed rows carry `now` (created_at/updated_at: the ledger step counts them, QD-ANNEX)."""
    existing: dict[tuple[int, date, str], tuple[int, float, str, str]] = {}
    if rows:
        first, last = min(r.screened_on for r in rows), max(r.screened_on for r in rows)
        query = select(
            col(ScreeningRecord.id), col(ScreeningRecord.student_id), col(ScreeningRecord.screened_on),
            col(ScreeningRecord.scale), col(ScreeningRecord.total_score), col(ScreeningRecord.level),
            col(ScreeningRecord.method),
        ).where(col(ScreeningRecord.screened_on) >= first, col(ScreeningRecord.screened_on) <= last)
        for part in chunked(sorted({r.school_id for r in rows})):
            found = fetch(session, query.where(col(ScreeningRecord.school_id).in_(part)))
            for id_, student_id, on, scale, score, level, method in found:
                existing[(student_id, on, scale)] = (id_, score, level, method)
    new, changed = [], []
    for row in rows:
        wanted = {"total_score": row.total_score, "level": row.level, "method": row.method}
        old = existing.get((row.student_id, row.screened_on, row.scale))
        if old is None:
            new.append({"school_id": row.school_id, "student_id": row.student_id, "screened_on": row.screened_on,
                        "scale": row.scale, **wanted, "created_at": now, "updated_at": now})
            continue
        change = {k: v for (k, v), was in zip(wanted.items(), old[1:], strict=True) if v != was}
        if change:
            changed.append({"id": old[0], **change, "updated_at": now})
    insert_plain(session, ScreeningRecord, new)
    update_by_id(session, ScreeningRecord, changed)
    counts = result.count("screenings")
    counts.created, counts.updated, counts.unchanged = len(new), len(changed), len(rows) - len(new) - len(changed)
