"""`xinyu ledger add|list` and `xinyu coverage`: the four ledgers kept from the command line (QD-ANNEX, QD-2).

Each ledger's adding lives with its own module (ledger B: xinyu.cli.ledger_b, ledger D: xinyu.cli.ledger_d);
this module parses the shared shape: `ledger add X --school S --student-no NO --by NAME --set 字段=值 … [--at]`.
"""

import argparse

from xinyu.cli.common import CliError, Command


def register(command: Command) -> None:
    p = command("ledger", cmd_ledger, "台账：新增（add B|D）、列出（list A|B|C|D）、隐形保护人（protector）")
    sub = p.add_subparsers(metavar="操作", required=True)
    add = sub.add_parser("add", help="新增一条台账记录（B：一生一案；D：谈心谈话与家校反馈）",
                         description="新增一条台账记录（B：一生一案；D：谈心谈话与家校反馈）")
    add.add_argument("ledger", choices=("B", "D"))
    add.add_argument("--school", required=True)
    add.add_argument("--student-no", required=True, help="学号")
    add.add_argument("--by", required=True, help="记录人姓名")
    add.add_argument("--set", action="append", default=[], metavar="字段=值", dest="values")
    add.add_argument("--at", help="记录时间（ISO 8601；无时区按北京时间）")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_ledger_add)
    show = sub.add_parser("list", help="列出台账（C 台账仅限有权查看的人，查看留痕）",
                          description="列出台账（C 台账仅限有权查看的人，查看留痕）")
    show.add_argument("ledger", choices=("A", "B", "C", "D"))
    show.add_argument("--school", required=True)
    show.add_argument("--class", dest="class_name", help="班级，如 初一1班")
    show.add_argument("--by", required=True, help="查看人姓名")
    show.add_argument("--at", help="查看时间，记入审计日志（ISO 8601；无时区按北京时间）")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_ledger_list)
    guard = sub.add_parser("protector", help="指定或取消重点关爱学生的隐形保护人（JN-5，仅组长、专职心理教师）",
                           description="指定或取消重点关爱学生的隐形保护人（JN-5，仅组长、专职心理教师）")
    guard.add_argument("plan", help="一生一案编号，如 B-12")
    guard.add_argument("--by", required=True, help="操作人姓名（组长或专职心理教师）")
    guard.add_argument("--person", help="隐形保护人（本校教职工）姓名")
    guard.add_argument("--clear", action="store_true", help="取消隐形保护人")
    guard.add_argument("--at", help="时间（ISO 8601；无时区按北京时间）")
    guard.add_argument("--json", action="store_true")
    guard.set_defaults(handler=cmd_ledger_protector)


def parse_values(items: list[str]) -> dict[str, str]:
    """`--set 字段=值` pairs; a pair without `=` is refused."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--set 应为 字段=值，实为 {item!r}")
        values[name.strip()] = value
    return values


def cmd_ledger(args: argparse.Namespace) -> int:  # argparse requires an operation; never reached
    raise CliError("请指明操作：add 或 list")


def cmd_ledger_add(args: argparse.Namespace) -> int:
    if args.ledger == "B":
        from xinyu.cli.ledger_b import add_key_student

        return add_key_student(args, parse_values(args.values))
    from xinyu.cli.ledger_d import add_talk

    return add_talk(args, parse_values(args.values))


def cmd_ledger_protector(args: argparse.Namespace) -> int:
    from xinyu.cli.protector import set_protector

    return set_protector(args)


def cmd_ledger_list(args: argparse.Namespace) -> int:
    from xinyu.cli.ledger_list import list_ledger

    return list_ledger(args)
