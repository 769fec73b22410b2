"""`xinyu calendar import FILE` and `xinyu calendar status`: the State Council's yearly schedule as data.
Registered by xinyu.cli on the same parser."""

import argparse
import json
from pathlib import Path

from xinyu.calendar_coverage import coverage, covered_years, missing_needed, missing_year_warning, needed_years
from xinyu.cli.common import Command
from xinyu.clock import local_date, parse_at
from xinyu.db import make_engine
from xinyu.settings import get_settings
from xinyu.statutory import ESTIMATED, IMPORTED, STATUTORY, sync_calendar


def register(command: Command) -> None:
    p = command("calendar", cmd_calendar_status,
                "法定节假日安排：导入国务院每年的安排（import），查看覆盖的年份（status）")
    sub = p.add_subparsers(metavar="操作", required=True)
    imp = sub.add_parser("import", help="导入一年的安排（CSV 或 YAML：date, kind (holiday|workday), name）",
                         description="导入国务院某年的节假日安排；同一年份再次导入时整体替换")
    imp.add_argument("file", type=Path)
    imp.add_argument("--at", help="导入时间（ISO 8601）")
    imp.set_defaults(handler=cmd_calendar_import)
    status = sub.add_parser("status", help="列出已覆盖的年份及来源；60 天内周期所需年份未覆盖时退出码为 1",
                            description="列出已覆盖的年份及来源；60 天内周期所需年份未覆盖时退出码为 1")
    status.add_argument("--at", help="以此时间判断（ISO 8601；默认现在）")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_calendar_status)


def cmd_calendar_import(args: argparse.Namespace) -> int:
    from xinyu.calendar_import import import_schedule
    from xinyu.cycle.packbook import PackBook

    settings = get_settings()
    engine = make_engine(settings.database_url)
    result = import_schedule(engine, args.file, now=parse_at(args.at), book=PackBook(engine, pin_newest=True))
    print(f"已导入节假日安排：{result.summary()}")
    return 0


def cmd_calendar_status(args: argparse.Namespace) -> int:
    sync_calendar(make_engine(get_settings().database_url))
    today = local_date(parse_at(args.at))
    years = covered_years()
    needed = needed_years(today)
    missing = missing_needed(today)
    if args.json:
        print(json.dumps({
            "at": today.isoformat(),
            "years": [{"year": c.year, "source": c.source, "detail": c.detail} for c in years],
            "needed": [{"year": y, "source": STATUTORY.source(y), "covered": STATUTORY.source(y) != ESTIMATED}
                       for y in needed],
            "missing": missing,
        }, ensure_ascii=False, indent=2))
        return 1 if missing else 0
    package = [c.year for c in years if c.source != IMPORTED]
    if package:
        print(f"{package[0]}–{package[-1]} 年：chinesecalendar 包（{coverage(package[-1]).detail}）"
              if len(package) > 1 else f"{package[0]} 年：{coverage(package[0]).detail}")
    for item in years:
        if item.source == IMPORTED:
            print(f"{item.year} 年：已导入 {item.detail}")
    shown = "、".join(f"{y}" for y in needed)
    print(f"{today} 起 60 天内的周期需要：{shown} 年")
    for year in missing:
        print(f"未覆盖：{year} 年——{missing_year_warning(year)}")
    if not missing:
        print("所需年份均已覆盖")
    return 1 if missing else 0
