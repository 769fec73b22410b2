"""`xinyu`: the command line over the same core the flows and (later) the web app use."""

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from models import Person, RoleAssignment, Task
from xinyu.board import render_board, render_shortfalls
from xinyu.cli_calendar import register as register_calendar_commands
from xinyu.cli_chase import register as register_chase_commands
from xinyu.cli_errors import Parser, database_unreachable, expected_error, refuse, run_flow
from xinyu.cli_simulate import register as register_simulate_command
from xinyu.clock import local_date, parse_at
from xinyu.cycle import PackBook, complete_task
from xinyu.cycle.schedule import month_of, month_parts
from xinyu.db import make_engine, migrate, transaction
from xinyu.queries import TASK_STATUSES, TaskFilter, list_tasks
from xinyu.roles import parse_role
from xinyu.settings import get_settings
from xinyu.statutory import sync_calendar

ESCALATION_MARKS = {"none": "", "school": "·已升级至组长", "district": "·已报区县"}


class CliError(ValueError):
    """Shown to the user as one clear line; exit code 1 (xinyu/cli_errors.py)."""


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's in-process API may take longer than its default 20 s to start on a loaded machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # Prefect's run-by-run INFO lines would drown the CLI's own output; set the variable to see them.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    args = build_parser().parse_args(argv)
    try:
        if args.command not in OWN_DATABASE:
            require_database()
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except OperationalError as exc:
        from sqlalchemy import make_url

        return refuse(database_unreachable(exc, make_url(get_settings().database_url).render_as_string()))
    except Exception as exc:  # every domain refusal is a ValueError, also from inside a flow run
        refusal = expected_error(exc)
        if refusal is None:
            raise
        from xinyu.roster.errors import RosterError

        return refuse(str(refusal), keep_lines=isinstance(refusal, RosterError))


OWN_DATABASE = {"init", "demo", "simulate"}  # commands that create or name their own database


def require_database() -> None:
    from sqlalchemy import make_url

    from xinyu.service.serve import database_ready

    url = get_settings().database_url
    if not database_ready(url):
        raise CliError(f"数据库尚未初始化：{make_url(url).render_as_string()}，请先运行 xinyu init")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="xinyu", description="心育闭环：中小学心理健康工作月度闭环管理")
    sub = parser.add_subparsers(required=True, metavar="命令")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler, command=name)
        return p

    p = command("init", cmd_init, "创建或升级数据库（Alembic 迁移）")
    p.add_argument("--demo", action="store_true", help="同时载入示例区县")
    p = command("import", cmd_import, "导入教职工名册、学生名单或测评结果（CSV/XLSX）")
    p.add_argument("file", type=Path)
    p.add_argument("--school", help="测评结果文件没有“学校”列时，指明学校")
    p.add_argument("--pack", help="新建学校所用的政策包（默认 qingdao）")
    p = command("open", cmd_open, "开启某月的月度闭环周期")
    p.add_argument("month", help="YYYY-MM")
    add_run_options(p)
    p = command("advance", cmd_advance, "推进所有学校的月度闭环")
    add_run_options(p)
    p = command("tasks", cmd_tasks, "列出任务")
    p.add_argument("--school")
    p.add_argument("--role", help="角色中文名，如 班主任")
    p.add_argument("--status", choices=TASK_STATUSES)
    p.add_argument("--month", help="YYYY-MM；默认为进行中的周期")
    p.add_argument("--at", help="判断逾期所用的时间（ISO 8601）")
    p.add_argument("--json", action="store_true")
    p = command("complete", cmd_complete, "完成任务并填写佐证")
    p.add_argument("task_id", type=int)
    p.add_argument("--by", help="完成人姓名（默认为任务负责人）")
    p.add_argument("--set", action="append", default=[], metavar="字段=值", dest="values")
    p.add_argument("--at")
    p = command("board", cmd_board, "月度闭环看板")
    p.add_argument("--month")
    p.add_argument("--at")
    p = command("agenda", cmd_agenda, "显示领导小组会议议程")
    p.add_argument("--school", required=True)
    p.add_argument("--month")
    p = command("dispatch", cmd_dispatch, "发送到期的邮件、短信和群机器人消息（未配置服务器时写入 outbox 文件夹）")
    p.add_argument("--at", help="运行时间（ISO 8601；无时区按北京时间），决定静默时段与重试是否到期")
    p = command("serve", cmd_serve, "网页端，并按计划运行：每月1日开启周期，每天 7:00、16:00 推进，每 5 分钟发消息")
    p.add_argument("--host", default="127.0.0.1", help="网页端监听地址")
    p.add_argument("--port", type=int, default=8000, help="网页端端口")
    p = command("demo", cmd_demo, "示例：一个区县的一个月，端到端")
    p.add_argument("--schools", type=int, default=6)
    p.add_argument("--classes", type=int, default=8, help="每校班级数")
    p.add_argument("--database", default="sqlite:///xinyu-demo.db")
    p.add_argument("--seed", type=int, default=7)
    p = command("check", cmd_check,
                "检查数据库是否一致（周期、步骤、任务、结转、催办、督办、消息）；有问题时退出码为 1")
    p.add_argument("--at", help="判断次年节假日安排是否缺失所用的时间（ISO 8601）")
    register_chase_commands(command)
    register_simulate_command(command)
    register_calendar_commands(command)
    return parser


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--at", help="运行时间（ISO 8601；无时区按北京时间）")
    p.add_argument("--direct", action="store_true", help="不经 Prefect，直接调用核心（脚本与排错用）")


def engine_and_book():  # type: ignore[no-untyped-def]
    settings = get_settings()
    engine = make_engine(settings.database_url)
    sync_calendar(engine)  # imported holiday schedules (xinyu calendar import) win over the package
    return engine, PackBook(settings.packs_dir)


def cmd_init(args: argparse.Namespace) -> int:
    settings = get_settings()
    migrate(settings.database_url)
    print(f"数据库已就绪：{settings.database_url}")
    if args.demo:
        from xinyu.demo import load_demo_district

        summary = load_demo_district(make_engine(settings.database_url), workdir=Path("demo-data"))
        print(summary)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from xinyu.roster import import_file

    engine, book = engine_and_book()
    if not args.file.is_file():
        raise CliError(f"找不到文件 {args.file}" if not args.file.exists() else f"{args.file} 不是文件")
    try:
        result = import_file(engine, args.file, school=args.school, pack=args.pack, packs_dir=book.packs_dir)
    except (PermissionError, IsADirectoryError) as exc:
        raise CliError(f"无法读取 {args.file}：{exc.strerror}") from exc
    print(result.summary())
    return 0


NO_SCHOOL = "数据库中还没有学校：没有可开启或推进的周期（请先用 xinyu import 导入教职工名册）"


def has_schools() -> bool:
    from models import School

    engine, _ = engine_and_book()
    with Session(engine) as session:
        return session.exec(select(School.id).limit(1)).first() is not None


def cmd_open(args: argparse.Namespace) -> int:
    month_parts(args.month)
    now = parse_at(args.at)
    if not has_schools():
        print(NO_SCHOOL)
        return 0
    if args.direct:
        from xinyu.cycle import start_month

        engine, book = engine_and_book()
        with transaction(engine) as session:
            result = vars(start_month(session, month=args.month, now=now, book=book))
    else:
        from flows.monthly_cycle import OpenMonthParams, open_month_flow

        result = run_flow(lambda: open_month_flow(OpenMonthParams(month=args.month, at=now.isoformat())))
    n = {key: result.get(key, 0) for key in ("opened", "already_open", "closed", "carried_tasks", "steps_opened",
                                               "tasks_created")}
    print(f"{args.month} 周期：新开启 {n['opened']} 所学校，已开启 {n['already_open']} 所，"
          f"结束上月周期 {n['closed']} 个，结转任务 {n['carried_tasks']} 项；"
          f"开启步骤 {n['steps_opened']} 个，新任务 {n['tasks_created']} 项")
    return 0


def cmd_advance(args: argparse.Namespace) -> int:
    now = parse_at(args.at)
    if not has_schools():
        print(NO_SCHOOL)
        return 0
    if args.direct:
        from xinyu.chase import queue_district_digests, run_chase
        from xinyu.cycle import advance

        engine, book = engine_and_book()
        with transaction(engine) as session:
            outcome = advance(session, now=now, book=book)
            chased = run_chase(session, now=now, book=book)
            result = {**vars(outcome), **{f"opened.{k}": v for k, v in vars(outcome.opened).items()},
                      **{f"chase.{k}": v for k, v in chased.counts().items()},
                      "chase.district_messages": queue_district_digests(session, now=now, book=book)}
    else:
        from flows.monthly_cycle import AdvanceParams, advance_flow

        result = run_flow(lambda: advance_flow(AdvanceParams(at=now.isoformat())))
    result = {key: result.get(key, 0) for key in ADVANCE_KEYS} | result
    print(f"{now:%Y-%m-%d %H:%M} 推进：{result['cycles']} 个周期，开启步骤 {result['steps_opened']} 个，"
          f"完成步骤 {result['steps_done']} 个，新任务 {result['tasks_created']} 项"
          + (f"；新开启月度周期 {result['opened.opened']} 个" if result.get("opened.opened") else ""))
    if any(result.get(f"chase.{k}") for k in ("reminders", "school_escalations", "district_escalations")):
        print(f"  催办：提醒 {result['chase.reminders']} 项，升级至组长 {result['chase.school_escalations']} 项，"
              f"报区县督办 {result['chase.district_escalations']} 项；通知 {result['chase.people_told']} 人，"
              f"消息 {result['chase.messages'] + result['chase.district_messages']} 条待发")
    return 0


ADVANCE_KEYS = ("cycles", "steps_opened", "steps_done", "tasks_created", "chase.reminders", "chase.school_escalations",
                "chase.district_escalations", "chase.people_told", "chase.messages", "chase.district_messages")


def cmd_tasks(args: argparse.Namespace) -> int:
    if args.month:
        month_parts(args.month)
    engine, book = engine_and_book()
    role = None
    if args.role:
        parsed = parse_role(args.role)
        if parsed is None:
            raise CliError(f"未知角色 {args.role!r}")
        role = parsed.value
    with Session(engine) as session:
        rows = list_tasks(session, today=local_date(parse_at(args.at)), book=book,
                          where=TaskFilter(school=args.school, role=role, status=args.status, month=args.month))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from xinyu.textwidth import table

    status_label = {"open": "待办", "overdue": "逾期", "done": "已完成", "carried": "已结转"}
    header = ["编号", "学校", "步骤", "任务", "角色", "负责人", "班级", "截止", "状态"]
    print(table(header, [
        [str(r["id"]), r["school"], r["step_label"], r["title"] + ("（上月结转）" if r["carried_over"] else ""),
         r["role"], r["assignee"] or "未指派", r["class"] or "", r["due"] + ("（推定）" if r["due_estimated"] else ""),
         status_label[r["status"]] + ESCALATION_MARKS[r["escalation_level"]]]
        for r in rows
    ]))
    print(f"共 {len(rows)} 项")
    return 0


def cmd_complete(args: argparse.Namespace) -> int:
    engine, book = engine_and_book()
    values = {}
    for item in args.values:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--set 应为 字段=值，实为 {item!r}")
        values[name.strip()] = value
    now = parse_at(args.at)
    with transaction(engine) as session:
        task = session.get(Task, args.task_id)
        if task is None:
            raise CliError(f"没有任务 #{args.task_id}")
        by = resolve_person(session, args.by, task.school_id) if args.by else None
        task = complete_task(session, task_id=args.task_id, values=values, now=now, book=book, by=by)
        print(f"任务 #{task.id}「{task.title}」已完成（{now:%Y-%m-%d %H:%M}）")
    return 0


def resolve_person(session: Session, name: str, school_id: int) -> int:
    ids = set(session.exec(
        select(Person.id).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(Person.name == name, RoleAssignment.school_id == school_id)
    ))
    if not ids:
        raise CliError(f"本校没有名为 {name} 的教职工")
    if len(ids) > 1:
        raise CliError(f"本校有 {len(ids)} 位 {name}，请用任务负责人完成或联系管理员")
    (person_id,) = ids
    assert person_id is not None
    return person_id


def cmd_board(args: argparse.Namespace) -> int:
    engine, book = engine_and_book()
    today = local_date(parse_at(args.at))
    month = args.month or month_of(today)
    month_parts(month)
    with Session(engine) as session:
        print(render_board(session, month=month, today=today, book=book))
        print()
        print(render_shortfalls(session, month=month, book=book))
    return 0


def cmd_agenda(args: argparse.Namespace) -> int:
    from models import Cycle, Meeting, School

    engine, _ = engine_and_book()
    month = args.month or month_of(local_date(parse_at(None)))
    month_parts(month)
    with Session(engine) as session:
        meeting = session.exec(
            select(Meeting).join(Cycle, col(Cycle.id) == col(Meeting.cycle_id))
            .join(School, col(School.id) == col(Cycle.school_id))
            .where(School.name == args.school, Cycle.month == month)
        ).first()
        if meeting is None:
            raise CliError(f"{args.school} {month} 的会议步骤尚未开启")
        print(meeting.agenda)
        if meeting.minutes:
            print(f"## 会议纪要（{meeting.held_on}）\n{meeting.minutes}")
    return 0


def cmd_dispatch(args: argparse.Namespace) -> int:
    from notifications.dispatcher import dispatch
    from notifications.report import dispatch_report

    settings = get_settings()
    at = parse_at(args.at)
    result = dispatch(make_engine(settings.database_url), now=at, settings=settings)  # in this process: no flow
    print(dispatch_report(result, settings=settings, at=at))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from sqlalchemy import make_url

    from web.app import create_app
    from xinyu.service.scheduler import build_scheduler, upcoming
    from xinyu.service.serve import database_ready, log_to_stderr, serve_web_until_stopped

    settings = get_settings()
    if not database_ready(settings.database_url):
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        raise CliError(f"数据库尚未初始化：{shown}，请先运行 xinyu init")
    log_to_stderr()
    scheduler = build_scheduler(settings.database_url, blocking=False)
    plan = "；".join(f"{u.label} 立即补运行（原定 {u.at:%Y-%m-%d %H:%M}）" if u.catch_up
                    else f"{u.label} 下次 {u.at:%Y-%m-%d %H:%M}" for u in upcoming(scheduler))
    print(f"定时任务已启动（北京时间）：{plan}。按 Ctrl+C 停止", flush=True)
    print(f"网页端：http://{args.host}:{args.port}/（会话 Cookie 仅经 HTTPS 或本机地址发送；"
          f"对外请置于 HTTPS 反向代理之后）", flush=True)
    serve_web_until_stopped(scheduler, create_app(), host=args.host, port=args.port)
    print("定时任务已停止", flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from xinyu.demo import run_demo

    run_demo(database_url=args.database, schools=args.schools, classes=args.classes, seed=args.seed, out=print)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from sqlalchemy import func

    from models import ChaseEvent, Cycle, OutboxMessage
    from xinyu.calendar_warning import calendar_warning
    from xinyu.consistency import check_consistency

    engine, book = engine_and_book()
    warning = calendar_warning(parse_at(args.at))
    if warning:  # a warning, not an inconsistency: on stderr, and the exit code stays as the data say
        print(f"警告：{warning}", file=sys.stderr)
    with Session(engine) as session:
        problems = check_consistency(session, book)
        if problems:
            print("\n".join(problems))
            print(f"不一致：{len(problems)} 处问题")
            return 1
        sizes = [session.exec(select(func.count()).select_from(table)).one()
                 for table in (Cycle, Task, ChaseEvent, OutboxMessage)]
    print("一致：{} 个周期，{} 项任务，{} 条催办记录，{} 条消息".format(*sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
