"""`xinyu network`: the school network against the roster (QD-T10, GZ-5.1, QD-T2), counts only;
`xinyu school set`: a school's boarding/dorm setting (QD-T10 宿舍层面)."""

import argparse
import json

from sqlmodel import Session, col, select

from xinyu.cli.common import CliError, Command, engine_and_book
from xinyu.clock import local_date, parse_at


def register(command: Command) -> None:
    p = command("network", cmd_network,
                "心理健康网络核对（每班心理委员/健康委员、宿舍心理信息员、心理教师配备；只显示人数）")
    p.add_argument("--school", help="只看这所学校（默认：全部学校）")
    p.add_argument("--at", help="以此时间为“今天”（ISO 8601；无时区按北京时间）")
    p.add_argument("--json", action="store_true")
    school = command("school", cmd_school_set, "学校设置")
    sub = school.add_subparsers(metavar="操作", required=True)
    setting = sub.add_parser("set", help="设置寄宿制与宿舍间数（寄宿制学校每间宿舍设心理信息员1名）")
    setting.add_argument("--school", required=True)
    board = setting.add_mutually_exclusive_group(required=True)
    board.add_argument("--boarding", action="store_true", help="寄宿制学校")
    board.add_argument("--day", action="store_true", help="非寄宿制学校（走读）")
    setting.add_argument("--dorms", type=_count, help="宿舍间数（寄宿制学校必填）")
    setting.add_argument("--by", help="设置人姓名（该校教职工）")
    setting.add_argument("--at", help="以此时间为“现在”（ISO 8601；无时区按北京时间）")
    setting.add_argument("--json", action="store_true")
    setting.set_defaults(handler=cmd_school_set)


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"“{text}”不是非负整数")
    return int(text)


def _mark(value: bool | None) -> str:
    return "—" if value is None else "达标" if value else "▲未达标"


def cmd_network(args: argparse.Namespace) -> int:
    from models import School
    from xinyu.cli.ledger_list import school_named
    from xinyu.network import school_network

    today = local_date(parse_at(args.at))
    engine, book = engine_and_book()
    with Session(engine) as session:
        if args.school:
            found = session.get(School, school_named(session, args.school).id)
            schools = [found] if found else []
        else:
            schools = list(session.exec(select(School).order_by(col(School.name))))
        rows = [school_network(session, s, book.pack(s.pack), today=today).summary_json() for s in schools]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print("学校\t政策包\t班级\t未达标班级\t宿舍\t缺信息员宿舍\t心理教师（专职/兼职）\t专职\t师班比")
    for r in rows:
        if not r["checked"]:
            print(f"{r['school']}\t{r['pack']}\t{r['classes']}\t（政策包未规定心理健康网络，不核对）")
            continue
        dorms = f"{r['dorms']}间" if r["boarding"] else "非寄宿"
        ratio = _mark(r["ratio_ok"])
        if r["ratio_ok"] is not None:
            due = "" if r["ratio_in_force"] else f"（{r['ratio_due']}后要求）"
            ratio = f"需{r['teachers_needed']}人 {ratio}{due}"
        print(f"{r['school']}\t{r['pack']}\t{r['classes']}\t{r['classes_short']}\t{dorms}\t{r['dorms_short']}\t"
              f"{r['psych_teachers']}（{r['full_time']}/{r['part_time']}）\t{_mark(r['full_time_ok'])}\t{ratio}")
    return 0


def cmd_school_set(args: argparse.Namespace) -> int:
    from models import School
    from xinyu.cli.common import resolve_person
    from xinyu.cli.ledger_list import school_named
    from xinyu.db import transaction
    from xinyu.network import DormSettingError, set_dorms

    now = parse_at(args.at)
    engine, _ = engine_and_book()
    with transaction(engine) as session:
        school = session.get(School, school_named(session, args.school).id)
        assert school is not None
        by = resolve_person(session, args.by, school.id) if args.by else None  # type: ignore[arg-type]
        try:
            set_dorms(session, school, boarding=args.boarding, dorms=args.dorms, by=by, now=now)
        except DormSettingError as exc:
            raise CliError(str(exc)) from None
        out = {"school": school.name, "boarding": school.boarding, "dorms": school.dorms}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{out['school']}：" + (f"寄宿制，宿舍 {out['dorms']} 间" if out["boarding"] else "非寄宿制"))
    return 0
