"""How a task's due date was worked out: base date, working days counted, holidays skipped, extensions."""

from datetime import date, timedelta

from sqlmodel import Session, col, select

from models import Cycle, Extension, Person, Step, Task
from xinyu.clock import as_local
from xinyu.cycle.packbook import PackBook
from xinyu.packs import ExtraTask
from xinyu.workdays import WorkCalendar

WEEKDAYS = "一二三四五六日"
KIND_RULES = {
    "rectification": "“1+1”核查发现未达标后，按政策包规定的工作日数整改",
    "decision": "领导小组专题会议决定的期限",
    "notice": "区县督办通知规定的整改期限（QD-S2）",
    "inspection": "专项巡查发现问题后，区县规定的整改期限（QD-S2），自下发当日起按工作日计算",
    "crisis": "危机个案登记当日须记录家长通报情况（GZ-5.2 第一时间通报家长）",
    "missed": "上月未开启步骤的原日历截止日期",
}


def explain_due(session: Session, *, task_id: int, book: PackBook) -> list[str]:
    task = session.get(Task, task_id)
    if task is None:
        raise ValueError(f"没有任务 #{task_id}")
    origin = session.get(Cycle, task.origin_cycle_id)
    assert origin is not None
    work = book.calendar(origin.pack, origin.pack_version)
    extensions = list(session.exec(select(Extension).where(Extension.task_id == task.id,
                                                           Extension.status == "approved")
                                   .order_by(col(Extension.decided_at))))
    base = extensions[0].previous_due if extensions else task.due
    lines = [f"任务 #{task.id}「{task.title}」"]
    start = _rule_lines(session, book, task, origin, base, lines)
    if task.carried_over:
        lines.append("上月未完成，结转到本月，保留原截止日期（QD-G4）")
    lines.append(_skipped(work, start, base))
    for ext in extensions:
        approver = session.get(Person, ext.decided_by_id) if ext.decided_by_id else None
        decided = as_local(ext.decided_at).date() if ext.decided_at else ""
        lines.append(f"延期 {ext.workdays} 个工作日：自原截止日期 {ext.previous_due} 起算至 {ext.new_due}"
                     f"（理由：{ext.reason}；{approver.name if approver else ''} {decided} 批准）")
        if ext.new_due != work.add_workdays(ext.previous_due, ext.workdays):
            lines.append(f"  （该延期按旧规则自审批当日起算；现行规则自原截止日期起算为 "
                         f"{work.add_workdays(ext.previous_due, ext.workdays)}）")
        lines.append("  " + _skipped(work, ext.previous_due, ext.new_due))
    lines.append(f"当前截止：{task.due}（星期{WEEKDAYS[task.due.weekday()]}{estimated_note(work, start, task.due)}）；"
                 f"自 {work.next_workday_after(task.due)} 起算逾期")
    return lines


def estimated_note(work: WorkCalendar, start: date, due: date) -> str:
    """"，推定…" when the counting touched a year whose schedule is not published (imported) yet."""
    if not work.crosses_estimated(start, work.next_workday_after(due)):
        return ""
    years = sorted({y for y in range(min(start, due).year, work.next_workday_after(due).year + 1)
                    if work.statutory.source(y) == "estimated"})
    shown = "、".join(str(y) for y in years)
    return f"；推定：{shown} 年的国务院节假日安排尚未导入，按法定节日推定"


def _rule_lines(session: Session, book: PackBook, task: Task, origin: Cycle, base: date, lines: list[str]) -> date:
    """The rule that gave the base date; returns the day before counting started."""
    month_start = date.fromisoformat(f"{origin.month}-01") - timedelta(days=1)
    if task.kind != "step":
        lines.append(f"依据：{KIND_RULES.get(task.kind, task.kind)}：{base}")
        return as_local(task.created_at).date() if task.created_at else month_start
    pack = book.pack(origin.pack, origin.pack_version)
    number = int(origin.month[5:])
    template = book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)
    if isinstance(template, ExtraTask) and template.window is not None:
        first, _ = template.window.part_in(int(origin.month[:4]), number)
        lines.append(f"依据：{template.clause} 规定的时段 {template.window.start} 至 {template.window.end}，"
                     f"本月部分自 {first} 开启，于本月内的最后一天截止：{base}")
        return first - timedelta(days=1)
    if isinstance(template, ExtraTask) and template.due_day:
        lines.append(f"依据：{template.clause} 规定每年{number}月{template.due_day}日前完成：{base}")
        return month_start
    rule = pack.step(number, task.step_key)
    step = session.exec(select(Step).where(Step.cycle_id == origin.id, Step.key == task.step_key)).one()
    nth = f"第{rule.due}个工作日" if rule.due > 0 else f"倒数第{-rule.due}个工作日"
    lines.append(f"依据：{rule.clause}「{rule.label}」按日历于{number}月{nth}截止：{step.calendar_due}")
    if step.opened_at:
        opened = as_local(step.opened_at).date()
        floor = book.calendar(origin.pack, origin.pack_version).add_workdays(opened, rule.min_workdays_after_open)
        lines.append(f"步骤于 {opened} 开启，至少留 {rule.min_workdays_after_open} 个工作日：{floor}")
        lines.append(f"取两者中较晚的日期：{step.due}")
        if template.after and step.due and base > step.due:
            created = as_local(task.created_at).date() if task.created_at else opened
            lines.append(f"本任务在前一阶段完成后于 {created} 生成，"
                         f"同样至少留 {rule.min_workdays_after_open} 个工作日：{base}")
            return created
        return month_start if step.calendar_due >= floor else opened
    return month_start


def _skipped(work: WorkCalendar, start: date, end: date) -> str:
    """Non-working days between the start of counting and the due date, each named (a holiday by its name,
    a pack's pinned day as such, an ordinary weekend as 周末); make-up and pinned workdays too."""
    if end <= start:
        if end == start:
            return f"当日截止（{end}），未跨越任何日期"
        return f"截止日期 {end} 早于起算日 {start}（沿用原截止日期），不计跳过的日期"
    holidays: dict[str, list[date]] = {}
    weekends = 0
    makeup = []
    day = start
    while day < end:
        day += timedelta(days=1)
        if not work.is_workday(day):
            name = work.holiday_name(day)
            if name:
                holidays.setdefault(name, []).append(day)
            else:
                weekends += 1
        else:
            reason = work.makeup_name(day)
            if reason:
                makeup.append((day, reason))
    parts = [f"{name} {_spans(days)}（{len(days)}天）" for name, days in holidays.items()]
    if weekends:
        parts.append(f"周末 {weekends} 天")
    text = f"{start + timedelta(days=1)} 至 {end} 跳过：" + ("、".join(parts) if parts else "无")
    if makeup:
        text += "；调休上班：" + "、".join(f"{d:%m-%d}（星期{WEEKDAYS[d.weekday()]}，{why}）" for d, why in makeup)
    return text


def _spans(days: list[date]) -> str:
    """03-01至03-03、03-10: consecutive days as one span."""
    spans: list[list[date]] = []
    for day in days:
        if spans and (day - spans[-1][-1]).days == 1:
            spans[-1].append(day)
        else:
            spans.append([day])
    return "、".join(f"{s[0]:%m-%d}至{s[-1]:%m-%d}" if len(s) > 1 else f"{s[0]:%m-%d}" for s in spans)
