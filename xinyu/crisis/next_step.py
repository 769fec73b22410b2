"""What an open crisis case needs next, in the order the policies ask it (the case page and the agenda)."""

from datetime import date

from models import CrisisCase
from xinyu.clock import local_date
from xinyu.packs import CrisisRule


def next_required_action(case: CrisisCase, rule: CrisisRule | None) -> str:
    if case.closed_at is not None:
        return "已结案"
    if rule is not None and case.level in rule.fast_path_levels and case.parents_informed_at is None:
        return "记录家长通报（GZ-5.2 第一时间通报家长）"
    if rule is not None and case.level in rule.referral_levels and not case.referral_hospital:
        return f"转介至医院（{rule.referral_clause}）"
    if case.referral_hospital and case.certificate_on is None:
        return "跟踪就医；复学须医院出具证明（GZ-6.2）后结案"
    return "评估后结案（JN-4 一案一清）"


def days_open(case: CrisisCase, today: date) -> int:
    return (today - local_date(case.opened_at)).days if case.opened_at else 0


def agenda_line(case: CrisisCase, rule: CrisisRule | None, today: date) -> str:
    """The meeting agenda's line for an open case: number, level, days open, next action; never a name."""
    days = days_open(case, today)
    return f"个案 C-{case.id}（{case.level}，已 {days} 天）：下一步 {next_required_action(case, rule)}"
