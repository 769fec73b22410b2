"""`xinyu simulate`: a sample city through months of its monthly loop, the clock jumping day by day.

Each day, at fixed hours (Asia/Shanghai):

  09:00  district officers work their inbox (acknowledge, issue notices)           working days
  12:00  homeroom teachers record the day's "1+1" lessons and activities           working days
  15:00  people complete the tasks their plan says are due today (some late)       working days
  16:00  the orchestrator advances: opens the month on the 1st, moves every cycle, chases overdue work,
         queues the district digests                                                every day
  16:05  the orchestrator dispatches the outbox (to files in the simulation's folder, or an SMTP server)

A month's line is printed when it ends: its on-time rate (xinyu.district_dashboard's definition, as of the
first of the next month), tasks created (all kinds, carried ones included) and completed, lessons, messages
sent by channel, reminders, escalations raised (to the school leader, to the district inbox), inbox items
acknowledged, notices issued, and escalations resolved.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, inspect, table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models import District, Escalation, Task
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.db import transaction
from xinyu.district_dashboard import Rate, on_time_table
from xinyu.months import month_parts, month_range, next_month
from xinyu.simulate.orchestrators import Orchestrator, add_counts
from xinyu.simulate.people import People

LAST_COVERED = date(2026, 12, 31)  # chinesecalendar knows 2025–2026 (xinyu.workdays)
CHANNELS = ("email", "sms", "robot")


class SimulationRefused(ValueError):
    """The simulation will not run here (a database with data in it, months the calendar does not know)."""


@dataclass(frozen=True)
class SimulationPlan:
    months: int
    late_rate: float
    seed: int = 7
    start: str = "2025-09"
    days: int | None = None  # only the first N days of each month (a week for the Prefect UI tour)

    @property
    def month_names(self) -> list[str]:
        names = [self.start]
        while len(names) < self.months:
            names.append(next_month(names[-1]))
        return names

    def check(self) -> None:
        month_parts(self.start)
        if self.months < 1:
            raise SimulationRefused("月数应至少为 1")
        if not 0 <= self.late_rate <= 1:
            raise SimulationRefused("逾期率应在 0 与 1 之间")
        last = month_range(self.month_names[-1])[1]
        if last > LAST_COVERED:
            raise SimulationRefused(f"模拟只能到 {LAST_COVERED}（法定节假日数据只覆盖 2025–2026 年），"
                                    f"而 {self.start} 起 {self.months} 个月到 {last}")


@dataclass
class MonthStats:
    month: str
    on_time: Rate = field(default_factory=Rate)
    tasks_created: int = 0
    completed: int = 0
    completed_late: int = 0
    lessons: int = 0
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    failed: int = 0
    reminders: int = 0
    school_escalations: int = 0
    district_escalations: int = 0
    acknowledged: int = 0
    notices: int = 0
    resolved: int = 0
    seconds: float = 0.0

    @property
    def messages(self) -> int:
        return sum(self.sent.values())

    def add(self, other: "MonthStats") -> None:
        for name, value in vars(other).items():
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, name, getattr(self, name) + value)
        for channel, n in other.sent.items():
            self.sent[channel] = self.sent.get(channel, 0) + n
        self.on_time = self.on_time + other.on_time
        self.seconds += other.seconds


@dataclass
class SimulationResult:
    months: list[MonthStats]
    seconds: float
    cpu_seconds: float = 0.0  # this process's (with the embedded orchestrator, Prefect's in-process API too)

    @property
    def total(self) -> MonthStats:
        total = MonthStats(month="合计")
        for month in self.months:
            total.add(month)
        return total


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def refuse_database_with_data(engine: Engine) -> None:
    """A simulation writes thousands of tasks and messages: never into a database someone uses."""
    tables = set(inspect(engine).get_table_names()) & {"district", "person", "cycle"}
    with Session(engine) as session:
        rows = sum(session.execute(sa_select(func.count()).select_from(table(name))).scalar_one() for name in tables)
    if rows:
        shown = engine.url.render_as_string(hide_password=True)
        raise SimulationRefused(f"数据库 {shown} 中已有数据：模拟只在新的空数据库中运行"
                                f"（请另选 --dir 或 --database-url；确需在此库上运行请加 --allow-existing-data）")


def simulate(
    engine: Engine, *, plan: SimulationPlan, orchestrator: Orchestrator, book: PackBook,
    out: Callable[[MonthStats], None] = lambda _: None,
) -> SimulationResult:
    """Run the plan's months on the city already in `engine`; `out` gets each month's line as it ends."""
    plan.check()
    people = People(book=book, seed=plan.seed, late_rate=plan.late_rate)
    started, cpu_started = time.perf_counter(), time.process_time()
    months = []
    for month in plan.month_names:
        month_started = time.perf_counter()
        stats = MonthStats(month=month)
        first, last = month_range(month)
        day = first
        if plan.days is not None:
            last = min(last, first + timedelta(days=plan.days - 1))
        while day <= last:
            _day(day, engine=engine, book=book, people=people, orchestrator=orchestrator, stats=stats)
            day += timedelta(days=1)
        _month_end(engine, stats, first, last)
        stats.seconds = time.perf_counter() - month_started
        months.append(stats)
        out(stats)
    return SimulationResult(months=months, seconds=time.perf_counter() - started,
                            cpu_seconds=time.process_time() - cpu_started)


def _day(day: date, *, engine: Engine, book: PackBook, people: People, orchestrator: Orchestrator,
         stats: MonthStats) -> None:
    if people.work_calendar.is_workday(day):
        with transaction(engine) as session:
            inbox = people.inbox(session, at(day, 9))
        stats.acknowledged += inbox.acknowledged
        stats.notices += inbox.notices
        with transaction(engine) as session:
            stats.lessons += people.lessons(session, day)
        with transaction(engine) as session:
            work = people.work(session, at(day, 15))
        stats.completed += work.completed
        stats.completed_late += work.late
    moved = orchestrator.advance(at(day, 16))
    stats.reminders += moved.get("chase.reminders", 0)
    stats.school_escalations += moved.get("chase.school_escalations", 0)
    stats.district_escalations += moved.get("chase.district_escalations", 0)
    sent = orchestrator.dispatch(at(day, 16, 5))
    for channel in CHANNELS:
        stats.sent[channel] += sent.get(f"{channel}.sent", 0)
    stats.failed += sent.get("failed", 0)


def _month_end(engine: Engine, stats: MonthStats, first: date, last: date) -> None:
    following = last + timedelta(days=1)
    with Session(engine) as session:
        districts = frozenset(i for i in session.execute(sa_select(col(District.id))).scalars())
        table = on_time_table(session, district_ids=districts, year=first.year, today=following)
        stats.on_time = table.district(stats.month)
        stats.tasks_created = session.execute(sa_select(func.count()).select_from(Task).where(
            col(Task.created_at) >= at(first, 0), col(Task.created_at) < at(following, 0))).scalar_one()
        stats.resolved = session.execute(sa_select(func.count()).select_from(Escalation).where(
            col(Escalation.resolved_at) >= at(first, 0), col(Escalation.resolved_at) < at(following, 0))).scalar_one()


__all__ = ["MonthStats", "SimulationPlan", "SimulationRefused", "SimulationResult", "add_counts",
           "refuse_database_with_data", "simulate"]
