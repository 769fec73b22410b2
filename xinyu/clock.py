"""Time is a parameter: every decision takes `now` from here, never from the wall clock directly."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(SHANGHAI)


def parse_at(text: str | None) -> datetime:
    """ISO 8601 time for `--at`; a date or a time without offset is Asia/Shanghai."""
    if not text:
        return now()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"无法识别的时间 {text!r}：请用 ISO 8601，例如 2026-10-09T09:00") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed.astimezone(SHANGHAI)


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def as_local(moment: datetime) -> datetime:
    """Databases may hand back naive UTC (SQLite) or aware times; normalise to Shanghai."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(SHANGHAI)
