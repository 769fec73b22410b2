"""When a step may open and when it is due, from the pack's working-day rules (QD schedule)."""

import calendar
from datetime import date

from xinyu.months import month_of, month_parts, next_month
from xinyu.packs import ExtraTask, StepRule, TaskTemplate
from xinyu.workdays import WorkCalendar


def step_dates(rule: StepRule, month: str, work: WorkCalendar) -> tuple[date, date]:
    """(earliest opening date, calendar due date) of a step in a month."""
    year, number = month_parts(month)
    return work.nth_workday(year, number, rule.earliest), work.nth_workday(year, number, rule.due)


def due_on_opening(calendar_due: date, opened_on: date, rule: StepRule, work: WorkCalendar) -> date:
    """The later of the calendar due date and the minimum working days after the step opened."""
    return max(calendar_due, work.add_workdays(opened_on, rule.min_workdays_after_open))


def task_due(template: TaskTemplate, step_due: date, month: str) -> date:
    """Most tasks share their step's due date; a dated extra task (e.g. 9月底前测评) has its own.

    A window's task (JL-3 05-25 to 06-25) is due on the window's last day within its month: the May part on
    31 May, the June part on 25 June. Each month's cycle then answers for its own days of the window and
    nothing is due in a month whose cycle has already closed (a May task due in June would outlive its cycle)."""
    if isinstance(template, ExtraTask) and template.window is not None:
        year, number = month_parts(month)
        return template.window.part_in(year, number)[1]
    if isinstance(template, ExtraTask) and template.due_day:
        year, number = month_parts(month)
        return date(year, number, min(template.due_day, calendar.monthrange(year, number)[1]))
    return step_due


def opens_on(template: TaskTemplate, month: str) -> date | None:
    """The first day a window's task may be created in its month (never before the window starts); None: with
    its step (or its `after` phase) as usual."""
    if isinstance(template, ExtraTask) and template.window is not None:
        year, number = month_parts(month)
        return template.window.part_in(year, number)[0]
    return None


__all__ = ["due_on_opening", "month_of", "month_parts", "next_month", "opens_on", "step_dates", "task_due"]
