"""Setting up and running the service: the database, imports, the demo, the dispatcher, the web, the check."""

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Task
from xinyu.cli.common import CliError, Command, engine_and_book
from xinyu.clock import parse_at
from xinyu.db import OUTBOX_TABLES, make_engine, migrate, refresh_statistics
from xinyu.settings import Settings, get_settings

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler


def register(command: Command) -> None:
    p = command("init", cmd_init, "创建或升级数据库（Alembic 迁移）")
    p.add_argument("--demo", action="store_true", help="同时载入示例区县")
    p = command("import", cmd_import, "导入教职工名册、学生名单或测评结果（CSV/XLSX）")
    p.add_argument("file", type=Path)
    p.add_argument("--school", help="测评结果文件没有“学校”列时，指明学校")
    p.add_argument("--pack", help="新建学校所用的政策包（默认 qingdao）")
    p.add_argument("--replace", action="store_true",
                   help="教职工名单作为所列各校的完整名册：名单中没有的人员撤销其在该校的角色（人员与记录保留）")
    p.add_argument("--preview", action="store_true",
                   help="与 --replace 一起使用：只显示将新增、变化和撤销的人员，不做修改")
    p = command("dispatch", cmd_dispatch, "发送到期的邮件、短信和群机器人消息（未配置服务器时写入 outbox 文件夹）")
    p.add_argument("--at", help="运行时间（ISO 8601；无时区按北京时间），决定静默时段与重试是否到期")
    p = command("serve", cmd_serve, "网页端，并按计划运行：每月1日开启周期，每天 7:00、16:00 推进，每 5 分钟发消息")
    p.add_argument("--host", default="127.0.0.1", help="网页端监听地址")
    p.add_argument("--port", type=int, default=8000, help="网页端端口")
    p.add_argument("--workers", type=int, default=1,
                   help="网页端工作进程数（默认 1）；大于 1 时须加 --no-scheduler，并另行运行 xinyu scheduler")
    p.add_argument("--no-scheduler", action="store_true",
                   help="只运行网页端，不运行定时任务（由 xinyu scheduler 运行）")
    command("scheduler", cmd_scheduler,
            "只运行定时任务（不含网页端），与 xinyu serve --no-scheduler 配合；按 Ctrl+C 停止")
    p = command("demo", cmd_demo, "示例：一个区县从学期初运行到今天（此前各月整月、本月逐日至今）")
    p.add_argument("--today", help="运行到该日 17:00（YYYY-MM-DD）；缺省为现在（北京时间）")
    p.add_argument("--schools", type=int, default=6)
    p.add_argument("--classes", type=int, default=8, help="每校班级数")
    p.add_argument("--database", default="sqlite:///xinyu-demo.db")
    p.add_argument("--seed", type=int, default=7)
    p = command("check", cmd_check,
                "检查数据库是否一致（周期、步骤、任务、结转、催办、督办、消息）；有问题时退出码为 1")
    p.add_argument("--at", help="判断次年节假日安排是否缺失所用的时间（ISO 8601）")


def cmd_init(args: argparse.Namespace) -> int:
    settings = get_settings()
    installed = migrate(settings.database_url)
    print(f"数据库已就绪：{settings.database_url}")
    for pack in installed:  # the release's packs: a changed one is a new version (open months keep theirs)
        if pack.new:
            print(pack.summary())
    if args.demo:
        from xinyu.demo import load_demo_district

        summary = load_demo_district(make_engine(settings.database_url), workdir=Path("demo-data"))
        print(summary)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from xinyu.roster import import_file

    if args.preview and not args.replace:
        raise CliError("--preview 只能与 --replace 一起使用（预览整体替换名册）")
    engine, book = engine_and_book()
    if not args.file.is_file():
        raise CliError(f"找不到文件 {args.file}" if not args.file.exists() else f"{args.file} 不是文件")
    try:
        if args.replace:
            return _replace(engine, args)
        result = import_file(engine, args.file, school=args.school, pack=args.pack)
    except (PermissionError, IsADirectoryError) as exc:
        raise CliError(f"无法读取 {args.file}：{exc.strerror}") from exc
    print(result.summary())
    return 0


def _replace(engine: Engine, args: argparse.Namespace) -> int:
    """`import FILE --replace [--preview]`: a staff roster as the whole roster of each school it names."""
    from xinyu.db import transaction
    from xinyu.roster import detect_kind
    from xinyu.roster.columns import Kind
    from xinyu.roster.replace import apply_replace, preview_replace, refusal

    kind = detect_kind(args.file)
    if kind is not Kind.staff:
        raise CliError(f"{args.file.name} {refusal(kind)}")
    if args.school:
        raise CliError("--school 只用于测评结果文件，不能与 --replace 一起使用")
    if args.preview:
        with Session(engine) as session:  # reads only; closing it rolls back
            report = preview_replace(session, args.file, pack=args.pack)
    else:
        with transaction(engine) as session:
            report = apply_replace(session, args.file, pack=args.pack)
    print("\n".join(report.lines()))
    return 0


def cmd_dispatch(args: argparse.Namespace) -> int:
    from notifications.dispatcher import dispatch
    from notifications.report import dispatch_report

    settings = get_settings()
    at = parse_at(args.at)
    engine = make_engine(settings.database_url)
    result = dispatch(engine, now=at, settings=settings)  # in this process: no flow
    refresh_statistics(engine, OUTBOX_TABLES, vacuum=True)  # as the flow does
    print(dispatch_report(result, settings=settings, at=at))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from web.app import create_app
    from xinyu.service.serve import serve_web_until_stopped, serve_workers

    if args.workers < 1:
        raise CliError(f"--workers 须为正整数，收到 {args.workers}")
    if args.workers > 1 and not args.no_scheduler:
        raise CliError("--workers 大于 1 时须加 --no-scheduler：定时任务只能在一个进程中运行，"
                       "请另行运行 xinyu scheduler")
    settings = _ready_settings()
    web_line = (f"网页端：http://{args.host}:{args.port}/（会话 Cookie 仅经 HTTPS 或本机地址发送；"
                f"对外请置于 HTTPS 反向代理之后）")
    if args.workers > 1:
        print(f"{web_line}；{args.workers} 个工作进程，不运行定时任务。按 Ctrl+C 停止", flush=True)
        serve_workers(args.workers, host=args.host, port=args.port)
        print("网页端已停止", flush=True)
        return 0
    if args.no_scheduler:
        print(f"{web_line}；不运行定时任务。按 Ctrl+C 停止", flush=True)
        serve_web_until_stopped(None, create_app(), host=args.host, port=args.port)
        print("网页端已停止", flush=True)
        return 0
    with _scheduler_lock(settings.database_url):
        scheduler = _scheduler_with_plan(settings.database_url)
        print(web_line, flush=True)
        serve_web_until_stopped(scheduler, create_app(), host=args.host, port=args.port)
    print("定时任务已停止", flush=True)
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from xinyu.service.serve import run_scheduler_until_stopped

    settings = _ready_settings()
    with _scheduler_lock(settings.database_url):
        run_scheduler_until_stopped(_scheduler_with_plan(settings.database_url))
    print("定时任务已停止", flush=True)
    return 0


def _ready_settings() -> Settings:
    from sqlalchemy import make_url

    from xinyu.service.serve import database_ready, log_to_stderr

    settings = get_settings()
    if not database_ready(settings.database_url):
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        raise CliError(f"数据库尚未初始化：{shown}，请先运行 xinyu init")
    log_to_stderr()
    return settings


@contextmanager
def _scheduler_lock(database_url: str) -> Iterator[None]:
    from xinyu.service.scheduler_lock import SchedulerBusy, scheduler_lock

    try:
        with scheduler_lock(database_url):
            yield
    except SchedulerBusy:
        raise CliError("另一个定时任务进程（xinyu serve 或 xinyu scheduler）正在使用此数据库，"
                       "两个同时运行会重复执行任务；未启动") from None


def _scheduler_with_plan(database_url: str) -> "BaseScheduler":
    """The scheduler (not started), its plan said on the first line. Its flows' Prefect API starts now (unless
    one is configured or advertised), advertised to the commands run meanwhile (xinyu.prefect_api)."""
    from xinyu.prefect_api import use_api
    from xinyu.service.scheduler import build_scheduler, upcoming

    use_api(advertise=True)

    scheduler = build_scheduler(database_url, blocking=False)
    plan = "；".join(f"{u.label} 立即补运行（原定 {u.at:%Y-%m-%d %H:%M}）" if u.catch_up
                    else f"{u.label} 下次 {u.at:%Y-%m-%d %H:%M}" for u in upcoming(scheduler))
    print(f"定时任务已启动（北京时间）：{plan}。按 Ctrl+C 停止", flush=True)
    return scheduler


def cmd_demo(args: argparse.Namespace) -> int:
    from xinyu.demo import run_demo

    today = None
    if args.today is not None:
        try:
            today = date.fromisoformat(args.today)
        except ValueError:
            raise CliError(f"--today 应为日期 YYYY-MM-DD，实为 {args.today!r}") from None
    if args.schools < 1 or args.classes < 1:
        raise CliError("--schools 与 --classes 应至少为 1")
    run_demo(database_url=args.database, schools=args.schools, classes=args.classes, seed=args.seed, today=today,
             out=lambda line: print(line, flush=True))
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
