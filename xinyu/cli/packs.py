"""`xinyu pack install|list|diff`: installing a policy pack as a new stored version, and reading the versions."""

import argparse
import json
from pathlib import Path

from sqlmodel import Session

from xinyu.cli.common import CliError, Command
from xinyu.db import make_engine
from xinyu.settings import get_settings


def register(command: Command) -> None:
    p = command("pack", cmd_pack, "政策包：安装新版本（install）、列出已安装版本（list）、比较两个版本（diff）")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="操作")
    install = verbs.add_parser("install", help="校验并安装政策包文件；内容未变时不产生新版本",
                               description="校验并安装政策包文件（包名取文件中的 id:）；内容未变时不产生新版本")
    install.add_argument("file", type=Path)
    install.add_argument("--by", help="安装人（默认：当前操作系统用户）")
    install.add_argument("--json", action="store_true")
    listing = verbs.add_parser("list", help="已安装的政策包版本、使用它的学校与进行中的周期",
                               description="已安装的政策包版本、使用它的学校与进行中的周期")
    listing.add_argument("--json", action="store_true")
    diff = verbs.add_parser("diff", help="两个已安装版本的差异（unified diff）",
                            description="两个已安装版本的差异（unified diff）")
    diff.add_argument("id")
    diff.add_argument("v1", type=int)
    diff.add_argument("v2", type=int)


def cmd_pack(args: argparse.Namespace) -> int:
    engine = make_engine(get_settings().database_url)
    if args.verb == "install":
        return _install(engine, args)
    if args.verb == "list":
        return _list(engine, args)
    return _diff(engine, args)


def _install(engine, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from xinyu.policy.install import default_installer, install_pack

    installed = install_pack(engine, args.file, args.by or default_installer())  # PackError: a line per bad field
    print(json.dumps(installed.as_json(), ensure_ascii=False) if args.json else installed.summary())
    return 0


def _list(engine, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from xinyu.policy.listing import pack_rows

    with Session(engine) as session:
        rows = pack_rows(session)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from xinyu.textwidth import table

    print(table(["政策包", "版本", "标注", "安装时间", "安装人", "内容摘要", "学校", "进行中周期"],
                [[r["id"], str(r["version"]), r["label"], r["installed_at"], r["installed_by"], r["content_hash"][:12],
                  str(r["schools"]), str(r["open_cycles"])] for r in rows]))
    return 0


def _diff(engine, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from xinyu.policy.diff import UnknownVersion, pack_diff

    with Session(engine) as session:
        try:
            text = pack_diff(session, args.id, args.v1, args.v2)
        except UnknownVersion as exc:
            raise CliError(str(exc)) from None
    print(text if text else f"政策包 {args.id} 版本 {args.v1} 与 {args.v2} 内容相同", end="" if text else "\n")
    return 0
