"""JN-5 24小时心理关爱热线: a pack's hotline (crisis.hotline) printed on every crisis notice and crisis page.

The number is the district's public line, not a detail of the case: it may go into SMS and email.
"""

from xinyu.packs import CrisisRule, Pack


def hotline_lines(rule: CrisisRule | None) -> list[str]:
    """The line a crisis email adds; none when the pack has no hotline."""
    if rule is None or not rule.hotline:
        return []
    return [f"24小时心理关爱热线：{rule.hotline}（{rule.hotline_clause}）"]


def crisis_sms(rule: CrisisRule | None, params: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The crisis SMS template and its variables: the hotline variant when the pack has one."""
    if rule is None or not rule.hotline:
        return "crisis_alert", params
    return "crisis_alert_hotline", {**params, "hotline": rule.hotline}


def school_hotline(pack: Pack) -> str:
    """The hotline line a crisis page of a school on this pack shows; empty when none."""
    lines = hotline_lines(pack.crisis)
    return lines[0] if lines else ""
