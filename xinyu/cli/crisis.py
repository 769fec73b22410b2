"""`xinyu crisis`: open a case (fast path GZ-5.2, relay GZ-A2.2.7), log its actions (JL-6), close it (JN-4).

    xinyu crisis --school S --student-no NO --level 一般|严重|重大 [--handler NAME] [--by NAME] [--at T] [--json]
    xinyu crisis log CASE --by NAME --action 转介 --set hospital=… [--set note=…] [--at T] [--json]
    xinyu crisis close CASE --by NAME --outcome 返校复学 [--set certificate_on=DATE --set certificate_by=…]
                                                        [--set return_plan=…  (HLJ-12 复课衔接计划)]
                       [--set note=…] [--at T] [--json]

CASE is the case's id or its number (C-12). A refusal prints one `错误：` line, exits 1 and writes nothing.
"""

import argparse
import json
from datetime import date

from sqlmodel import Session, select

from models import CrisisCase, School, Student
from xinyu.access import Viewer, load_viewer
from xinyu.cli.common import CliError, Command, engine_and_book, resolve_person
from xinyu.clock import as_local, local_date, parse_at
from xinyu.db import transaction


def register(command: Command) -> None:
    p = command("crisis", cmd_crisis, "心理危机个案（C台账）：登记（严重、重大走快速通道）、记录处置 log、结案 close")
    p.add_argument("verb", nargs="?", choices=("log", "close"), help="log：记录一条处置；close：结案；省略：登记新个案")
    p.add_argument("case", nargs="?", help="个案 id 或编号（如 C-12）")
    p.add_argument("--school", help="学校（登记时必填）")
    p.add_argument("--student-no", help="学号（登记时必填）")
    p.add_argument("--level", choices=("一般", "严重", "重大"), help="危机等级（登记时必填）")
    p.add_argument("--handler", dest="handler_name", help="处置负责人姓名（默认本校专职心理教师）")
    p.add_argument("--by", help="登记人 / 记录人姓名（log、close 必填）")
    p.add_argument("--action", help="处置类型：值班、预约、面谈、转介、重点反馈、家长通报、复学评估")
    p.add_argument("--outcome", help="结案结果：返校复学、继续就医、休学、转学、风险解除、其他")
    p.add_argument("--set", action="append", default=[], metavar="字段=值", dest="values",
                   help="转介：hospital=；家长通报：method=；结案：certificate_on=、certificate_by=、"
                        "return_plan=；均可 note=")
    p.add_argument("--at", help="时间（ISO 8601；无时区按北京时间）")
    p.add_argument("--json", action="store_true")


def cmd_crisis(args: argparse.Namespace) -> int:
    if args.verb is None:
        if args.case is not None:
            raise CliError(f"未知操作 {args.case!r}：应为 log 或 close，登记新个案时不写个案编号")
        return _open(args)
    if args.case is None:
        raise CliError(f"crisis {args.verb} 需要个案编号（如 C-12）")
    if not args.by:
        raise CliError(f"crisis {args.verb} 需要 --by 记录人姓名")
    return _log(args) if args.verb == "log" else _close(args)


def _values(items: list[str]) -> dict[str, str]:
    from xinyu.cli.ledgers import parse_values

    return parse_values(items)


def _case_id(text: str) -> int:
    digits = text.strip().upper().removeprefix("C-").removeprefix("C")
    if not digits.isascii() or not digits.isdigit():
        raise CliError(f"个案编号应为 id 或 C-编号，实为 {text!r}")
    return int(digits)


def _actor(session: Session, case_text: str, name: str) -> tuple[CrisisCase, Viewer]:
    case = session.get(CrisisCase, _case_id(case_text))
    if case is None:
        raise CliError(f"没有危机个案 {case_text}")
    viewer = load_viewer(session, resolve_person(session, name, case.school_id))
    if viewer is None:
        raise CliError(f"{name} 不是本校教职工")
    return case, viewer


def _open(args: argparse.Namespace) -> int:
    from xinyu.crisis.opening import open_crisis_case

    missing = [flag for flag, value in (("--school", args.school), ("--student-no", args.student_no),
                                        ("--level", args.level)) if not value]
    if missing:
        raise CliError(f"登记危机个案需要 {'、'.join(missing)}")
    engine, book = engine_and_book()
    now = parse_at(args.at)
    with transaction(engine) as session:
        school = session.exec(select(School).where(School.name == args.school)).first()
        if school is None or school.id is None:
            raise CliError(f"没有学校 {args.school}")
        student = session.exec(select(Student).where(Student.school_id == school.id,
                                                     Student.student_no == args.student_no)).first()
        if student is None or student.id is None:
            raise CliError(f"{args.school}没有学号为 {args.student_no} 的学生")
        handler = resolve_person(session, args.handler_name, school.id) if args.handler_name else None
        by = resolve_person(session, args.by, school.id) if args.by else None
        opened = open_crisis_case(session, school_id=school.id, student_id=student.id, level=args.level,
                                  handler_id=handler, by=by, now=now, book=book)
        case_id, code = opened.case.id, f"C-{opened.case.id}"
        handler_id = opened.case.handler_id
    if args.json:
        print(json.dumps({"id": case_id, "code": code, "level": args.level, "school": args.school,
                          "handler_id": handler_id, "task_id": opened.task_id, "relay": opened.relay,
                          "district_escalation_id": opened.district_escalation_id}, ensure_ascii=False))
        return 0
    print(f"已登记{args.level}心理危机个案 {code}")
    if opened.task_id:
        print(f"快速通道：已逐级通知 {'、'.join(opened.relay) or '（无联系人）'}；"
              f"家长通报须于今日（{local_date(now)}）内记录（任务 #{opened.task_id}）")
    if opened.district_escalation_id:
        print(f"已报区县督办箱（第 {opened.district_escalation_id} 项），个案结案前保持未办结")
    return 0


def _log(args: argparse.Namespace) -> int:
    from xinyu.crisis.log import log_action

    if not args.action:
        raise CliError("crisis log 需要 --action（值班、预约、面谈、转介、重点反馈、家长通报、复学评估）")
    values = _values(args.values)
    engine, book = engine_and_book()
    now = parse_at(args.at)
    with transaction(engine) as session:
        case, viewer = _actor(session, args.case, args.by)
        row = log_action(session, viewer, case_id=case.id or 0, kind=args.action, at=now, values=values, now=now,
                         book=book)
        out = {"id": row.id, "case_id": case.id, "code": f"C-{case.id}", "kind": row.kind,
               "at": as_local(row.at).isoformat() if row.at else None, "by": viewer.name, "hospital": row.hospital,
               "method": row.method, "note": row.note}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"已记录个案 {out['code']} 的{out['kind']}（{str(out['at'])[:16].replace('T', ' ')}）"
          + (f"：{out['hospital']}" if out["hospital"] else ""))
    return 0


def _close(args: argparse.Namespace) -> int:
    from xinyu.crisis.closing import close_case

    if not args.outcome:
        raise CliError("crisis close 需要 --outcome（返校复学、继续就医、休学、转学、风险解除、其他）")
    values = _values(args.values)
    unknown = sorted(set(values) - {"certificate_on", "certificate_by", "return_plan", "note"})
    if unknown:
        raise CliError(f"结案没有字段 {'、'.join(unknown)}（可填：certificate_on、certificate_by、return_plan、note）")
    certificate_on = None
    if values.get("certificate_on", "").strip():
        try:
            certificate_on = date.fromisoformat(values["certificate_on"].strip().replace("/", "-"))
        except ValueError:
            raise CliError(f"certificate_on 应为日期 YYYY-MM-DD，实为 {values['certificate_on']!r}") from None
    engine, book = engine_and_book()
    now = parse_at(args.at)
    with transaction(engine) as session:
        case, viewer = _actor(session, args.case, args.by)
        close_case(session, viewer, case_id=case.id or 0, outcome=args.outcome, note=values.get("note", ""),
                   certificate_on=certificate_on, certificate_by=values.get("certificate_by", ""),
                   return_plan=values.get("return_plan", ""), now=now, book=book)
        out = {"id": case.id, "code": f"C-{case.id}", "level": case.level, "outcome": case.outcome,
               "closed_at": as_local(case.closed_at).isoformat() if case.closed_at else None,
               "certificate_on": case.certificate_on.isoformat() if case.certificate_on else None,
               "certificate_by": case.certificate_by, "return_plan": case.return_plan}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"个案 {out['code']} 已结案：{out['outcome']}")
    return 0
