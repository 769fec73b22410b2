"""The district dashboard says what its numbers rest on (issue 11, item 9): a month with too few pieces of
work is marked, not shown as a green 100 %; an extension approved after the due date it moved is not on
time and is counted apart; a 0 % month draws a visible bar (checked in Chromium, with a screenshot)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Cycle, Extension, Task
from tests.web.app_fixtures import ClientFor
from tests.web.browser import DESKTOP
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import Console, Site, console, open_as, shot, site  # noqa: F401 (fixtures)
from tests.web.world import World
from xinyu.cycle.states import TaskStatus
from xinyu.district_dashboard import MIN_MONTH_WORK

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_work(engine: Engine, school_id: int, due: date, *, count: int, late: bool, tag: str) -> list[int]:
    """Done work of the school due on `due`: done that day (on time) or three days after (late)."""
    with Session(engine) as session:
        cycle = session.exec(select(Cycle).where(Cycle.school_id == school_id).order_by(col(Cycle.id))).first()
        assert cycle is not None and cycle.id is not None
        done = datetime.combine(due + timedelta(days=3 if late else 0), datetime.min.time(), SHANGHAI).replace(hour=10)
        tasks = [Task(cycle_id=cycle.id, origin_cycle_id=cycle.id, school_id=school_id, step_key="ledgers",
                      template="ledgers", key=f"{tag}:{n}", kind="step", title="更新台账", role="psych_teacher",
                      clause="QD-S1", due=due, status=TaskStatus.done, completed_at=done) for n in range(count)]
        session.add_all(tasks)
        session.commit()
        return [t.id or 0 for t in tasks]


def test_a_month_of_too_few_tasks_is_marked_not_shown_as_100(client_for: ClientFor, world: World,
                                                            world_engine: Engine) -> None:
    add_work(world_engine, world.school_id, date(2026, 12, 3), count=7, late=False, tag="dec")
    officer = client_for("officer")
    data = officer.get("/api/district/on-time?year=2026").json()
    december = data["district"]["2026-12"]
    assert (december["on_time"], december["due"], december["rate"]) == (7, 7, 1.0)
    assert december["thin"] is True and data["district"]["2026-10"]["thin"] is False
    assert data["min_month_work"] == MIN_MONTH_WORK
    page = officer.get("/district/dashboard?year=2026").text
    cell = re.search(r'<td class="rate cell-(\w+)" data-school="district" data-month="2026-12"[^>]*>(.*?)</td>',
                     page, re.S)
    assert cell and cell.group(1) == "thin" and "样本不足" in cell.group(2)
    assert "样本不足" in data["definition"] and "逾期后获批延期" in data["definition"]


def test_an_extension_approved_after_its_due_date_is_counted_apart(client_for: ClientFor, world: World,
                                                                  world_engine: Engine) -> None:
    """Due 09-22, approved 20 working days later (10-20) to a new date, done by it: not on time."""
    late_one, in_time = add_work(world_engine, world.school_id, date(2026, 11, 20), count=2, late=False, tag="ext")
    with Session(world_engine) as session:
        for task_id, previous, decided in ((late_one, date(2026, 9, 22), date(2026, 10, 20)),
                                           (in_time, date(2026, 11, 18), date(2026, 11, 17))):
            session.add(Extension(task_id=task_id, reason="测评系统故障", workdays=3, status="approved",
                                  requested_at=datetime(2026, 9, 1, 2, tzinfo=SHANGHAI),
                                  decided_at=datetime.combine(decided, datetime.min.time(), SHANGHAI).replace(hour=9),
                                  previous_due=previous, new_due=date(2026, 11, 20)))
        session.commit()
    data = client_for("officer").get("/api/district/on-time?year=2026").json()
    school = next(s for s in data["schools"] if s["school_id"] == world.school_id)
    november = school["months"]["2026-11"]
    assert (november["on_time"], november["due"], november["late_extended"]) == (1, 2, 1)
    assert data["district"]["2026-11"]["late_extended"] == 1
    assert school["year"]["late_extended"] == 1


def test_a_zero_month_draws_a_bar_and_a_thin_month_is_grey(
        page_factory: PageFactory, console: Console, site: Site, world: World) -> None:  # noqa: F811
    for school_id in (world.school_id, world.other_school_id):  # September: every piece of work late
        add_work(site.engine, school_id, date(2026, 9, 25), count=MIN_MONTH_WORK // 2 + 1, late=True,
                 tag=f"sep{school_id}")
    add_work(site.engine, world.school_id, date(2026, 12, 3), count=4, late=False, tag="dec")  # thin at both
    page = open_as(page_factory, console, site, world, "officer")
    page.set_viewport_size(DESKTOP)
    page.goto(site.url + "/district/dashboard?year=2026")
    expect(page.locator("#on-time-chart[data-ready='1']")).to_have_count(1)
    bars = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById("on-time-chart"));
        const out = [];
        chart.data.datasets.forEach((set, d) => {
            if (set.type !== "bar") return;
            chart.getDatasetMeta(d).data.forEach((bar, i) => out.push({
                school: set.label, month: chart.data.labels[i], value: set.data[i],
                height: Math.abs(bar.base - bar.y), colour: bar.options.backgroundColor}));
        });
        return {bars: out, district: chart.data.datasets[0].data, labels: chart.data.labels,
                districtColours: chart.getDatasetMeta(0).data.map(p => p.options.backgroundColor)};
    }""")
    zero = [b for b in bars["bars"] if b["month"] == "9月"]
    assert len(zero) == 2 and all(b["value"] == 0 and b["height"] >= 3 for b in zero), zero
    december = bars["labels"].index("12月")
    assert bars["district"][december] == 100 and bars["districtColours"][december] != bars["districtColours"][0]
    thin_bar = next(b for b in bars["bars"] if b["month"] == "12月" and b["value"] is not None)
    same_school = next(b for b in bars["bars"] if b["month"] == "10月" and b["school"] == thin_bar["school"])
    assert thin_bar["value"] == 100 and thin_bar["colour"] != same_school["colour"]
    expect(page.get_by_test_id("definition")).to_contain_text("逾期后获批延期")
    expect(page.locator('td[data-school="district"][data-month="2026-12"]')).to_contain_text("样本不足")
    shot(page, "dashboard-marks.png")
    assert not console.problems, console.problems
