"""The monthly loop's commands: open and advance the cycle, list and complete tasks, the board (the agenda:
xinyu.cli.meetings)."""

import argparse
import json

from sqlmodel import Session, select

from models import Cycle, LedgerReview, Task
from xinyu.board import render_board, render_shortfalls
from xinyu.cli.common import CliError, Command, add_run_options, engine_and_book, resolve_person
from xinyu.cli.errors import run_flow
from xinyu.cli.evidence import add_file_option, read_files
from xinyu.clock import local_date, parse_at
from xinyu.cycle import complete_task
from xinyu.cycle.schedule import month_of, month_parts
from xinyu.db import refresh_statistics, transaction
from xinyu.prefect_api import use_api
from xinyu.queries import TASK_STATUSES, TaskFilter, list_tasks
from xinyu.roles import parse_role

ESCALATION_MARKS = {"none": "", "school": "·已升级至组长", "district": "·已报区县"}


def register(command: Command) -> None:
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
    add_file_option(p)
    p.add_argument("--at")
    p = command("board", cmd_board, "月度闭环看板")
    p.add_argument("--month")
    p.add_argument("--at")


NO_SCHOOL = "数据库中还没有学校：没有可开启或推进的周期（请先用 xinyu import 导入教职工名册）"


def has_schools() -> bool:
    from models import School

    engine, _ = engine_and_book()
    with Session(engine) as session:
        return session.exec(select(School.id).limit(1)).first() is not None


def cmd_open(args: argparse.Namespace) -> int:
    month_parts(args.month)
    now = parse_at(args.at)
    if not args.direct:
        use_api()  # first: an ephemeral API, if one is needed, boots while the rest is imported
    if not has_schools():
        print(NO_SCHOOL)
        return 0
    if args.direct:
        from xinyu.cycle import start_month

        engine, book = engine_and_book()
        with transaction(engine) as session:
            result = vars(start_month(session, month=args.month, now=now, book=book))
        refresh_statistics(engine, vacuum=True)  # as the flow does after its batches
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
    if not args.direct:
        use_api()  # first: an ephemeral API, if one is needed, boots while the rest is imported
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
        refresh_statistics(engine, vacuum=True)
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
    files = read_files(args.files)
    now = parse_at(args.at)
    with transaction(engine) as session:
        task = session.get(Task, args.task_id)
        if task is None:
            raise CliError(f"没有任务 #{args.task_id}")
        by = resolve_person(session, args.by, task.school_id) if args.by else None
        task = complete_task(session, task_id=args.task_id, values=values, now=now, book=book, by=by, files=files)
        attached = sum(len(v) for v in files.values())
        print(f"任务 #{task.id}「{task.title}」已完成（{now:%Y-%m-%d %H:%M}）"
              + (f"，附件 {attached} 个" if attached else ""))
        origin = session.get(Cycle, task.origin_cycle_id)
        template = book.template(origin.pack, origin.month, task.step_key, task.template,
                                 version=origin.pack_version) if origin else None
        if template is not None and template.action == "ledger_review":  # the month's count, not typed
            review = session.exec(select(LedgerReview).where(LedgerReview.cycle_id == task.origin_cycle_id,
                                                             LedgerReview.ledger == template.ledger)).one()
            print(f"{review.ledger}台账本月新增 {review.added}、更新 {review.updated}（系统按台账记录统计）")
    return 0


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
