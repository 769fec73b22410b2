"""Setting a simulation up: its own folder, its own empty database, messages that reach nobody.

By default everything lives in one folder: the SQLite database, the roster files imported, and the
outbox the bulk sink writes (emails in one mbox file, SMS and group-robot posts in one JSON Lines file each:
notifications/channels/bulk.py). A PostgreSQL URL may be given
instead (it must be empty); email may go to an SMTP server given by URL (a local sink); SMS and robots
always go to files, whatever XINYU_* says.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from xinyu.cycle import PackBook
from xinyu.db import make_engine, migrate
from xinyu.months import month_range
from xinyu.settings import Settings, get_settings
from xinyu.simulate.city import CityPlan, build_city
from xinyu.simulate.orchestrators import DirectOrchestrator, EmbeddedOrchestrator, Orchestrator, ServerOrchestrator
from xinyu.simulate.report import header, month_line, totals
from xinyu.simulate.run import (
    SimulationPlan,
    SimulationResult,
    at,
    refuse_database_with_data,
    simulate,
)
from xinyu.statutory import sync_calendar

ORCHESTRATORS = ("embedded", "direct", "server")


@dataclass(frozen=True)
class SimulationOptions:
    schools: int
    months: int
    late_rate: float
    seed: int = 7
    classes: int = 30
    start: str = "2025-09"
    folder: Path = Path("xinyu-simulation")
    database_url: str | None = None
    smtp_url: str | None = None
    orchestrator: str = "embedded"
    students: bool = False
    allow_existing_data: bool = False
    batch_size: int | None = None
    days: int | None = None  # only the first N days of each month (SimulationPlan.days)

    @property
    def plan(self) -> SimulationPlan:
        return SimulationPlan(months=self.months, late_rate=self.late_rate, seed=self.seed, start=self.start,
                              days=self.days)

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.folder / 'xinyu.db'}"


def simulation_settings(options: SimulationOptions) -> Settings:
    """The settings the simulation's flows and dispatcher use: its database, its outbox, no real SMS."""
    base = get_settings()
    return Settings(database_url=options.url, packs_dir=base.packs_dir, default_pack=base.default_pack,
                    outbox_dir=options.folder / "outbox", base_url=base.base_url, smtp_url=options.smtp_url,
                    sms_url=None, robot_webhooks=False, outbox_sink="bulk",
                    schools_per_batch=options.batch_size or base.schools_per_batch)


def prepare_database(options: SimulationOptions) -> Engine:
    """The simulation's database, migrated; refused if it already holds data (unless allowed)."""
    options.folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(options.url)
    if not options.allow_existing_data:
        refuse_database_with_data(engine)
    migrate(options.url)
    return engine


def make_orchestrator(name: str, *, engine: Engine, book: PackBook, settings: Settings) -> Orchestrator:
    if name == "direct":
        return DirectOrchestrator(engine, book=book, settings=settings)
    if name == "embedded":
        return EmbeddedOrchestrator(settings)
    if name == "server":
        return ServerOrchestrator(settings)
    raise ValueError(f"未知的编排方式 {name!r}（可选：{'、'.join(ORCHESTRATORS)}）")


def run_simulation(options: SimulationOptions, *, out: Callable[[str], None] = print,
                   orchestrator: Orchestrator | None = None) -> SimulationResult:
    """Build the city, run the months, print as it goes. `orchestrator` overrides `options.orchestrator`."""
    options.plan.check()
    if options.schools < 1 or options.classes < 1:
        raise ValueError("学校数与每校班级数应至少为 1")
    settings = simulation_settings(options)
    engine = prepare_database(options)
    book = PackBook(engine, pin_newest=True)
    sync_calendar(engine)  # a database with imported holiday schedules (--allow-existing-data) uses them
    shown = engine.url.render_as_string(hide_password=True)
    first_day = month_range(options.start)[0]
    city = CityPlan(schools=options.schools, classes=options.classes, seed=options.seed, students=options.students)
    out(f"模拟：{options.schools} 所学校 × {options.classes} 个班，{len(city.districts)} 个区县，"
        f"{options.start} 起 {options.months} 个月，逾期率 {options.late_rate:g}，种子 {options.seed}")
    out(f"数据库 {shown}；消息写入 {settings.outbox_dir}/"
        + (f"（邮件发往 {options.smtp_url}）" if options.smtp_url else "（不发给任何真实的人）"))
    for line in build_city(engine, city, workdir=options.folder / "roster",
                           now=at(first_day - timedelta(days=7), 10)):
        out(f"  {line}")
    runner = orchestrator or make_orchestrator(options.orchestrator, engine=engine, book=book, settings=settings)
    out(header())
    try:
        result = simulate(engine, plan=options.plan, orchestrator=runner, book=book,
                          out=lambda stats: out(month_line(stats)))
    finally:
        close = getattr(runner, "close", None)
        if close is not None:
            close()
        engine.dispose()
    for line in totals(result, schools=options.schools):
        out(line)
    return result

