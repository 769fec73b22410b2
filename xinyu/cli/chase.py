"""The chase's commands: the ladder's log, acknowledging, extensions, due-date reasons, the district
inbox. Registered by xinyu.cli on the same parser (the crisis case: xinyu.cli.crisis)."""

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from models import ChaseEvent, Person, RoleAssignment, School, Task
from xinyu.cli.common import Command
from xinyu.clock import as_local, local_date, parse_at
from xinyu.db import transaction
from xinyu.roles import Role

if TYPE_CHECKING:
    from xinyu.cycle.packbook import PackBook

LEVEL_LABELS = {"reminder": "提醒", "school": "升级至学校", "district": "报区县", "nudge": "组长催办"}


class ChaseCliError(ValueError):
    """Shown as one line; exit code 1."""


def register(command: Command) -> None:
    p = command("reminders", cmd_reminders, "催办记录：每项提醒与升级的触发日期")
    p.add_argument("--school")
    p.add_argument("--task", type=int)
    p.add_argument("--since", help="YYYY-MM-DD")
    p = command("ack", cmd_ack, "确认收到提醒（不再重复提醒，逾期升级照常）")
    p.add_argument("task_id", type=int)
    p.add_argument("--by", help="姓名（默认为任务负责人）")
    p.add_argument("--at")
    p = command("extend", cmd_extend, "申请延期（说明理由，由组长审批）")
    p.add_argument("task_id", type=int)
    p.add_argument("--days", type=int, required=True, help="延期的工作日数")
    p.add_argument("--reason", required=True)
    p.add_argument("--by")
    p.add_argument("--at")
    p = command("extension", cmd_extension, "组长审批延期申请")
    p.add_argument("extension_id", type=int)
    verdict = p.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true")
    verdict.add_argument("--refuse", action="store_true")
    p.add_argument("--by", required=True, help="组长姓名")
    p.add_argument("--note", default="")
    p.add_argument("--at")
    p = command("due", cmd_due, "说明任务截止日期的由来（基准日期、工作日、节假日、延期）")
    p.add_argument("task_id", type=int)
    p = command("inbox", cmd_inbox, "区县督办箱：列出、签收（ack ID [ID ...]）、下发督办通知（notice ID [ID ...]）")
    p.add_argument("action", nargs="?", choices=("list", "ack", "notice"), default="list")
    p.add_argument("escalation_ids", nargs="*", type=int, metavar="ID",
                   help="事项编号，可写多个：督办时每校只下发一份通知")
    p.add_argument("--district")
    p.add_argument("--status", choices=("new", "acknowledged", "resolved"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--by", help="区县负责人姓名（签收、督办时必填）")
    p.add_argument("--days", type=int, default=5, help="督办整改期限（工作日）")
    p.add_argument("--text", help="督办要求")
    p.add_argument("--at")


def _engine_and_book():  # type: ignore[no-untyped-def]
    from xinyu.cli.common import engine_and_book

    return engine_and_book()


def _staff(session: Session, name: str | None, school_id: int) -> int | None:
    from xinyu.cli.common import resolve_person

    return resolve_person(session, name, school_id) if name else None


def _officer(session: Session, name: str, district_id: int) -> int:
    ids = set(session.exec(select(Person.id).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                           .where(Person.name == name, RoleAssignment.role == Role.district_officer,
                                  RoleAssignment.district_id == district_id)))
    if len(ids) != 1:
        raise ChaseCliError(f"本区县{'没有' if not ids else '有多位'}名为 {name} 的负责人")
    (person_id,) = ids
    assert person_id is not None
    return person_id


def _task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise ChaseCliError(f"没有任务 #{task_id}")
    return task


def _task_actor(session: Session, task_id: int, name: str | None) -> int:
    """The person named with --by, else the task's assignee."""
    task = _task(session, task_id)
    by = _staff(session, name, task.school_id) or task.assignee_id
    if by is None:
        raise ChaseCliError("任务未指派，请用 --by 指明是谁")
    return by


def cmd_reminders(args: argparse.Namespace) -> int:
    from xinyu.textwidth import table

    engine, _ = _engine_and_book()
    query = (select(ChaseEvent, Task.title, School.name)  # type: ignore[call-overload]
             .join(Task, col(Task.id) == col(ChaseEvent.task_id))
             .join(School, col(School.id) == col(ChaseEvent.school_id))
             .order_by(col(ChaseEvent.fired_at), col(ChaseEvent.id)))
    if args.school:
        query = query.where(School.name == args.school)
    if args.task:
        query = query.where((col(ChaseEvent.task_id) == args.task) | (col(ChaseEvent.lineage_id) == args.task))
    with Session(engine) as session:
        rows = [[as_local(e.fired_at).strftime("%m-%d %H:%M") if e.fired_at else "", school, f"#{e.task_id} {title}",
                 _rung_label(e.rung), LEVEL_LABELS.get(e.level, e.level), _offset_text(e.offset)]
                for e, title, school in session.exec(query)
                if not args.since or (e.fired_at and as_local(e.fired_at).date().isoformat() >= args.since)]
    print(table(["触发时间", "学校", "任务", "梯级", "级别", "相对截止"], rows))
    print(f"共 {len(rows)} 次")
    return 0


def _rung_label(key: str) -> str:
    labels = {"before_due": "截止前提醒", "due_day": "截止当日提醒", "overdue": "逾期每日催办",
              "school": "升级至组长", "district": "报区县督办", "nudge": "组长催办"}
    if key.startswith("relay_"):
        return "逐级报告：" + Role(key.split("_", 2)[2]).label
    return labels.get(key, key)


def _offset_text(offset: int) -> str:
    return f"截止前{-offset}个工作日" if offset < 0 else "截止当日" if offset == 0 else f"逾期{offset}个工作日"


def cmd_ack(args: argparse.Namespace) -> int:
    from xinyu.chase.extensions import acknowledge_task

    engine, _ = _engine_and_book()
    with transaction(engine) as session:
        by = _task_actor(session, args.task_id, args.by)
        acknowledge_task(session, task_id=args.task_id, by=by, now=parse_at(args.at))
    print(f"任务 #{args.task_id} 已确认收到：不再重复提醒，逾期升级照常")
    return 0


def cmd_extend(args: argparse.Namespace) -> int:
    from xinyu.chase.extensions import request_extension

    engine, book = _engine_and_book()
    with transaction(engine) as session:
        ext = request_extension(session, task_id=args.task_id, by=_task_actor(session, args.task_id, args.by),
                                workdays=args.days, reason=args.reason, now=parse_at(args.at), book=book)
    print(f"延期申请 #{ext.id} 已提交：{ext.previous_due} → {ext.new_due}，待组长审批")
    return 0


def cmd_extension(args: argparse.Namespace) -> int:
    from models import Extension
    from xinyu.chase.extensions import decide_extension

    engine, book = _engine_and_book()
    with transaction(engine) as session:
        ext = session.get(Extension, args.extension_id)
        if ext is None:
            raise ChaseCliError(f"没有延期申请 #{args.extension_id}")
        by = _staff(session, args.by, _task(session, ext.task_id).school_id)
        assert by is not None
        ext = decide_extension(session, extension_id=args.extension_id, by=by, approve=args.approve, book=book,
                               note=args.note, now=parse_at(args.at))
    print(f"延期申请 #{ext.id} {'已批准，新截止日期 ' + ext.new_due.isoformat() if args.approve else '未批准'}")
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    from xinyu.chase.explain import explain_due

    engine, book = _engine_and_book()
    with Session(engine) as session:
        print("\n".join(explain_due(session, task_id=args.task_id, book=book)))
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    from xinyu.chase.inbox import acknowledge, issue_notice, list_escalations

    engine, book = _engine_and_book()
    now = parse_at(args.at)
    if args.action == "list":
        with Session(engine) as session:
            rows = list_escalations(session, today=local_date(now), book=book, district=args.district,
                                    status=args.status)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        from xinyu.textwidth import table

        labels = {"new": "待处理", "acknowledged": "已签收", "resolved": "已办结"}
        print(table(["编号", "学校", "步骤", "事项", "逾期", "上报", "状态"], [
            [str(r["id"]), r["school"], r["step_label"], r["summary"], f"{r['days_overdue']}个工作日",
             (r["raised_at"] or "")[5:16].replace("T", " "), labels[r["status"]]] for r in rows]))
        print(f"共 {len(rows)} 项")
        return 0
    ids = list(dict.fromkeys(args.escalation_ids))
    if not ids or not args.by:
        raise ChaseCliError(f"inbox {args.action} 需要编号和 --by 区县负责人姓名")
    with transaction(engine) as session:
        from models import Escalation

        first = session.get(Escalation, ids[0])
        if first is None:
            raise ChaseCliError(f"督办箱中没有第 {ids[0]} 项")
        by = _officer(session, args.by, first.district_id)
        if len(ids) > 1:
            _inbox_many(session, args, ids, by, now, book)
        elif args.action == "ack":
            acknowledge(session, escalation_id=ids[0], by=by, now=now)
            print(f"第 {ids[0]} 项已签收")
        else:
            task = issue_notice(session, escalation_id=ids[0], by=by, workdays=args.days,
                                text=args.text or "", now=now, book=book)
            print(f"已下发督办通知：学校整改任务 #{task.id}，截止 {task.due}")
    return 0


SKIPPED = {"acknowledged": "已签收", "resolved": "已办结", "noticed": "已下发过督办通知"}


def _inbox_many(session: Session, args: argparse.Namespace, ids: list[int], by: int, now: datetime,
                book: "PackBook") -> None:
    """Several items in the one transaction: 签收 each, or one notice per school."""
    from xinyu.chase.inbox_bulk import acknowledge_many, notice_many

    if args.action == "ack":
        result = acknowledge_many(session, ids, by=by, now=now)
        print(f"已签收 {len(result.done)} 项" + (f"：{'、'.join(map(str, result.done))}" if result.done else ""))
    else:
        result = notice_many(session, ids, by=by, workdays=args.days, text=args.text or "", now=now, book=book)
        for school_id, task_id in result.notices.items():
            school, task = session.get(School, school_id), session.get(Task, task_id)
            assert school is not None and task is not None
            print(f"{school.name}：已下发督办通知，学校整改任务 #{task_id}，截止 {task.due}")
        print(f"共督办 {len(result.done)} 项，下发 {len(result.notices)} 份通知")
    for item_id, why in result.skipped.items():
        print(f"第 {item_id} 项{SKIPPED.get(why, why)}，未改动")


__all__ = ["ChaseCliError", "register"]
