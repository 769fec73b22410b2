"""`xinyu account …` and `xinyu accounts`: day one (the first 区县管理员) and an operator's hand on accounts.

    echo '密码' | xinyu account create-admin --email E [--name N] [--district D]
    echo '密码' | xinyu account set-password LOGIN        (LOGIN: email or phone)
    xinyu account disable LOGIN | xinyu account enable LOGIN
    xinyu accounts [--school S] [--json]

A password is read from standard input (one line), with a hidden prompt on a terminal; never an argument,
so it stays out of the shell history and the process list.
"""

import argparse
import getpass
import json
import sys
from dataclasses import asdict

from sqlmodel import select

from models import School
from xinyu.cli.common import CliError, Command
from xinyu.clock import now
from xinyu.db import make_engine, transaction
from xinyu.settings import get_settings


def register(command: Command) -> None:
    p = command("account", cmd_account, "账号管理：首位区县管理员（create-admin）、设置密码、停用与启用")
    sub = p.add_subparsers(dest="action", required=True, metavar="操作")
    a = sub.add_parser("create-admin", help="创建区县管理员（密码从标准输入读取一行）")
    a.add_argument("--email", required=True, help="管理员的电子邮箱（登录名）")
    a.add_argument("--name", help="姓名（默认取邮箱@前的部分）")
    a.add_argument("--district", help="区县名称（没有时新建；省略时用唯一的区县，或新建“本区县”）")
    a = sub.add_parser("set-password", help="为某人设置新密码（密码从标准输入读取一行），其所有登录会话结束")
    a.add_argument("login", help="电子邮箱或手机号")
    a = sub.add_parser("disable", help="停用账号：其所有登录会话立即结束")
    a.add_argument("login", help="电子邮箱或手机号")
    a = sub.add_parser("enable", help="重新启用账号")
    a.add_argument("login", help="电子邮箱或手机号")
    p = command("accounts", cmd_accounts, "列出教职工与区县人员的账号（是否已设密码、是否停用）")
    p.add_argument("--school", help="只列该校（学校名称）")
    p.add_argument("--json", action="store_true")


def read_password() -> str:
    """One line from standard input; on a terminal a hidden prompt, asked twice."""
    if sys.stdin.isatty():
        first = getpass.getpass("新密码：")
        if getpass.getpass("再输入一次：") != first:
            raise CliError("两次输入的密码不一致")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CliError("请从标准输入提供密码（一行），例如：echo '密码' | xinyu account …")
    return line.rstrip("\r\n")


def cmd_account(args: argparse.Namespace) -> int:
    from xinyu.admin.accounts import operator_set_password, person_by_login, set_disabled
    from xinyu.admin.first_admin import create_admin

    engine = make_engine(get_settings().database_url)
    if args.action == "create-admin":
        from xinyu.roster.fields import parse_email

        if parse_email(args.email) is None:
            raise CliError(f"电子邮箱格式不正确：{args.email}")
        password = read_password()
        with transaction(engine) as session:
            made = create_admin(session, email=args.email, password=password, name=args.name,
                                district=args.district, now=now())
        print(f"已创建区县管理员 {args.email.strip().lower()}（{made.district}"
              f"{'，新建区县' if made.district_created else ''}）；请用该邮箱和密码登录网页端")
        return 0
    if args.action == "set-password":
        password = read_password()
        with transaction(engine) as session:
            operator_set_password(session, login=args.login, password=password, now=now())
        print(f"已为 {args.login} 设置新密码，其所有登录会话已结束")
        return 0
    disabled = args.action == "disable"
    with transaction(engine) as session:
        person = person_by_login(session, args.login)
        assert person.id is not None
        changed = set_disabled(session, person_id=person.id, disabled=disabled, now=now())
    word = "停用" if disabled else "启用"
    print(f"已{word} {args.login} 的账号" if changed else f"{args.login} 的账号本已{word}")
    return 0


def cmd_accounts(args: argparse.Namespace) -> int:
    from xinyu.admin.accounts import list_accounts

    engine = make_engine(get_settings().database_url)
    with transaction(engine) as session:
        school_ids = None
        if args.school:
            school_ids = [s.id for s in session.exec(select(School).where(School.name == args.school))
                          if s.id is not None]
            if not school_ids:
                raise CliError(f"没有学校 {args.school}")
        rows = list_accounts(session, school_ids=school_ids)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], ensure_ascii=False))
        return 0
    for r in rows:
        state = "已停用" if r.disabled else ("已设密码" if r.has_password else "未设密码")
        login = r.email or r.phone or "（无登录名）"
        print(f"{r.person_id}\t{r.name}\t{login}\t{'、'.join(r.schools) or '区县'}\t{'、'.join(r.roles)}\t{state}")
    print(f"共 {len(rows)} 人")
    return 0
