"""`xinyu ledger add B`: a key student's 一生一案 from the command line (QD-2, GZ-5.1).

The command line adds complete plans only: the five QD-2 fields and a mentor are required (a draft is kept on
the web). `--by` must keep ledger B (the psychology teacher or a member of the leadership group).
"""

import argparse
import json
from datetime import date

from sqlmodel import Session, select

from models import Person, School, Student
from xinyu.cli.common import CliError, engine_and_book, resolve_person
from xinyu.clock import parse_at
from xinyu.db import transaction
from xinyu.ledgers.key_students import (
    DEFAULT_REASON,
    PLAN_FIELDS,
    STATUS_LABELS,
    KeyStudentError,
    PlanInput,
    create_plan,
    describe_missing,
    missing_fields,
    plan_as_dict,
    require_keeper,
)

OPTIONAL = ("reason", "categories", "parents_informed_on")
KNOWN = (*PLAN_FIELDS, "mentor", *OPTIONAL)


def add_key_student(args: argparse.Namespace, values: dict[str, str] | None = None) -> int:
    values = dict(values or {})
    unknown = [k for k in values if k not in KNOWN]
    if unknown:
        raise CliError(f"B 台账没有字段 {'、'.join(unknown)}；可填写：{'、'.join(KNOWN)}")
    plan_input = _plan_input(values)
    missing = missing_fields(plan_input)
    if missing:
        raise CliError(f"一生一案五项须填写完整（QD-2）：{describe_missing(missing)}")
    if not values.get("mentor", "").strip():
        raise CliError("缺少“成长导师”(mentor)：--set mentor=教师姓名")
    now = parse_at(args.at)
    engine, book = engine_and_book()
    with transaction(engine) as session:
        school = _school(session, args.school)
        assert school.id is not None
        student = session.exec(select(Student).where(Student.school_id == school.id,
                                                     Student.student_no == args.student_no)).first()
        if student is None or student.id is None:
            raise CliError(f"{school.name}没有学号为 {args.student_no} 的学生")
        by = resolve_person(session, args.by, school.id)
        try:
            require_keeper(session, by, school.id)
            mentor = _mentor(session, values["mentor"].strip(), school.id)
            plan = create_plan(session, school_id=school.id, student_id=student.id,
                               values=plan_input.model_copy(update={"mentor_id": mentor}), by=by, now=now,
                               rule=book.pack(school.pack).key_students, require_complete=True)
        except KeyStudentError as exc:
            raise CliError(str(exc)) from exc
        shown = plan_as_dict(session, plan)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
    else:
        print(f"已新增 B 台账 一生一案 B-{shown['id']}：{school.name} 学号 {shown['student_no']}，"
              f"状态 {STATUS_LABELS[shown['status']]}，成长导师 {shown['mentor']}，列入原因 {shown['reason']}"
              + (f"，处境不利类别 {'、'.join(shown['categories'])}" if shown["categories"] else "")
              + (f"，{shown['parents_informed_on']} 已告知家长" if shown["parents_informed_on"] else ""))
        for name, label in PLAN_FIELDS.items():
            print(f"  {label}：{shown[name]}")
    return 0


def _plan_input(values: dict[str, str]) -> PlanInput:
    informed = values.get("parents_informed_on", "").strip()
    try:
        informed_on = date.fromisoformat(informed.replace("/", "-")) if informed else None
    except ValueError:
        raise CliError(f"告知家长日期(parents_informed_on)应为 YYYY-MM-DD，实为 {informed!r}") from None
    categories = [c.strip() for c in values.get("categories", "").replace("，", ",").replace("、", ",").split(",")
                  if c.strip()]
    for name, label in PLAN_FIELDS.items():
        if len(values.get(name, "")) > 2000:
            raise CliError(f"“{label}”({name})至多 2000 字")
    return PlanInput(**{n: values.get(n, "") for n in PLAN_FIELDS}, reason=values.get("reason", "").strip()
                     or DEFAULT_REASON, categories=categories, parents_informed_on=informed_on)


def _school(session: Session, name: str) -> School:
    found = list(session.exec(select(School).where(School.name == name)))
    if not found:
        raise CliError(f"没有学校 {name}")
    if len(found) > 1:
        raise CliError(f"有 {len(found)} 所学校名为 {name}")
    return found[0]


def _mentor(session: Session, name: str, school_id: int) -> int:
    try:
        return resolve_person(session, name, school_id)
    except CliError as exc:
        known = session.exec(select(Person.id).where(Person.name == name)).first()
        raise CliError(f"成长导师(mentor)：{exc}" if known is None else f"成长导师(mentor){name} 不是本校教职工") \
            from None
