"""Quiet hours for SMS: a message due inside them waits until they end (email is never held)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def after_quiet_hours(moment: datetime, start: time, end: time) -> datetime:
    """`moment` itself, or the end of the quiet hours it falls in (an overnight window ends next morning)."""
    local = moment.astimezone(SHANGHAI)
    clock = local.time()
    overnight = start > end
    inside = (clock >= start or clock < end) if overnight else (start <= clock < end)
    if not inside:
        return moment
    day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
    return datetime.combine(day, end, tzinfo=SHANGHAI)
