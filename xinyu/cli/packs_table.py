"""`xinyu packs [--json] [--markdown]`: the packs side by side, read from the packs themselves (xinyu/pack_compare.py).

(`xinyu pack …` installs and lists stored versions; this command compares what the packs say.)
"""

import argparse
import json

from xinyu.cli.common import Command


def register(command: Command) -> None:
    p = command("packs", cmd_packs, "各政策包对照：步骤、课程规则、主题活动窗口、催办梯级、角色")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true")
    shown.add_argument("--markdown", action="store_true", help="输出 Markdown 表格（可贴入总结）")


def cmd_packs(args: argparse.Namespace) -> int:
    from xinyu.cli.common import engine_and_book
    from xinyu.pack_compare import markdown, pack_table, text

    _, book = engine_and_book()
    table = pack_table(book)
    if args.json:
        print(json.dumps(table.as_json(), ensure_ascii=False))
    elif args.markdown:
        print(markdown(table))
    else:
        print(text(table))
    return 0
