"""`xinyu coverage`: QD-2 “一生一谈一案一反馈” per class for a semester (counts only)."""

import argparse
import json

from sqlmodel import Session

from xinyu.cli.common import CliError, Command, engine_and_book
from xinyu.clock import local_date, parse_at


def register(command: Command) -> None:
    p = command("coverage", cmd_coverage, "“一生一谈一案一反馈”覆盖情况（每班：谈心、一生一案、家庭反馈）")
    p.add_argument("--school", required=True)
    p.add_argument("--semester", help="学期，如 2026-秋（2026年秋季学期）、2027-春；默认当前学期")
    p.add_argument("--at", help="以此时间为“今天”（ISO 8601；无时区按北京时间）")
    p.add_argument("--json", action="store_true")


def cmd_coverage(args: argparse.Namespace) -> int:
    from xinyu.cli.ledger_list import school_named
    from xinyu.ledgers.coverage import SemesterError, current_term, parse_term, school_coverage, share

    today = local_date(parse_at(args.at))
    engine, book = engine_and_book()
    with Session(engine) as session:
        school = school_named(session, args.school)
        pack = book.pack(school.pack)
        try:
            term = parse_term(pack, args.semester) if args.semester else current_term(pack, today)
        except SemesterError as exc:
            raise CliError(str(exc)) from None
        coverage = school_coverage(session, school_id=school.id, pack=pack, term=term)
    if args.json:
        print(json.dumps([{**c.as_json(), "semester": term.key} for c in coverage.classes], ensure_ascii=False,
                         indent=2))
        return 0

    def cell(part: int, whole: int, red: bool) -> str:
        percent = share(part, whole)
        return f"{part}/{whole}" + ("" if percent is None else f"（{percent:g}%）") + ("▲未达标" if red else "")

    target = coverage.target
    print(f"{school.name} {term.label}（{term.key}）“一生一谈一案一反馈”（{target.clause}）"
          f"目标：谈心 {target.talk_target}%，一生一案 {target.plan_target}%，家庭反馈 {target.feedback_target}%")
    print("班级\t学生\t已谈心\t重点关爱学生\t方案已确立\t家庭已反馈")
    for c in coverage.classes:
        short = coverage.short(c)
        print(f"{c.label}\t{c.students}\t{cell(c.talked, c.students, short['talked'])}\t{c.key_students}\t"
              f"{cell(c.with_plan, c.key_students, short['with_plan'])}\t"
              f"{cell(c.family_feedback, c.key_students, short['family_feedback'])}")
    return 0
