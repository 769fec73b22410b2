"""The simulation's printed lines: one per month as it ends, then the totals and the wall time."""

from xinyu.simulate.run import MonthStats, SimulationResult
from xinyu.textwidth import pad

COLUMNS = [("月份", 7), ("按时率", 16), ("新任务", 8), ("完成", 8), ("逾期完成", 8), ("课程记录", 8),
           ("邮件", 7), ("短信", 7), ("群机器人", 8), ("提醒", 7), ("升级组长", 8), ("报区县", 6),
           ("签收", 5), ("督办", 5), ("办结", 6), ("用时", 7)]


def header() -> str:
    return "  ".join(pad(name, width) for name, width in COLUMNS).rstrip()


def rate_text(stats: MonthStats) -> str:
    rate = stats.on_time
    return "—" if rate.value is None else f"{rate.value * 100:5.1f}% {rate.on_time}/{rate.due}"


def month_line(stats: MonthStats) -> str:
    cells = [stats.month, rate_text(stats), stats.tasks_created, stats.completed, stats.completed_late,
             stats.lessons, stats.sent["email"], stats.sent["sms"], stats.sent["robot"], stats.reminders,
             stats.school_escalations, stats.district_escalations, stats.acknowledged, stats.notices,
             stats.resolved, f"{stats.seconds:.1f}s"]
    return "  ".join(pad(str(cell), width) for cell, (_, width) in zip(cells, COLUMNS, strict=True)).rstrip()


def totals(result: SimulationResult, *, schools: int) -> list[str]:
    total = result.total
    school_months = schools * len(result.months)
    per = result.seconds / school_months * 1000 if school_months else 0.0
    return [
        month_line(total),
        f"按时率（全部月份合计）{rate_text(total)}；消息 {total.messages} 条（邮件 {total.sent['email']}、"
        f"短信 {total.sent['sms']}、群机器人 {total.sent['robot']}；发送失败 {total.failed}）；"
        f"升级 组长 {total.school_escalations} 次、区县 {total.district_escalations} 项，办结 {total.resolved} 项",
        f"用时 {result.seconds:.1f} 秒（{schools} 所学校 × {len(result.months)} 个月，每校每月 {per:.1f} 毫秒）",
    ]
