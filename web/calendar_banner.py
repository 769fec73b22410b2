"""The district pages' banner while next year's holiday schedule is missing (from 1 November)."""

from fastapi import Request

from web.context import web_context
from xinyu.calendar_coverage import WARN_FROM_MONTH
from xinyu.calendar_warning import calendar_warning
from xinyu.statutory import PAGE_MAX_AGE, sync_calendar


def calendar_banner(request: Request) -> str | None:
    """The warning text, or None; the imported schedules are reloaded only if the table changed."""
    ctx = web_context(request)
    if ctx.today().month < WARN_FROM_MONTH:
        return None  # no database look before November
    sync_calendar(ctx.engine, PAGE_MAX_AGE)
    return calendar_warning(ctx.now())
