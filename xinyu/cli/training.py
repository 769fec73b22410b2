"""`xinyu training`: training hours per person and year against the minimum of their role (QD-T9);
`xinyu training add`: record one training a member of staff attended."""

import argparse
import json
from datetime import date

from sqlmodel import Session

from xinyu.cli.common import CliError, Command, engine_and_book
from xinyu.clock import local_date, parse_at


def register(command: Command) -> None:
    p = command("training", cmd_training,
                "培训学时：每人每年培训课时与其角色的最低要求（专职心理教师40、兼职24、班主任16、教职工8）")
    p.add_argument("--school", help="学校名称（查看进度时必填）")
    p.add_argument("--year", type=int, help="年份（默认：今年）")
    p.add_argument("--at", help="以此时间为“现在”（ISO 8601；无时区按北京时间）")
    p.add_argument("--json", action="store_true")
    sub = p.add_subparsers(metavar="操作", required=False)
    add = sub.add_parser("add", help="记录一次培训（人员、日期、课时、主题）")
    add.add_argument("--school", required=True)
    add.add_argument("--person", required=True, help="参加培训的教职工姓名")
    add.add_argument("--on", required=True, help="培训日期 YYYY-MM-DD")
    add.add_argument("--hours", required=True, help="课时（如 3 或 1.5）")
    add.add_argument("--topic", required=True, help="培训主题")
    add.add_argument("--by", help="录入人姓名（该校教职工）")
    add.add_argument("--at", help="以此时间为“现在”（ISO 8601；无时区按北京时间）")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_training_add)


def _rule(book, pack_id: str):  # type: ignore[no-untyped-def]
    rule = book.pack(pack_id).training
    if rule is None:
        raise CliError(f"政策包 {pack_id} 未规定培训学时（training），不记录培训课时")
    return rule


def cmd_training(args: argparse.Namespace) -> int:
    from models import School
    from xinyu.cli.ledger_list import school_named
    from xinyu.training import school_progress

    if not args.school:
        raise CliError("请用 --school 指定学校")
    year = args.year or local_date(parse_at(args.at)).year
    if not 2000 <= year <= 2099:
        raise CliError(f"年份应为 2000–2099，实为 {year}")
    engine, book = engine_and_book()
    with Session(engine) as session:
        school = session.get(School, school_named(session, args.school).id)
        assert school is not None
        progress = school_progress(session, school, _rule(book, school.pack), year=year)
    if args.json:
        print(json.dumps(progress.as_json(), ensure_ascii=False, indent=2))
        return 0
    print(f"{progress.school} {year}年培训学时（{progress.clause}）：{progress.reached}/{len(progress.people)} 人达标")
    print("姓名\t类别\t已培训\t最低\t状态")
    for p in progress.people:
        state = "达标" if p.reached else f"▲差{p.minimum - p.hours:g}课时"
        print(f"{p.name}\t{p.category}\t{p.hours:g}\t{p.minimum}\t{state}")
    return 0


def cmd_training_add(args: argparse.Namespace) -> int:
    from models import School
    from xinyu.cli.common import resolve_person
    from xinyu.cli.ledger_list import school_named
    from xinyu.db import transaction
    from xinyu.training import TrainingError, add_training
    from xinyu.training.records import parse_hours

    now = parse_at(args.at)
    try:
        held_on = date.fromisoformat(args.on)
    except ValueError:
        raise CliError(f"--on 应为日期 YYYY-MM-DD，实为“{args.on}”") from None
    engine, book = engine_and_book()
    with transaction(engine) as session:
        school = session.get(School, school_named(session, args.school).id)
        assert school is not None
        _rule(book, school.pack)
        assert school.id is not None
        person_id = resolve_person(session, args.person, school.id)
        by = resolve_person(session, args.by, school.id) if args.by else None
        try:
            row = add_training(session, school=school, person_id=person_id, held_on=held_on,
                               hours=parse_hours(args.hours), topic=args.topic, by=by, now=now)
        except TrainingError as exc:
            raise CliError(str(exc)) from None
        out = {"id": row.id, "school": school.name, "person": args.person, "on": held_on.isoformat(),
               "hours": row.hours, "topic": row.topic}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"已记录：{out['person']} {out['on']} {out['topic']} {row.hours:g}课时")
    return 0
