"""`xinyu district hospitals`: the district's designated hospitals for crisis referrals (QD-4).

    xinyu district hospitals --district D [--add 名称 ...] [--remove 名称 ...] [--list] [--json] [--at T]

While a district has no list, a referral may name any hospital; once it has one, a referral names one of them.
"""

import argparse
import json

from sqlmodel import select

from models import District
from xinyu.cli.common import CliError, Command, engine_and_book
from xinyu.clock import parse_at
from xinyu.db import transaction


def register(command: Command) -> None:
    p = command("district", cmd_district, "区县设置：心理危机转介定点医院名单（hospitals）")
    p.add_argument("setting", choices=("hospitals",), help="hospitals：转介医院名单")
    p.add_argument("--district", required=True, help="区县名称")
    p.add_argument("--add", action="append", default=[], metavar="名称", help="加入名单（可重复）")
    p.add_argument("--remove", action="append", default=[], metavar="名称", help="移出名单（可重复）")
    p.add_argument("--list", action="store_true", help="列出名单（默认）")
    p.add_argument("--json", action="store_true")
    p.add_argument("--at", help="时间（ISO 8601；无时区按北京时间）")


def cmd_district(args: argparse.Namespace) -> int:
    from xinyu.crisis.hospitals import add_hospital, district_hospitals, remove_hospital

    engine, _ = engine_and_book()
    now = parse_at(args.at)
    with transaction(engine) as session:
        district = session.exec(select(District).where(District.name == args.district)).first()
        if district is None or district.id is None:
            raise CliError(f"没有区县 {args.district}")
        for name in args.add:
            add_hospital(session, district_id=district.id, name=name, now=now)
        for name in args.remove:
            remove_hospital(session, district_id=district.id, name=name)
        names = district_hospitals(session, district.id)
    if args.json:
        print(json.dumps({"district": args.district, "hospitals": names}, ensure_ascii=False))
        return 0
    for name in args.add:
        print(f"已加入：{name}")
    for name in args.remove:
        print(f"已移出：{name}")
    shown = "、".join(names) if names else "未设置（转介时可填写任一医院）"
    print(f"{args.district}转介医院名单（{len(names)}）：{shown}")
    return 0
