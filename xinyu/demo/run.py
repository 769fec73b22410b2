"""`xinyu demo`: the sample district runs up to today, so that the web app is meaningful the moment it starts.

From the start of the school term the district runs day by day: the months before today's whole (closed,
their monthly reports filed for the district, their open work carried), then the month in progress up to
now (Beijing time) or up to `--today` 17:00. The month in progress runs on Prefect's in-process API with
the real flows (advance-cycles at 16:00, dispatch-outbox at 16:05); the months before it run the same core
directly, batch by batch, as `xinyu advance --direct` does (a flow run costs about half a second of
Prefect's bookkeeping: a term of them would take minutes). People work on time, a little late or very
late (the chase climbs to the school leader and the district inbox); the officer works the inbox;
leaders set their meeting once its step opens. A year whose State Council holiday schedule is missing is
counted with the product's estimate (推定), and the printout says so.
"""

import shlex
import shutil
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, inspect, make_url, table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models import OutboxMessage
from xinyu.clock import SHANGHAI, local_date
from xinyu.clock import now as wall_clock
from xinyu.cycle import PackBook
from xinyu.db import make_engine, migrate
from xinyu.demo.days import Arrival, DayCounts, DemoDays
from xinyu.demo.district import DEMO_PASSWORD, DISTRICT, demo_accounts, import_demo_files, write_demo_files
from xinyu.demo.plan import DemoPlan, calendar_warnings, demo_plan, moment_of
from xinyu.demo.printout import (
    day_line,
    first_agenda,
    inbox_summary,
    meeting_summary,
    month_line,
    overdue_summary,
    reports_summary,
)
from xinyu.months import month_range
from xinyu.sample import chinese_number
from xinyu.settings import Settings, get_settings
from xinyu.simulate.people import Lateness, People
from xinyu.simulate.session import make_orchestrator
from xinyu.statutory import sync_calendar
from xinyu.workdays import WorkCalendar

# How late people are. The month's steps: a tenth late, mostly by 1–4 working days (one step's late task holds
# the school's next steps up). Follow-up work (meeting decisions, "1+1" rectifications, the district's notices):
# a third late, half of those by 6–25 working days, so the district inbox has work on any day of the month.
STEPS = Lateness(rate=0.1, very_late_share=0.15, very_late_days=(6, 9))
FOLLOWUPS = Lateness(rate=0.5, very_late_share=0.6, very_late_days=(6, 25))
SKIP_RATE = 0.12  # a class misses its "1+1" lesson or activity now and then
RESULTS_DAY = (10, 23)  # the provider's autumn results arrive (screenings 9 Sep – 22 Oct; QD-3: by 31 Oct)
WEB_URL = "http://127.0.0.1:8000/"  # `xinyu serve`'s default address
Out = Callable[[str], None]


def run_demo(*, database_url: str, schools: int, classes: int, seed: int, out: Out, today: date | None = None,
             flows: bool = True) -> DemoPlan:
    """Build the sample district in a new database and run it up to `today` 17:00 (default: now, Beijing time).

    `flows=False` runs the month in progress on the core directly as well (tests that need the data only)."""
    url = _absolute(database_url)
    _fresh_database(url)
    engine = make_engine(url)
    sync_calendar(engine)
    book = PackBook(engine, pin_newest=True)
    base = get_settings()
    plan = demo_plan(moment_of(today), book.pack(base.default_pack))
    work = book.calendar(base.default_pack)
    out(f"心育闭环示例 · {DISTRICT} · {plan.months[0]} 起运行至 {plan.moment:%Y-%m-%d %H:%M}（北京时间）· 数据库 {url}")
    for warning in calendar_warnings(plan):
        out(f"注意：{warning}")

    received = datetime.combine(plan.start - timedelta(days=1), time(17), SHANGHAI)
    year, results_day = _results(plan, work)
    files = write_demo_files(Path("demo-data"), schools=schools, classes=classes, seed=seed, screening_year=year)
    now_files = files if results_day is None else files[:2]
    out(f"\n一、导入名册（学校报送的原始文件，{received:%Y-%m-%d %H:%M} 收到）")
    for line in import_demo_files(engine, now_files, now=received):
        out(f"  {line}")
    arrival = Arrival(day=results_day or date.min, file=files[2],
                      ledger_day=work.next_workday_after(results_day or received.date()))

    settings = _settings(base, url)
    people = People(book=book, seed=seed, late_rate=STEPS.rate, skip_rate=SKIP_RATE, default_pack=base.default_pack,
                    steps=STEPS, followups=FOLLOWUPS)
    direct = make_orchestrator("direct", engine=engine, book=book, settings=settings)
    days = DemoDays(engine, book=book, people=people, orchestrator=direct, arrival=arrival, say=out)
    for number, month in enumerate(plan.months, start=2):
        if month == plan.month and flows:
            runner = make_orchestrator("embedded", engine=engine, book=book, settings=settings)
            days.orchestrator = runner
            try:
                _run_month(month, number, plan=plan, days=days, out=out)
            finally:
                runner.close()  # type: ignore[attr-defined]
        else:
            _run_month(month, number, plan=plan, days=days, out=out, by_flows=False)

    with Session(engine) as session:
        _print_state(session, plan=plan, book=book, out=out, outbox=settings.outbox_dir)
    with Session(engine) as session:
        accounts = demo_accounts(session, now=plan.moment)
        session.commit()
    engine.dispose()
    _print_sign_in(url, plan, accounts, out)
    return plan


def _results(plan: DemoPlan, work: WorkCalendar) -> tuple[int, date | None]:
    """(the autumn whose screening results the demo imports, the day they arrive; None: with the rosters)."""
    year = plan.start.year if plan.start.month >= 9 else plan.start.year - 1
    day = work.last_workday_on_or_before(date(year, *RESULTS_DAY))
    if day < plan.start:
        return year, None
    if day > plan.today:  # this autumn's results have not come yet: last year's are on file
        return year - 1, None
    return year, day


def _run_month(month: str, number: int, *, plan: DemoPlan, days: DemoDays, out: Out, by_flows: bool = True) -> None:
    first, last = month_range(month)
    current = month == plan.month
    label = f"{int(month[:4])}年{int(month[5:])}月"
    how = ("每日 16:00 Prefect 流程 advance-cycles 推进与催办，16:05 dispatch-outbox 发送" if by_flows
           else "每日 16:00 推进与催办、16:05 发送，由核心直接运行，同 xinyu advance --direct")
    until = f"逐日运行至 {plan.moment:%m月%d日 %H:%M}" if current else "整月运行"
    out(f"\n{chinese_number(number)}、{label}{'（本月）' if current else ''}：{until}（{how}）")
    total = DayCounts()
    day = first
    while day <= min(last, plan.today):
        counts = days.run(day, until=plan.moment)
        total.add(counts)
        if counts.opened_cycles:
            out(f"  {day:%m-%d} 开启{label}周期 {counts.opened_cycles} 所学校，结转上月未完成事项 {counts.carried} 项")
        if current and counts.busy:
            out(day_line(day, counts))
        day += timedelta(days=1)
    out(month_line(month, total))


def _print_state(session: Session, *, plan: DemoPlan, book: PackBook, out: Out, outbox: Path) -> None:
    from xinyu.board import render_board, render_shortfalls

    section = iter(chinese_number(n) for n in range(len(plan.months) + 2, 40))
    out(f"\n{next(section)}、本月看板\n")
    out(render_board(session, month=plan.month, today=plan.today, book=book))
    arranged = [line for line in meeting_summary(session, plan.month) if "时间待定" not in line]
    out("\n  本月领导小组会议：" + (f"已安排 {len(arranged)} 场" if arranged else "会议步骤尚未开启，开启后由组长安排"))
    for line in arranged:
        out(line)

    last_month = plan.whole_months[-1]
    filed, cycles, report = reports_summary(session, last_month)
    out(f"\n{next(section)}、上月（{last_month}）：{filed}/{cycles} 所学校已向区县报送月度报告")
    out(render_shortfalls(session, month=last_month, book=book))
    agenda = first_agenda(session, plan.month) or first_agenda(session, last_month)
    if agenda:
        out(f"\n  领导小组会议议程示例（{agenda[0]}，开启会议步骤时自动生成）：\n")
        out(agenda[1])
    if report:
        out("\n  学校月度报告示例（报区县，只含统计，不含学生姓名）：\n")
        out(report)

    out(f"\n{next(section)}、今天（{plan.today:%m月%d日}）的逾期任务")
    for line in overdue_summary(session, today=plan.today, book=book):
        out(line)
    out(f"\n{next(section)}、区县督办箱")
    for line in inbox_summary(session, today=plan.today, book=book):
        out(line)
    sent = dict(session.execute(sa_select(col(OutboxMessage.channel), func.count()).where(
        col(OutboxMessage.status) == "sent").group_by(col(OutboxMessage.channel))).all())
    out(f"\n{next(section)}、发件箱：邮件 {sent.get('email', 0)} 封（月度报告、催办摘要、区县督办摘要），"
        f"短信 {sent.get('sms', 0)} 条（只含件数与链接），已写入 {outbox}/（不发给任何真实的人）")


def _print_sign_in(url: str, plan: DemoPlan, accounts: list[tuple[str, str, str]], out: Out) -> None:
    out("\n网页端：")
    if plan.today != local_date(wall_clock()):
        out(f"  （本库运行至 {plan.today}；网页端按真实时钟显示，其定时任务会把周期推进到今天）")
    out(f"  启动：XINYU_DATABASE_URL={url} {xinyu_command()} serve")
    out(f"  打开：{WEB_URL}")
    out(f"  示例账号（密码均为 {DEMO_PASSWORD}）：")
    for label, name, login in accounts:
        out(f"  {label:　<6}{name}　{login}　密码 {DEMO_PASSWORD}")


def _settings(base: Settings, url: str) -> Settings:
    """The demo's flows: its database, messages to files only (never a real person, whatever XINYU_* says)."""
    return Settings(database_url=url, packs_dir=base.packs_dir, default_pack=base.default_pack,
                    outbox_dir=base.outbox_dir, base_url=base.base_url, smtp_url=None, sms_url=None,
                    robot_webhooks=False, schools_per_batch=base.schools_per_batch)


def xinyu_command() -> str:
    """How to call this very program from a shell: `xinyu` when that is it on PATH, else its own path
    (a fresh clone's .venv/bin/xinyu is not on PATH: `make demo` runs it by path)."""
    program = Path(sys.argv[0])
    if program.name != "xinyu":
        return f"{shlex.quote(sys.executable)} -m xinyu.cli"
    on_path = shutil.which("xinyu")
    if on_path and Path(on_path).resolve() == program.resolve():
        return "xinyu"
    return shlex.quote(str(program.resolve()) if program.is_absolute() else str(program))


def _absolute(url: str) -> str:
    """A relative SQLite file as an absolute path: the printed `xinyu serve` line works from any folder."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        return parsed.set(database=str(Path(parsed.database).resolve())).render_as_string(hide_password=False)
    return url


def _fresh_database(url: str) -> None:
    """A SQLite file is made anew; another database must be empty (the demo never writes into one in use)."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    else:
        engine = make_engine(url)
        names = set(inspect(engine).get_table_names()) & {"district", "person", "cycle"}
        with Session(engine) as session:
            rows = sum(session.execute(sa_select(func.count()).select_from(table(n))).scalar_one() for n in names)
        engine.dispose()
        if rows:
            raise ValueError(f"数据库 {parsed.render_as_string(hide_password=True)} 中已有数据："
                             f"示例只在新的空数据库中运行（SQLite 文件会被重建）")
    migrate(url)


__all__ = ["run_demo"]
