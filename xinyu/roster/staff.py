"""Staff roster → districts, schools, classes, people and their role assignments (QD-T10).

Validate every row first (here), then write the differences in bulk (staff_write). Nothing is
deleted: a roster may cover only some schools.
"""

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlmodel import Session, col

from models import District, School
from xinyu.grades import (
    STAGE_RANK,
    STAGES,
    class_name_in_grade,
    grade_in_stage,
    parse_grade,
    parse_stage,
    stage_grade_labels,
    stage_of_grade,
)
from xinyu.policy.store import pack_ids as stored_pack_ids
from xinyu.roles import Role, parse_role, role_labels
from xinyu.roster.bulk import chunked, fetch
from xinyu.roster.columns import Columns, Kind
from xinyu.roster.errors import ErrorList, RosterError, RowError
from xinyu.roster.fields import parse_email, parse_gender, parse_phone
from xinyu.roster.result import ImportResult
from xinyu.roster.staff_contacts import Contacts
from xinyu.roster.staff_write import write_staff
from xinyu.roster.tables import Cell, Table, cell_text

# A roster repeats the same few spellings thousands of times: parse each once.
_role = lru_cache(maxsize=1024)(parse_role)
_stage = lru_cache(maxsize=256)(parse_stage)
_grade = lru_cache(maxsize=4096)(parse_grade)
_class_name = lru_cache(maxsize=16384)(class_name_in_grade)

GRADE_SPELLINGS = "1–12、一年级…六年级、初一…初三（七年级…九年级）、高一…高三"


@dataclass(frozen=True)
class StaffRow:
    row: int
    district: str
    school: str
    stage: str | None
    grade: int | None
    class_name: str | None
    name: str
    role: Role
    email: str | None
    phone: str | None
    pack: str | None
    gender: str | None = None  # student role holders (GZ-5.1 男、女委员各2名)
    tenure: str | None = None  # psychology teachers: 专职/兼职 (QD-T2)


TENURES = ("专职", "兼职")


@dataclass
class SchoolPlan:
    row: int
    stage: str | None = None
    pack: str | None = None
    pack_row: int = 0


@dataclass
class PersonPlan:
    row: int
    name: str
    email: str | None
    phone: str | None


@dataclass
class StaffPlan:
    districts: set[str] = field(default_factory=set)
    schools: dict[tuple[str, str], SchoolPlan] = field(default_factory=dict)
    classes: dict[tuple[str, str, int, str], str] = field(default_factory=dict)
    persons: dict[str, PersonPlan] = field(default_factory=dict)
    # In roster order (a dict as an ordered set): with two holders of a role, the first row's is the one
    # who gets the tasks, the same on every run (a set's order changes with the hash seed).
    roles: dict[tuple[str, Role, str, str, int | None, str | None], None] = field(default_factory=dict)
    # What a row says of the holder in that role: (性别, 专兼职); only roles that say something.
    role_attrs: dict[tuple[str, Role, str, str, int | None, str | None], tuple[str | None, str | None]] = field(
        default_factory=dict)
    contacts: Contacts = field(default_factory=Contacts)


def import_staff(
    session: Session, table: Table, columns: Columns, *, pack: str | None, default_pack: str
) -> ImportResult:
    """Validate the whole roster, then upsert it; raises RosterError and writes nothing on any error."""
    plan = plan_staff(session, table, columns, pack=pack, default_pack=default_pack)
    result = ImportResult(file=table.file, kind=Kind.staff, rows=len(table.rows))
    write_staff(session, plan, result, pack=pack, default_pack=default_pack)
    return result


def plan_staff(
    session: Session, table: Table, columns: Columns, *, pack: str | None, default_pack: str
) -> StaffPlan:
    """What the roster says, every row checked (reads only); RosterError naming every bad row."""
    packs = stored_pack_ids(session)  # the installed packs (xinyu pack install)
    for option in (pack, default_pack if pack is None else None):
        if option is not None and option not in packs:
            raise RosterError([RowError(table.file, 0, "政策包", option, _pack_expected(packs))])
    errors = columns.errors()
    rows = [r for number, cells in columns.records(table) if (r := _parse(number, cells, errors, packs))]
    plan = _plan(rows, errors)
    _check_stages(session, plan, errors)
    plan.contacts.check_on_record(session, plan.persons, errors)
    errors.raise_if_any()
    return plan


def _pack_expected(packs: list[str]) -> str:
    return f"不是已有的政策包（应为：{'、'.join(packs) or '无'}）"


def _parse(number: int, cells: dict[str, Cell], errors: ErrorList, packs: list[str]) -> StaffRow | None:
    """One row to a StaffRow; every problem of the row is recorded, not only the first."""
    before = errors.total
    text = {key: cell_text(value) for key, value in cells.items()}
    district, school, name = text["district"], text["school"], text["name"]
    role = _role(text["role"])
    if not text["role"] or role is None:
        errors.add(number, "role", text["role"], f"不是已知角色（应为：{'、'.join(role_labels())}）")
    _require(errors, number, "district", district, 64, "区县名称")
    _require(errors, number, "name", name, 64, "姓名")
    if role is not None and role.scope == "district":
        if school:
            errors.add(number, "school", school, f"应留空（{role.label}属于区县，不属于学校）")
    else:
        _require(errors, number, "school", school, 128, "学校名称")
    stage = _stage(text["stage"]) if text["stage"] else None
    if text["stage"] and stage is None:
        errors.add(number, "stage", text["stage"], f"不是已知学段（应为：{'、'.join(STAGES)}）")
    grade, class_name = _grade_and_class(number, text, stage, errors)
    if role is not None and role.scope != "district":
        _check_scope(number, role, text, grade, class_name, errors)
    email = parse_email(text["email"]) if text["email"] else None
    if text["email"] and email is None:
        errors.add(number, "email", text["email"], "不是有效的邮箱地址（应形如 zhangwei@school.example.cn）")
    phone = parse_phone(text["phone"]) if text["phone"] else None
    if text["phone"] and phone is None:
        errors.add(number, "phone", text["phone"], "不是有效的手机号（应为 11 位大陆手机号，如 13812345678）")
    pack = text.get("pack") or None
    if pack is not None and pack not in packs:
        errors.add(number, "pack", pack, _pack_expected(packs))
    gender, tenure = _gender_and_tenure(number, role, text, errors)
    if errors.total > before or role is None:
        return None
    if role.scope == "district":
        school, grade, class_name = "", None, None
    elif stage is None and grade is not None:
        stage = stage_of_grade(grade)
    return StaffRow(number, district, school, stage, grade, class_name, name, role, email, phone, pack, gender, tenure)


def _gender_and_tenure(
    number: int, role: Role | None, text: dict[str, str], errors: ErrorList
) -> tuple[str | None, str | None]:
    """性别 is kept for student role holders only (required of a 健康委员, GZ-5.1); 专兼职 for psychology teachers."""
    gender = tenure = None
    written = text.get("gender", "")
    if role is not None and role.is_student:
        gender = parse_gender(written) if written else None
        if written and gender is None:
            errors.add(number, "gender", written, "不是可识别的性别（应为：男、女）")
        elif gender is None and role is Role.health_committee:
            errors.add(number, "gender", "", "不能为空（健康委员应填写性别：男、女；每班设男、女委员各2名）")
    written = text.get("tenure", "")
    if role is Role.psych_teacher:
        if written and written not in TENURES:
            errors.add(number, "tenure", written, "不是可识别的任职方式（应为：专职、兼职）")
        tenure = written or ("兼职" if "兼职" in text["role"] else "专职")
        if written and "兼职" in text["role"] and written != "兼职":
            errors.add(number, "tenure", written, f"与角色“{text['role']}”矛盾（应为：兼职）")
    elif written and role is not None:
        errors.add(number, "tenure", written, f"应留空（专兼职只用于心理教师，本行角色为{role.label}）")
    return gender, tenure


def _require(errors: ErrorList, number: int, key: str, value: str, limit: int, what: str) -> None:
    if not value:
        errors.add(number, key, "", f"不能为空（应填写{what}）")
    elif len(value) > limit:
        errors.add(number, key, value, f"过长（{what}最多 {limit} 个字）")


def _grade_and_class(
    number: int, text: dict[str, str], stage: str | None, errors: ErrorList
) -> tuple[int | None, str | None]:
    grade = _grade(text["grade"], stage) if text["grade"] else None
    if text["grade"] and grade is None:
        errors.add(number, "grade", text["grade"], f"不是可识别的年级（应为：{GRADE_SPELLINGS}）")
    elif grade is not None and stage is not None and not grade_in_stage(grade, stage):
        errors.add(number, "grade", text["grade"], f"不属于{stage}学段（应为：{stage_grade_labels(stage)}）")
        grade = None
    if not text["class"]:
        return grade, None
    if not text["grade"]:
        errors.add(number, "grade", "", "不能为空（填写了班级就必须填写年级）")
    class_name = _class_name(text["class"], grade, stage) if grade else None
    if class_name is not None and len(class_name) > 32:
        errors.add(number, "class", text["class"], "过长（班级名称最多 32 个字）")
    return grade, class_name


def _check_scope(
    number: int, role: Role, text: dict[str, str], grade: int | None, class_name: str | None, errors: ErrorList
) -> None:
    """Class roles need a grade and a class; a grade head needs a grade (the scope of the role)."""
    if role.scope == "class" and not text["class"]:
        errors.add(number, "class", "", f"不能为空（“{role.label}”是班级角色，应填写年级和班级）")
    if role.scope in ("class", "grade") and not text["grade"]:
        errors.add(number, "grade", "", f"不能为空（“{role.label}”应填写年级）")


def _identity(row: StaffRow, phone_of_email: dict[str, str | None]) -> str:
    """Phone, else email (or the phone another row gives that email), else district/school/name."""
    if row.phone:
        return row.phone
    if row.email:
        return phone_of_email.get(row.email) or row.email
    identity = f"{row.district}/{row.school}/{row.name}"
    if len(identity) > 200:  # Person.identity's limit; keep it unique and stable
        identity = identity[:180] + "#" + hashlib.sha1(identity.encode()).hexdigest()[:12]
    return identity


def _plan(rows: list[StaffRow], errors: ErrorList) -> StaffPlan:
    """What the roster says, deduplicated; rows that contradict each other are errors."""
    phone_of_email: dict[str, str | None] = {}
    for row in rows:
        if row.email and row.phone:
            known = phone_of_email.setdefault(row.email, row.phone)
            if known != row.phone:
                phone_of_email[row.email] = None  # one email, two phones: not merged (and refused, Contacts)
    plan = StaffPlan()
    for row in rows:
        plan.districts.add(row.district)
        identity = _identity(row, phone_of_email)
        _plan_person(plan, row, identity, errors)
        plan.contacts.see(row.row, identity, row.email, row.phone, errors)
        if row.school:
            _plan_school(plan, row, errors)
        if row.school and row.grade is not None and row.class_name is not None:
            plan.classes.setdefault((row.district, row.school, row.grade, row.class_name), row.stage or "")
        grade = row.grade if row.role.scope in ("grade", "class") else None
        class_name = row.class_name if row.role.scope == "class" else None
        key = (identity, row.role, row.district, row.school, grade, class_name)
        plan.roles[key] = None
        if row.gender or row.tenure:
            plan.role_attrs[key] = (row.gender, row.tenure)
    return plan


def _check_stages(session: Session, plan: StaffPlan, errors: ErrorList) -> None:
    """A new school needs a stage from some row; a school on record keeps its own."""
    stageless = [key for key, school in plan.schools.items() if school.stage is None]
    if not stageless:
        return
    query = select(col(District.name), col(School.name)).join(District, col(District.id) == col(School.district_id))
    known: set[tuple[str, str]] = set()
    for part in chunked(sorted({name for _, name in stageless})):
        known.update((district, name) for district, name in fetch(session, query.where(col(School.name).in_(part))))
    for key in stageless:
        if key not in known:
            errors.add(plan.schools[key].row, "stage", "", f"不能为空（新学校“{key[1]}”没有一行写明学段或年级）")


def _plan_person(plan: StaffPlan, row: StaffRow, identity: str, errors: ErrorList) -> None:
    person = plan.persons.get(identity)
    if person is None:
        plan.persons[identity] = PersonPlan(row.row, row.name, row.email, row.phone)
        return
    by = "手机" if identity.isdigit() else "邮箱" if "@" in identity else "同校同名"
    who = f"与第{person.row}行是同一人（{by} {identity}）" if by != "同校同名" else f"与第{person.row}行是同一人"
    if person.name != row.name:
        shown = "" if row.role.is_student else row.name
        errors.add(row.row, "name", shown, f"{who}，但姓名不一致")
    if row.email and person.email and row.email != person.email:
        errors.add(row.row, "email", row.email, f"{who}，但邮箱不一致（第{person.row}行为“{person.email}”）")
    person.email = person.email or row.email
    person.phone = person.phone or row.phone


def _plan_school(plan: StaffPlan, row: StaffRow, errors: ErrorList) -> None:
    school = plan.schools.setdefault((row.district, row.school), SchoolPlan(row=row.row))
    if row.stage and (school.stage is None or STAGE_RANK[row.stage] > STAGE_RANK[school.stage]):
        school.stage = row.stage
    if row.pack:
        if school.pack and school.pack != row.pack:
            errors.add(row.row, "pack", row.pack, f"与第{school.pack_row}行为同一学校指定的政策包“{school.pack}”不一致")
        elif not school.pack:
            school.pack, school.pack_row = row.pack, row.row
