"""`xinyu mentor assign` and `xinyu mentors`: 全员导师制 (JL-3b), a mentor per student of the pack's grades and the
coverage per class (counts only: no student name is printed)."""

import argparse
import json
from datetime import date

from sqlmodel import Session

from xinyu.cli.common import CliError, Command, engine_and_book, resolve_person


def register(command: Command) -> None:
    p = command("mentors", cmd_mentors, "全员导师制：各班学生配备导师情况（只显示人数）")
    p.add_argument("--school", required=True)
    p.add_argument("--json", action="store_true")
    mentor = command("mentor", cmd_assign, "全员导师制：为学生配备导师")
    sub = mentor.add_subparsers(metavar="操作", required=True)
    assign = sub.add_parser("assign", help="为学生配备（或更换）导师；原导师的配备于该日结束，记录保留")
    assign.add_argument("--school", required=True)
    assign.add_argument("--student", required=True, help="学号")
    assign.add_argument("--mentor", required=True, help="导师姓名（本校教职工）")
    assign.add_argument("--on", help="配备日期 YYYY-MM-DD（默认今天）")
    assign.add_argument("--by", help="操作人姓名（本校教职工）")
    assign.add_argument("--at", help="以此时间为“现在”（ISO 8601；无时区按北京时间）")
    assign.add_argument("--json", action="store_true")
    assign.set_defaults(handler=cmd_assign)


def cmd_assign(args: argparse.Namespace) -> int:
    from xinyu.cli.ledger_list import school_named
    from xinyu.clock import local_date, parse_at
    from xinyu.db import transaction
    from xinyu.mentors import MentorError, assign_mentor

    now = parse_at(args.at)
    try:
        on = date.fromisoformat(args.on) if args.on else local_date(now)
    except ValueError:
        raise CliError(f"--on “{args.on}”不是日期（YYYY-MM-DD）") from None
    engine, _ = engine_and_book()
    with transaction(engine) as session:
        school = school_named(session, args.school)
        mentor_id = resolve_person(session, args.mentor, school.id)
        by = resolve_person(session, args.by, school.id) if args.by else None
        try:
            row = assign_mentor(session, school_id=school.id, student_no=args.student, mentor_id=mentor_id, on=on,
                                by=by, now=now)
        except MentorError as exc:
            raise CliError(str(exc)) from None
        result = {"school": school.name, "student_no": args.student.strip(), "mentor": args.mentor,
                  "assigned_on": row.assigned_on.isoformat()}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"已为学号 {result['student_no']} 配备导师 {args.mentor}（自 {result['assigned_on']} 起）")
    return 0


def cmd_mentors(args: argparse.Namespace) -> int:
    from xinyu.cli.ledger_list import school_named
    from xinyu.mentors import mentor_coverage

    engine, book = engine_and_book()
    with Session(engine) as session:
        school = school_named(session, args.school)
        pack = book.pack(school.pack)
        if pack.mentors is None:
            raise CliError(f"{school.name}执行的{pack.name}政策没有全员导师制要求")
        classes = mentor_coverage(session, school_id=school.id, pack=pack)
    if args.json:
        print(json.dumps([c.as_json() for c in classes], ensure_ascii=False, indent=2))
        return 0
    print(f"{school.name} 全员导师制（{pack.mentors.clause}）")
    print("班级\t学生\t已配备导师\t未配备")
    for c in classes:
        print(f"{c.label}\t{c.students}\t{c.with_mentor}\t{c.short}" + ("\t▲" if c.short else ""))
    return 0
