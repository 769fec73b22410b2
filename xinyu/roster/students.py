"""Student file → students of existing classes, upserted by (school, 学号).

A student's name is written to the table and nowhere else: error messages and logs carry the row
number and the 学号, never the name (GZ-A2.1.2).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from models import Student
from xinyu.roster.bulk import chunked, fetch, insert_plain, update_by_id
from xinyu.roster.columns import Columns, Kind
from xinyu.roster.errors import ErrorList
from xinyu.roster.fields import parse_gender
from xinyu.roster.result import ImportResult
from xinyu.roster.schools import KnownSchool, find_class, load_classes, load_schools, resolve_school
from xinyu.roster.tables import Table, cell_text


@dataclass(frozen=True)
class StudentRow:
    row: int
    school_id: int
    class_id: int
    student_no: str
    name: str
    gender: str


def import_students(session: Session, table: Table, columns: Columns) -> ImportResult:
    """Validate every row against the schools and classes on record, then upsert; nothing on any error."""
    errors = columns.errors()
    records = [(n, {k: cell_text(v) for k, v in cells.items()}) for n, cells in columns.records(table)]
    schools = load_schools(session, (text["school"] for _, text in records if text["school"]))
    resolved: dict[int, KnownSchool] = {}
    for number, text in records:
        school = _school(number, text, schools, errors)
        if school is not None:
            resolved[number] = school
    classes = load_classes(session, (s.id for s in resolved.values()))
    rows: list[StudentRow] = []
    first_row: dict[tuple[int, str], int] = {}
    for number, text in records:
        before = errors.total
        student_no, name, gender = text["student_no"], text["name"], parse_gender(text["gender"])
        if not student_no or len(student_no) > 32:
            errors.add(number, "student_no", student_no, "不能为空且最多 32 个字（应填写学号）")
        if not name or len(name) > 64:
            errors.add(number, "name", "", "不能为空且最多 64 个字（应填写学生姓名）")  # never echo the name
        if gender is None:
            errors.add(number, "gender", text["gender"], "不是有效的性别（应为：男、女）")
        school = resolved.get(number)
        found = find_class(classes, school, text["grade"], text["class"]) if school else None
        if found is not None and isinstance(found[0], str):
            key = str(found[0])
            errors.add(number, key, text[key], str(found[1]))
        if school and student_no:
            seen = first_row.setdefault((school.id, student_no), number)
            if seen != number:
                errors.add(number, "student_no", student_no, f"与第{seen}行重复（同一学校的学号应唯一）")
        if errors.total == before and school and found and gender:
            rows.append(StudentRow(number, school.id, int(found[1]), student_no, name, gender))
    errors.raise_if_any()
    result = ImportResult(file=table.file, kind=Kind.students, rows=len(table.rows))
    _write(session, rows, result)
    return result


def _school(
    number: int, text: dict[str, str], schools: dict[str, list[KnownSchool]], errors: ErrorList
) -> KnownSchool | None:
    if not text["school"]:
        errors.add(number, "school", "", "不能为空（应填写学校名称）")
        return None
    found = resolve_school(schools, text["school"], text.get("district", ""))
    if isinstance(found, str):
        errors.add(number, "school", text["school"], found)
        return None
    return found


def _write(session: Session, rows: list[StudentRow], result: ImportResult) -> None:
    existing: dict[tuple[int, str], tuple[int, int, str, str]] = {}
    query = select(
        col(Student.id), col(Student.school_id), col(Student.student_no), col(Student.class_id), col(Student.name),
        col(Student.gender),
    )
    for part in chunked(sorted({r.school_id for r in rows})):
        found = fetch(session, query.where(col(Student.school_id).in_(part)))
        for id_, school_id, student_no, class_id, name, gender in found:
            existing[(school_id, student_no)] = (id_, class_id, name, gender)
    new, changed = [], []
    for row in rows:
        wanted = {"class_id": row.class_id, "name": row.name, "gender": row.gender}
        old = existing.get((row.school_id, row.student_no))
        if old is None:
            new.append({"school_id": row.school_id, "student_no": row.student_no, **wanted})
            continue
        change = {k: v for (k, v), was in zip(wanted.items(), old[1:], strict=True) if v != was}
        if change:
            changed.append({"id": old[0], **change})
    insert_plain(session, Student, new)
    update_by_id(session, Student, changed)
    counts = result.count("students")
    counts.created, counts.updated, counts.unchanged = len(new), len(changed), len(rows) - len(new) - len(changed)
