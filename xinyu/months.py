"""Months as the loop counts them: 'YYYY-MM' strings."""

import re
from datetime import date, timedelta

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def month_parts(month: str) -> tuple[int, int]:
    # ASCII digits only: int() would also take " 1", "+1" or full-width digits, and Cycle.month is
    # compared as text (carry-over picks the older months with `<`), so only the canonical form may pass.
    match = _MONTH.fullmatch(month)
    if not match:
        raise ValueError(f"月份应为 YYYY-MM，实为 {month!r}")
    return int(match[1]), int(match[2])


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    year, number = month_parts(month)
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def month_range(month: str) -> tuple[date, date]:
    """First and last day of the month."""
    year, number = month_parts(month)
    first = date(year, number, 1)
    return first, date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)
