"""A district of 300 schools and a school year of data, for benchmarking the web pages.

    .venv/bin/python bench/web_data.py --out PATH [--schools 300] [--classes 30] [--seed 11] [--until 2026-06-18]

One district (青岛市黄岛区, Qingdao pack) whose staff roster, student lists (~40 a class) and screening
results come from xinyu.sample and go through the real importer (xinyu.roster, CSV files as schools send
them). Then the school year runs day by day from 2025-09-01 to `until` (default YEAR_TODAY) through the
core, as the scheduler would drive it:

  the 1st, 00:10      open the month (xinyu.cycle.open_month, per batch of schools)
  working day 07:00   advance + chase per batch, then the districts' digests (what the advance flow does)
              08:00   crisis tasks left from yesterday are done; the leader decides yesterday's extension asks
              09:00   the district officer works the inbox: acknowledges items, issues notices (督办)
              12:00   homeroom teachers record the day's "1+1" lessons and activities (xinyu.simulation)
              15:00   people finish their tasks with evidence (xinyu.simulation.simulate_work): most schools
                      on time, some often late, a few that work only some days, and now and then a school
                      that does nothing for a fortnight (so the ladder climbs to the district, the officer
                      issues notices and work is carried into next month)
              15:30   some assignees ask for more time (request_extension)
              16:00   advance + chase again, digests
              16:30   crisis cases (the fast path); most parents' tasks recorded the same evening
  screening results are imported when the providers send them (primary 09-26, secondary 10-24) and the
  psychology teachers open ledgers B–D the next working day (xinyu.simulation.record_ledger_entries).

Nothing is written behind the core's back except what an import writes (the roster goes through the importer
too). `year_district_db(cache_dir)` builds the file once under bench/.cache/ and reuses it while its JSON stamp
(parameters, this file's hash, the migration heads) matches.
"""

import argparse
import functools
import hashlib
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: import bench modules as `bench.…` from the project root
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from xinyu.clock import SHANGHAI  # noqa: E402

YEAR_TODAY = date(2026, 6, 18)  # a Thursday before the Dragon Boat Festival: June's ledgers and meetings under way
YEAR_NOW = datetime(2026, 6, 18, 18, 0, tzinfo=SHANGHAI)  # after the day's last run
YEAR_START = date(2025, 9, 1)
LAST_COVERED = date(2026, 12, 31)  # chinesecalendar knows 2025–2026; 2027 would fall back to Monday–Friday
CACHE_DIR = ROOT / "bench" / ".cache"
DISTRICT = "青岛市黄岛区"
STUDENTS_PER_CLASS = 40
STAMP_VERSION = 1

# How the schools work (fixed per school, drawn from the seed): share, late rate, share of working days they work.
PROFILES: dict[str, tuple[float, float, float]] = {
    "diligent": (0.75, 0.03, 1.0),
    "sluggish": (0.20, 0.15, 1.0),
    "struggling": (0.05, 0.40, 0.3),
}
DARK_SPELL_RATE, DARK_DAYS = 0.04, 10  # a school-month in 25 has a fortnight when nothing gets done
COURSE_SKIP_RATE = 0.10  # a class misses its lesson or its activity now and then ("1+1" shortfalls)
EXTENSION_RATE = 0.15  # of the tasks still open on their due day, how many ask for more time
EXTENSION_APPROVED = 0.8
CRISIS_PER_SCHOOL_DAY = 0.0012  # ~7 fast-path cases a month in 300 schools, besides one a month for sure
MAJOR_SHARE = 0.15  # of those, 重大 (straight to the district)
CRISIS_LATE = 0.25  # parents' task recorded only the next working day (the crisis ladder fires)
ACK_RATE = 0.7  # inbox items the officer acknowledges on a given morning
NOTICE_RATE = 0.35  # acknowledged items still open after 3 working days that get a notice (督办)
PRIMARY_RESULTS_DAY, SECONDARY_RESULTS_DAY = date(2025, 9, 26), date(2025, 10, 24)

log = logging.getLogger("bench.web_data")


# --- the organisation: sample files through the real importer --------------------------------------------


def import_district(engine: Engine, *, schools: int, classes: int, seed: int, workdir: Path,
                    at: datetime) -> dict[str, list[dict[str, Any]]]:
    """Staff roster and student lists imported as the district's schools send them; screening rows kept
    for the days the providers send them."""
    from xinyu import sample
    from xinyu.roles import Role
    from xinyu.roster import import_file

    staff = sample.sample_roster_rows(district=DISTRICT, schools=schools, classes_per_school=classes, seed=seed)
    officers = [r for r in staff if r["角色"] == Role.district_officer.label]
    staff = [r for r in staff if r["角色"] != Role.district_officer.label or r is officers[0]]  # one officer
    students = sample.sample_student_rows(staff, per_class=STUDENTS_PER_CLASS, seed=seed)
    screening = sample.sample_screening_rows(students, seed=seed, year=YEAR_START.year)
    files = [sample.write_csv(workdir / "教职工名册.csv", staff, encoding="gbk"),
             sample.write_csv(workdir / "学生名单.csv", students)]
    for path in files:
        result = import_file(engine, path, now=at)
        log.info("  %s", result.summary())
    primary = [r for r in screening if r["测评日期"] <= PRIMARY_RESULTS_DAY]
    secondary = [r for r in screening if r["测评日期"] > PRIMARY_RESULTS_DAY]
    return {"primary": primary, "secondary": secondary}


# --- the year --------------------------------------------------------------------------------------------


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Tally:
    runs: int = 0
    completed: int = 0
    completed_late: int = 0
    course_records: int = 0
    extensions_asked: int = 0
    extensions_decided: int = 0
    notices: int = 0
    acknowledged: int = 0
    crisis_cases: int = 0
    ledger_entries: int = 0
    reminders: int = 0
    school_escalations: int = 0
    district_escalations: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


@dataclass
class Year:
    engine: Engine
    seed: int
    batch_size: int
    screening: dict[str, list[dict[str, Any]]]
    workdir: Path
    tally: Tally = field(default_factory=Tally)
    profiles: dict[str, list[int]] = field(default_factory=dict)
    leaders: dict[int, int] = field(default_factory=dict)
    psych: dict[int, int] = field(default_factory=dict)
    officer: int = 0
    school_ids: list[int] = field(default_factory=list)
    pending_crisis: list[tuple[int, int]] = field(default_factory=list)  # (task, handler) to record tomorrow
    dark: dict[str, dict[int, tuple[date, date]]] = field(default_factory=dict)  # month → school → spell
    advance_hours: tuple[int, ...] = (7, 16)  # the scheduled runs of a working day; the last one after work

    def __post_init__(self) -> None:
        from models import RoleAssignment, School
        from xinyu.cycle import PackBook
        from xinyu.roles import Role

        self.book = PackBook(self.engine, pin_newest=True)
        with Session(self.engine) as session:
            self.school_ids = list(session.execute(select(col(School.id)).order_by(col(School.id))).scalars())
            for person, role, school in session.execute(
                    select(col(RoleAssignment.person_id), col(RoleAssignment.role), col(RoleAssignment.school_id))
                    .order_by(col(RoleAssignment.id))):
                if role == Role.leader:
                    self.leaders.setdefault(school, person)
                elif role == Role.psych_teacher:
                    self.psych.setdefault(school, person)
                elif role == Role.district_officer:
                    self.officer = self.officer or person
        rng = random.Random(f"{self.seed}:profiles")
        names, weights = list(PROFILES), [share for share, _, _ in PROFILES.values()]
        self.profiles = {name: [] for name in names}
        for school_id in self.school_ids:
            self.profiles[rng.choices(names, weights)[0]].append(school_id)
        self.work = self.book.calendar("qingdao")

    @property
    def batches(self) -> list[list[int]]:
        ids = self.school_ids
        return [ids[i:i + self.batch_size] for i in range(0, len(ids), self.batch_size)]

    def transaction(self) -> Any:
        from xinyu.db import transaction

        return transaction(self.engine)

    # the scheduler's runs

    def open_month(self, month: str, now: datetime) -> None:
        from xinyu.cycle import open_month

        for batch in self.batches:
            with self.transaction() as session:
                open_month(session, month=month, now=now, book=self.book, school_ids=batch)

    def advance(self, now: datetime) -> None:
        """What the advance flow does: advance and chase per batch in one transaction, then the digests."""
        from xinyu.chase import queue_district_digests, run_chase
        from xinyu.cycle import advance

        for batch in self.batches:
            with self.transaction() as session:
                advance(session, now=now, book=self.book, school_ids=batch)
                chased = run_chase(session, now=now, book=self.book, school_ids=batch).counts()
            self.tally.reminders += chased.get("reminders", 0)
            self.tally.school_escalations += chased.get("school_escalations", 0)
            self.tally.district_escalations += chased.get("district_escalations", 0)
        with self.transaction() as session:
            queue_district_digests(session, now=now, book=self.book)
        self.tally.runs += 1

    # people

    def work_day(self, day: date) -> None:
        from xinyu.simulation import simulate_work

        for name, (_, late_rate, days) in PROFILES.items():
            ids = [s for s in self.profiles[name] if self.works(s, day, days)]
            if not ids:
                continue
            with self.transaction() as session:
                done = simulate_work(session, now=at(day, 15), book=self.book, seed=self.seed, late_rate=late_rate,
                                     school_ids=ids)
            self.tally.completed += done.completed
            self.tally.completed_late += done.late

    def works(self, school_id: int, day: date, share: float) -> bool:
        """Whether the school's staff get to their tasks today: not during a dark spell (a leader on leave,
        an inspection week: nothing done for DARK_DAYS working days), and on `share` of the other days."""
        month = f"{day:%Y-%m}"
        if month not in self.dark:
            self.dark[month] = {}
            workdays = self.work.workdays_of_month(day.year, day.month)
            for school in self.school_ids:
                rng = random.Random(f"{self.seed}:{school}:{month}:dark")
                if rng.random() < DARK_SPELL_RATE:
                    start = rng.choice(workdays)
                    self.dark[month][school] = (start, self.work.add_workdays(start, DARK_DAYS - 1))
        spells = [self.dark[m].get(school_id) for m in self.dark if m <= month]
        if any(spell and spell[0] <= day <= spell[1] for spell in spells):
            return False
        return share >= 1.0 or random.Random(f"{self.seed}:{school_id}:{day}:works").random() < share

    def record_courses(self, day: date) -> None:
        from xinyu.simulation import record_courses

        with self.transaction() as session:
            self.tally.course_records += record_courses(session, today=day, book=self.book, seed=self.seed,
                                                        skip_rate=COURSE_SKIP_RATE)

    def screening_results(self, day: date) -> None:
        """A provider's results arrive (ledger A, through the importer); the next working day the psychology
        teachers open ledgers B–D for the students at 中度/重度."""
        from xinyu import sample
        from xinyu.roster import import_file

        key = "primary" if day == PRIMARY_RESULTS_DAY else "secondary"
        path = sample.write_csv(self.workdir / f"心理测评结果-{key}.csv", self.screening[key])
        result = import_file(self.engine, path, now=at(day, 17))
        log.info("  %s  %s", day, result.summary())

    def ledger_entries(self, day: date) -> None:
        from xinyu.simulation import record_ledger_entries

        with self.transaction() as session:
            self.tally.ledger_entries += record_ledger_entries(session, now=at(day, 10))

    def ask_extensions(self, day: date) -> None:
        """Some of those still open on their due day ask their leader for three more working days."""
        from models import Extension, Task
        from xinyu.chase.extensions import request_extension

        now = at(day, 15, 30)
        with self.transaction() as session:
            asked = set(session.execute(select(col(Extension.task_id))).scalars())
            tasks = session.execute(select(col(Task.id), col(Task.assignee_id)).where(
                col(Task.status) == "open", col(Task.due) == day, col(Task.assignee_id).is_not(None),
                col(Task.kind).not_in(["crisis"]))).all()
            for task_id, assignee in tasks:
                rng = random.Random(f"{self.seed}:{task_id}:extension")
                if task_id in asked or rng.random() >= EXTENSION_RATE:
                    continue
                request_extension(session, task_id=task_id, by=assignee, workdays=3, now=now, book=self.book,
                                  reason=rng.choice(("本周承担区级公开课任务，需顺延", "班级活动与期中考试冲突",
                                                        "家长会安排在下周，届时一并完成")))
                self.tally.extensions_asked += 1

    def decide_extensions(self, day: date) -> None:
        from models import Extension, Task
        from xinyu.chase.extensions import decide_extension

        now = at(day, 8, 30)
        with self.transaction() as session:
            pending = session.execute(
                select(col(Extension.id), col(Task.school_id)).join(Task, col(Task.id) == col(Extension.task_id))
                .where(col(Extension.status) == "requested", col(Task.status) == "open")).all()
            for extension_id, school_id in pending:
                approve = random.Random(f"{self.seed}:{extension_id}:decision").random() < EXTENSION_APPROVED
                decide_extension(session, extension_id=extension_id, by=self.leaders[school_id], approve=approve,
                                 now=now, book=self.book, note="" if approve else "请按原定时间完成")
                self.tally.extensions_decided += 1

    def inbox(self, day: date) -> None:
        """The officer acknowledges most new items within a day or two and sends notices for lingering ones."""
        from models import Escalation
        from xinyu.chase.inbox import acknowledge, issue_notice

        now = at(day, 9)
        with self.transaction() as session:
            items = session.execute(select(Escalation).where(col(Escalation.status) != "resolved",
                                                          col(Escalation.raised_at) < at(day, 0))).scalars().all()
            for item in items:
                assert item.id is not None
                draw = random.Random(f"{self.seed}:{item.id}:{day}:inbox").random()
                if item.status == "new" and draw < ACK_RATE:
                    acknowledge(session, escalation_id=item.id, by=self.officer, now=now)
                    self.tally.acknowledged += 1
                elif (item.status == "acknowledged" and item.notice_task_id is None and item.acknowledged_at
                      and self.work.workdays_between(item.acknowledged_at.astimezone(SHANGHAI).date(), day) >= 3
                      and draw < NOTICE_RATE):
                    issue_notice(session, escalation_id=item.id, by=self.officer, workdays=5, now=now,
                                 book=self.book, text="逾期事项请于5个工作日内整改到位并报区县")
                    self.tally.notices += 1

    def crisis(self, day: date, *, sure: bool) -> None:
        """Fast-path cases (严重, sometimes 重大) opened in the late afternoon; most handlers record the parents'
        call the same evening, some only the next morning."""
        from models import Student
        from xinyu.crisis.opening import open_crisis_case
        from xinyu.cycle import complete_tasks
        from xinyu.cycle.completion import Completion

        rng = random.Random(f"{self.seed}:{day}:crisis")
        schools = [s for s in self.school_ids if rng.random() < CRISIS_PER_SCHOOL_DAY]
        if sure:
            schools.append(rng.choice(self.school_ids))
        now = at(day, 16, 30)
        for school_id in schools:
            with self.transaction() as session:
                students = session.execute(select(col(Student.id)).where(col(Student.school_id) == school_id)
                                           ).scalars().all()
                level = "重大" if rng.random() < MAJOR_SHARE else "严重"
                handler = self.psych[school_id]
                opened = open_crisis_case(session, school_id=school_id, student_id=rng.choice(students), level=level,
                                          handler_id=handler, by=handler, now=now, book=self.book)
                self.tally.crisis_cases += 1
                assert opened.task_id is not None
                if rng.random() < CRISIS_LATE:
                    self.pending_crisis.append((opened.task_id, handler))
                    continue
                done = at(day, 17, 10)
                complete_tasks(session, completions=[Completion(opened.task_id, parents_told(done, rng), handler)],
                               now=done, book=self.book)

    def late_crisis_tasks(self, day: date) -> None:
        """Yesterday's late parents' tasks, recorded first thing (the one carried into a new month, if it was)."""
        from sqlalchemy import or_

        from models import Task
        from xinyu.cycle import complete_tasks
        from xinyu.cycle.completion import Completion

        if not self.pending_crisis:
            return
        now = at(day, 8)
        rng = random.Random(f"{self.seed}:{day}:late-crisis")
        with self.transaction() as session:
            completions = []
            for first, by in self.pending_crisis:
                current = session.execute(select(col(Task.id)).where(
                    or_(col(Task.id) == first, col(Task.lineage_id) == first), col(Task.status) == "open")).scalar()
                if current is not None:
                    completions.append(Completion(current, parents_told(now - timedelta(minutes=20), rng), by))
            complete_tasks(session, completions=completions, now=now, book=self.book)
        self.pending_crisis.clear()

    # the year

    def run(self, first: date, last: date, out: Callable[[str], None]) -> None:
        day, month_started, cpu_started = first, time.perf_counter(), time.process_time()
        while day <= last:
            self.day(day)
            following = day + timedelta(days=1)
            if following.month != day.month or following > last:
                t = self.tally
                seconds, cpu = time.perf_counter() - month_started, time.process_time() - cpu_started
                out(f"  {day:%Y-%m} {seconds:6.1f} s (CPU {cpu:5.1f} s) · runs {t.runs:3d} · done {t.completed:7,}"
                    f" (late {t.completed_late:6,}) · courses {t.course_records:7,} · reminders {t.reminders:7,}"
                    f" · to leader {t.school_escalations:5,} · to district {t.district_escalations:5,}"
                    f" · crisis {t.crisis_cases:3d} · extensions {t.extensions_asked:4d} · notices {t.notices:3d}")
                month_started, cpu_started = time.perf_counter(), time.process_time()
            day = following
        out("  time by phase: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                            sorted(self.tally.seconds.items(), key=lambda kv: -kv[1])))

    def timed(self, phase: str, call: Callable[[], Any]) -> None:
        started = time.perf_counter()
        call()
        self.tally.seconds[phase] += time.perf_counter() - started

    def day(self, day: date) -> None:
        if day.day == 1:
            self.timed("open month", lambda: self.open_month(f"{day:%Y-%m}", at(day, 0, 10)))
        if day in (PRIMARY_RESULTS_DAY, SECONDARY_RESULTS_DAY):
            self.timed("screening import", lambda: self.screening_results(day))
        if not self.work.is_workday(day):
            return
        for hour in self.advance_hours[:-1]:
            self.timed(f"advance+chase {hour:02d}:00", lambda hour=hour: self.advance(at(day, hour)))  # type: ignore[misc]
        self.timed("crisis", lambda: self.late_crisis_tasks(day))
        self.timed("extensions", lambda: self.decide_extensions(day))
        self.timed("inbox", lambda: self.inbox(day))
        if day in (self.work.add_workdays(PRIMARY_RESULTS_DAY, 1), self.work.add_workdays(SECONDARY_RESULTS_DAY, 1)):
            self.timed("ledger entries", lambda: self.ledger_entries(day))
        self.timed("courses", lambda: self.record_courses(day))
        self.timed("people work", lambda: self.work_day(day))
        self.timed("extensions", lambda: self.ask_extensions(day))
        last = self.advance_hours[-1]
        self.timed(f"advance+chase {last:02d}:00", lambda: self.advance(at(day, last)))
        workdays = self.work.workdays_of_month(day.year, day.month)
        self.timed("crisis", lambda: self.crisis(day, sure=len(workdays) > 2 and day == workdays[2]))


@contextmanager
def course_plans_drawn_once() -> Iterator[None]:
    """xinyu.simulation.record_courses draws every class's plan for the month on each day it runs, to find
    today's lessons. The plan is a pure function of its arguments, so here it is drawn once per class and
    month: the same rows, some 1.6 million fewer draws in a 300-school year."""
    from xinyu import simulation

    original = simulation.course_plan
    simulation.course_plan = functools.lru_cache(maxsize=None)(original)
    try:
        yield
    finally:
        simulation.course_plan = original


def parents_told(moment: datetime, rng: random.Random) -> dict[str, Any]:
    return {"informed_at": moment.strftime("%Y-%m-%d %H:%M"), "method": rng.choice(("面谈", "电话", "微信")),
            "note": "已告知家长并建议到医院心理科就诊"}


# --- counts ----------------------------------------------------------------------------------------------


def count_rows(engine: Engine, today: date) -> dict[str, int]:
    from models import (
        ChaseEvent,
        CourseRecord,
        CrisisCase,
        Cycle,
        Escalation,
        Extension,
        KeyStudentPlan,
        Meeting,
        MonthlyReport,
        OutboxMessage,
        Person,
        School,
        SchoolClass,
        ScreeningRecord,
        Student,
        TalkRecord,
        Task,
    )
    from xinyu.cycle import PackBook

    cutoff = PackBook(engine).calendar("qingdao").overdue_cutoff(today)
    with Session(engine) as session:
        def count(model: Any, *where: Any) -> int:
            return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())

        return {
            "schools": count(School),
            "classes": count(SchoolClass),
            "students": count(Student),
            "people": count(Person),
            "cycles": count(Cycle),
            "tasks": count(Task),
            "done": count(Task, Task.status == "done"),
            "open": count(Task, Task.status == "open"),
            "overdue": count(Task, Task.status == "open", col(Task.due) < cutoff),
            "carried": count(Task, Task.status == "carried"),
            "escalations": count(Escalation),
            "escalations_open": count(Escalation, Escalation.status != "resolved"),
            "chase_events": count(ChaseEvent),
            "extensions": count(Extension),
            "notices": count(Task, Task.kind == "notice"),
            "crisis_cases": count(CrisisCase),
            "course_records": count(CourseRecord),
            "ledger_a": count(ScreeningRecord),
            "ledger_b": count(KeyStudentPlan),
            "ledger_d": count(TalkRecord),
            "meetings": count(Meeting),
            "monthly_reports": count(MonthlyReport),
            "outbox_rows": count(OutboxMessage),
        }


# --- building and caching --------------------------------------------------------------------------------


def build_year_district(path: Path, *, schools: int = 300, classes: int = 30, seed: int = 11,
                        until: date = YEAR_TODAY, out: Callable[[str], None] = print) -> dict[str, Any]:
    """A fresh SQLite file at `path`: one district, `schools` schools, the year 2025-09-01 … `until` run
    through the core. Returns the counts, `build_seconds` (wall clock), `build_cpu_seconds` (this process)
    and `today`."""
    from xinyu.db import make_engine, migrate
    from xinyu.settings import get_settings

    if until > LAST_COVERED or until < YEAR_START:
        raise ValueError(f"until must lie in {YEAR_START} … {LAST_COVERED} (the statutory calendar's years)")
    started, cpu_started = time.perf_counter(), time.process_time()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    out(f"{DISTRICT} · {schools} schools × {classes} classes · seed {seed} · {YEAR_START} … {until} → {path}")
    with tempfile.TemporaryDirectory(prefix="xinyu-web-data-") as folder:
        screening = import_district(engine, schools=schools, classes=classes, seed=seed, workdir=Path(folder),
                                    at=at(YEAR_START - timedelta(days=7), 10))
        out(f"  roster and students imported  {time.perf_counter() - started:7.1f} s")
        year = Year(engine=engine, seed=seed, batch_size=get_settings().schools_per_batch, screening=screening,
                    workdir=Path(folder))
        out("  profiles: " + ", ".join(f"{name} {len(ids)}" for name, ids in year.profiles.items()))
        with course_plans_drawn_once():
            year.run(YEAR_START, until, out)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    counts: dict[str, Any] = count_rows(engine, until)
    engine.dispose()
    counts["build_seconds"] = round(time.perf_counter() - started, 1)
    counts["build_cpu_seconds"] = round(time.process_time() - cpu_started, 1)
    counts["today"] = until.isoformat()
    out("  " + " · ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in counts.items()))
    return counts


def _stamp(schools: int, classes: int, seed: int, until: date) -> dict[str, Any]:
    from alembic.script import ScriptDirectory

    from xinyu.db import alembic_config

    heads = sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return {"version": STAMP_VERSION, "schools": schools, "classes": classes, "seed": seed,
            "until": until.isoformat(), "students_per_class": STUDENTS_PER_CLASS, "generator": source,
            "migrations": heads}


def year_district_db(cache_dir: Path = CACHE_DIR, *, schools: int = 300, classes: int = 30, seed: int = 11,
                     until: date = YEAR_TODAY, out: Callable[[str], None] = print) -> Path:
    """The cached year-district file, built first if missing or built with other parameters, generator code or
    migration heads. The build's counts are in the JSON stamp next to it, under "counts". Processes asking at
    the same time wait for one build (a lock file). Pages that write (logins, sessions) should run on a copy:
    `copy_year_district`."""
    import fcntl

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"year-district-{schools}x{classes}-s{seed}-{until:%Y%m%d}.db"
    stamp_path = path.with_suffix(".json")
    wanted = _stamp(schools, classes, seed, until)
    with (cache_dir / f"{path.stem}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists() and stamp_path.exists():
            try:
                stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stamp = {}
            if {k: stamp.get(k) for k in wanted} == wanted:
                return path
        stamp_path.unlink(missing_ok=True)
        building = path.with_name(f"{path.stem}.building.db")
        counts = build_year_district(building, schools=schools, classes=classes, seed=seed, until=until, out=out)
        for suffix in ("-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(building, path)
        stamp_path.write_text(json.dumps({**wanted, "counts": counts}, ensure_ascii=False, indent=1),
                              encoding="utf-8")
    return path


def copy_year_district(target: Path, cache_dir: Path = CACHE_DIR, **params: Any) -> Path:
    """A private copy of the cached file at `target` (built first if need be), for runs that write to it."""
    import shutil

    source = year_district_db(cache_dir, **params)
    target = Path(target)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="the SQLite file to build (default: the cache under bench/.cache/)")
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--until", type=date.fromisoformat, default=YEAR_TODAY,
                        help=f"the last day simulated, 'today' of the data (default {YEAR_TODAY})")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    if args.out:
        build_year_district(args.out, schools=args.schools, classes=args.classes, seed=args.seed, until=args.until)
    else:
        path = year_district_db(schools=args.schools, classes=args.classes, seed=args.seed, until=args.until)
        print(f"cache: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
