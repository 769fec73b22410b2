"""What `xinyu demo` prints about the district it leaves behind: read from the database, never from memory,
so that every claim is what the web app and the command line will show. Counts only where they leave the
school (reports, the inbox); no student's name anywhere."""

from collections import Counter
from datetime import date

from sqlmodel import Session, col, select

from models import Cycle, Meeting, MonthlyReport, School, Task
from xinyu.chase.inbox import list_escalations
from xinyu.clock import as_local
from xinyu.cycle import PackBook
from xinyu.cycle.states import TaskStatus
from xinyu.demo.days import DayCounts


def day_line(day: date, counts: DayCounts) -> str:
    parts = [f"完成任务 {counts.completed:3d} 项（逾期完成 {counts.late:2d}）", f"课程记录 {counts.lessons:3d} 条",
             f"开启步骤 {counts.steps_opened:2d}", f"新任务 {counts.tasks_created:3d}",
             f"催办 提醒 {counts.reminders:2d} 升级组长 {counts.school_escalations:2d} "
             f"报区县 {counts.district_escalations:2d}"]
    if counts.acknowledged or counts.notices:
        parts.append(f"区县签收 {counts.acknowledged} 督办 {counts.notices}")
    if counts.meetings:
        parts.append(f"组长安排会议 {counts.meetings} 场")
    return f"  {day:%m-%d} " + " · ".join(parts)


def month_line(month: str, counts: DayCounts) -> str:
    return (f"  {month} 合计：完成任务 {counts.completed} 项（逾期完成 {counts.late}），课程记录 {counts.lessons} 条，"
            f"组长安排会议 {counts.meetings} 场；催办提醒 {counts.reminders} 次，"
            f"升级组长 {counts.school_escalations} 次，"
            f"报区县 {counts.district_escalations} 次；区县签收 {counts.acknowledged} 项、督办 {counts.notices} 项；"
            f"发出消息 {counts.sent} 条")


def reports_summary(session: Session, month: str) -> tuple[int, int, str | None]:
    """(schools that filed `month`'s report, schools with a cycle that month, one report's text)."""
    reports = list(session.exec(select(MonthlyReport).where(MonthlyReport.month == month)
                                .order_by(col(MonthlyReport.id))))
    cycles = len(list(session.exec(select(Cycle.id).where(Cycle.month == month))))
    return len(reports), cycles, reports[0].body.rstrip() if reports else None


def overdue_summary(session: Session, *, today: date, book: PackBook) -> list[str]:
    """Open tasks past their due date today: how many, how late (working days), the month they come from."""
    rows = session.exec(select(Task, Cycle).join(Cycle, col(Cycle.id) == col(Task.origin_cycle_id))
                        .where(col(Task.status) == TaskStatus.open)).all()
    lateness: Counter[int] = Counter()
    months: Counter[str] = Counter()
    for task, origin in rows:
        work = book.calendar(origin.pack, origin.pack_version)
        if work.is_overdue(task.due, today):
            lateness[work.workdays_between(task.due, today)] += 1
            months[origin.month] += 1
    total = sum(lateness.values())
    if not total:
        return ["  今天没有逾期未完成的任务"]
    spread = "、".join(f"{days} 个工作日 {n} 项" for days, n in sorted(lateness.items()))
    sources = "、".join(f"{m} 的 {n} 项" for m, n in sorted(months.items()))
    return [f"  未完成任务 {len(rows)} 项，其中逾期 {total} 项（来自 {sources}）",
            f"  已逾期：{spread}"]


def inbox_summary(session: Session, *, today: date, book: PackBook, limit: int = 6) -> list[str]:
    items = list_escalations(session, today=today, book=book)
    waiting = [i for i in items if i["status"] != "resolved"]
    by_status = Counter(i["status"] for i in waiting)
    labels = {"new": "待签收", "acknowledged": "已签收", "noticed": "已督办"}
    lines = [f"  共 {len(items)} 项逾期升级，已随任务完成办结 {len(items) - len(waiting)} 项，待处理 {len(waiting)} 项"
             + (f"（{'、'.join(f'{labels.get(s, s)} {n}' for s, n in sorted(by_status.items()))}）" if waiting else "")]
    for item in waiting[:limit]:
        lines.append(f"    {item['school']}｜{item['step_label']}｜{item['summary']}｜截止 {item['due']}，"
                     f"逾期 {item['days_overdue']} 个工作日｜{labels.get(item['status'], item['status'])}")
    if len(waiting) > limit:
        lines.append(f"    …… 另有 {len(waiting) - limit} 项")
    return lines


def meeting_summary(session: Session, month: str) -> list[str]:
    """The month's meetings as the leaders set them (time, place), or none yet."""
    rows = session.exec(select(Meeting, School.name).join(Cycle, col(Cycle.id) == col(Meeting.cycle_id))
                        .join(School, col(School.id) == col(Cycle.school_id))
                        .where(Cycle.month == month).order_by(col(School.name))).all()
    lines = []
    for meeting, school in rows:
        when = f"{as_local(meeting.starts_at):%m-%d %H:%M}" if meeting.starts_at else "时间待定"
        held = "，纪要已录入" if meeting.minutes else ""
        lines.append(f"    {school}：{when}，{meeting.place or '地点待定'}{held}")
    return lines


def first_agenda(session: Session, month: str) -> tuple[str, str] | None:
    found = session.exec(select(Meeting, School.name).join(Cycle, col(Cycle.id) == col(Meeting.cycle_id))
                         .join(School, col(School.id) == col(Cycle.school_id))
                         .where(Cycle.month == month, Meeting.agenda != "").order_by(col(Meeting.id))).first()
    return (found[1], found[0].agenda.rstrip()) if found else None


__all__ = ["day_line", "first_agenda", "inbox_summary", "meeting_summary", "month_line", "overdue_summary",
           "reports_summary"]
