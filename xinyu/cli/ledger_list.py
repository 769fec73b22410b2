"""`xinyu ledger list A|B|C|D`: a ledger as the viewer may read it (the web's read model and scope)."""

import argparse
import json
from typing import Any

from sqlmodel import Session, select

from models import School
from xinyu.cli.common import CliError, engine_and_book, resolve_person
from xinyu.clock import parse_at
from xinyu.db import transaction

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "A": [("screened_on", "测评日期"), ("student_no", "学号"), ("student_name", "姓名"), ("class_label", "班级"),
          ("scale", "量表"), ("total_score", "总分"), ("level", "预警等级"), ("method", "方式")],
    "B": [("student_no", "学号"), ("student_name", "姓名"), ("class_label", "班级"), ("mentor", "成长导师"),
          ("opened_on", "建档"), ("closed_on", "结案")],
    "C": [("code", "编号"), ("student_no", "学号"), ("student_name", "姓名"), ("class_label", "班级"),
          ("level", "等级"), ("handler", "负责人"), ("referral_hospital", "转介医院"), ("closed_at", "结案")],
    "D": [("held_on", "日期"), ("student_no", "学号"), ("student_name", "姓名"), ("class_label", "班级"),
          ("kind", "方式"), ("by", "记录人"), ("summary", "内容摘要")],
}


class NamedSchool:
    """A school found by name (id and pack set)."""

    def __init__(self, school: School) -> None:
        assert school.id is not None
        self.id: int = school.id
        self.name = school.name
        self.pack = school.pack


def school_named(session: Session, name: str) -> NamedSchool:
    schools = list(session.exec(select(School).where(School.name == name.strip())))
    if not schools:
        raise CliError(f"没有名为 {name} 的学校")
    if len(schools) > 1:
        raise CliError(f"有 {len(schools)} 所学校名为 {name}，请联系管理员区分")
    return NamedSchool(schools[0])


def list_ledger(args: argparse.Namespace, values: dict[str, str] | None = None) -> int:
    from xinyu.access import AccessDenied, load_viewer
    from xinyu.ledgers import views

    now = parse_at(getattr(args, "at", None))
    engine, _ = engine_and_book()
    with transaction(engine) as session:  # the audit row of a ledger C read commits with the read
        school = school_named(session, args.school)
        viewer = load_viewer(session, resolve_person(session, args.by, school.id))
        if viewer is None:
            raise CliError(f"{args.by} 不是本校教职工，不能查看台账")
        try:
            scope = views.ledger_scope(session, viewer, school.id)
        except AccessDenied:
            raise CliError(f"{args.by} 无权查看 {school.name} 的台账") from None
        if args.class_name:
            wanted = args.class_name.strip()
            match = [c.id for c in scope.classes if c.label == wanted or c.label.endswith(wanted)]
            if len(match) != 1:
                raise CliError(f"{args.by} 可查看的班级中没有 {wanted}"
                               f"（可查看：{'、'.join(c.label for c in scope.classes) or '无'}）")
            scope = views.ledger_scope(session, viewer, school.id, match[0])
        rows: list[Any]
        if args.ledger == "A":
            rows = views.screening_rows(session, scope)
        elif args.ledger == "B":
            rows = views.key_student_rows(session, scope)
        elif args.ledger == "D":
            rows = views.talk_rows(session, scope)
        else:
            if not scope.crisis_allowed:
                raise CliError(f"{args.by} 无权查看 C 台账（心理危机干预与转介台账仅限有权查看的人）")
            rows = views.crisis_rows(session, scope, now=now, purpose="cli list")
        data = [r.model_dump(mode="json") for r in rows]
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    label = views.LEDGER_LABELS[args.ledger]
    audited = "（本次查看已记入审计日志）" if args.ledger == "C" else ""
    print(f"{school.name} {args.ledger} {label}：{len(data)} 条{audited}")
    columns = COLUMNS[args.ledger]
    if data:
        print("\t".join(title for _, title in columns))
        for row in data:
            print("\t".join("" if row.get(key) is None else str(row.get(key)) for key, _ in columns))
    return 0
