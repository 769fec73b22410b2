"""`xinyu agenda` and `xinyu meeting set`: the leadership group's monthly meeting (QD-S1b) from the command line.

`agenda` prints the month's agenda (overdue and carried work grouped by task, classes named), the meeting's time,
place, host, recorder and attendees, and the minutes once recorded. `meeting set` is the leader setting the
meeting as the web page does (xinyu.meetings.held.set_meeting): one transaction, nothing written on a refusal.
"""

import argparse
import json

from sqlmodel import Session, col, select

from models import Cycle, Meeting, School
from xinyu.access import load_viewer
from xinyu.cli.common import CliError, Command, engine_and_book, resolve_person
from xinyu.clock import as_local, local_date, parse_at
from xinyu.cycle.schedule import month_of, month_parts
from xinyu.db import transaction
from xinyu.meetings.held import HeldError, MeetingSetup, attendees, school_staff, set_meeting


def register(command: Command) -> None:
    p = command("agenda", cmd_agenda, "显示领导小组会议议程（逾期与结转事项按任务归并，写明班级）")
    p.add_argument("--school", required=True)
    p.add_argument("--month")
    meeting = command("meeting", cmd_meeting, "领导小组专题会议：安排时间、地点、参会人员（set）")
    sub = meeting.add_subparsers(metavar="操作", required=True)
    s = sub.add_parser("set", help="组长安排会议：时间、地点、主持人、记录人、参会人员",
                       description="组长安排会议：时间、地点、主持人、记录人、参会人员（缺省为领导小组全体和专职心理教师）")
    s.add_argument("--school", required=True)
    s.add_argument("--month", help="YYYY-MM；默认为 --at 所在月")
    s.add_argument("--at-time", required=True, help="会议时间（ISO 8601；无时区按北京时间），如 2026-10-16T15:00")
    s.add_argument("--place", required=True, help="会议地点")
    s.add_argument("--host", help="主持人姓名（默认为组长）")
    s.add_argument("--recorder", help="记录人姓名")
    s.add_argument("--attendee", action="append", default=None, help="参会人员姓名（可重复；缺省为默认名单）")
    s.add_argument("--by", required=True, help="组长姓名")
    s.add_argument("--at", help="操作时间（ISO 8601）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_meeting_set)


def cmd_meeting(args: argparse.Namespace) -> int:  # argparse requires an operation; never reached
    raise CliError("请指定操作：set")


def _cycle(session: Session, school_name: str, month: str) -> Cycle:
    school = session.exec(select(School).where(School.name == school_name)).first()
    if school is None:
        raise CliError(f"没有学校“{school_name}”")
    cycle = session.exec(select(Cycle).where(Cycle.school_id == school.id, Cycle.month == month)).first()
    if cycle is None:
        raise CliError(f"{school_name} 没有 {month} 的月度周期")
    return cycle


def cmd_meeting_set(args: argparse.Namespace) -> int:
    engine, _ = engine_and_book()
    now = parse_at(args.at)
    month = args.month or month_of(local_date(now))
    month_parts(month)
    with transaction(engine) as session:
        cycle = _cycle(session, args.school, month)
        viewer = load_viewer(session, resolve_person(session, args.by, cycle.school_id))
        if viewer is None or not viewer.leads(cycle.school_id):
            raise CliError(f"{args.by} 不是本校组长：只有组长可以安排会议")
        school_id = cycle.school_id
        people = [resolve_person(session, n, school_id) for n in args.attendee] if args.attendee else None
        setup = MeetingSetup(starts_at=parse_at(args.at_time), place=args.place,
                             host_id=resolve_person(session, args.host, school_id) if args.host else None,
                             recorder_id=resolve_person(session, args.recorder, school_id) if args.recorder else None,
                             attendee_ids=people)
        try:
            meeting = set_meeting(session, viewer, cycle=cycle, setup=setup, now=now)
        except HeldError as exc:
            raise CliError(str(exc)) from exc
        staff = school_staff(session, cycle.school_id)
        names = {s.person_id: s.name for s in staff}
        invited = [a.name for a in attendees(session, meeting, staff)]
        out = {"school": args.school, "month": month, "meeting_id": meeting.id,
               "starts_at": as_local(meeting.starts_at).isoformat() if meeting.starts_at else None,
               "place": meeting.place, "host": names.get(meeting.host_id or 0),
               "recorder": names.get(meeting.recorder_id or 0), "attendees": invited}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{args.school} {month} 领导小组专题会议：{out['starts_at'][:16].replace('T', ' ')}，{out['place']}；"
              f"主持人 {out['host'] or '—'}，记录人 {out['recorder'] or '—'}；"
              f"参会 {len(invited)} 人：{'、'.join(invited)}")
    return 0


def cmd_agenda(args: argparse.Namespace) -> int:
    engine, _ = engine_and_book()
    month = args.month or month_of(local_date(parse_at(None)))
    month_parts(month)
    with Session(engine) as session:
        meeting = session.exec(
            select(Meeting).join(Cycle, col(Cycle.id) == col(Meeting.cycle_id))
            .join(School, col(School.id) == col(Cycle.school_id))
            .where(School.name == args.school, Cycle.month == month)
        ).first()
        if meeting is None or not meeting.agenda:
            raise CliError(f"{args.school} {month} 的会议步骤尚未开启")
        print(meeting.agenda)
        cycle = session.get(Cycle, meeting.cycle_id)
        assert cycle is not None
        staff = school_staff(session, cycle.school_id)
        names = {s.person_id: s.name for s in staff}
        if meeting.starts_at or meeting.place:
            when = as_local(meeting.starts_at).strftime("%Y-%m-%d %H:%M") if meeting.starts_at else "未定"
            print(f"## 会议安排\n时间：{when}　地点：{meeting.place or '未定'}　"
                  f"主持人：{names.get(meeting.host_id or 0, '—')}　记录人：{names.get(meeting.recorder_id or 0, '—')}")
        invited = attendees(session, meeting, staff)
        print("参会人员：" + "、".join(a.name + {True: "（到）", False: "（缺）"}.get(a.attended, "")  # type: ignore[arg-type]
                                        for a in invited))
        if meeting.minutes:
            print(f"## 会议纪要（{meeting.held_on}）\n{meeting.minutes}")
    return 0
