"""The demo's days: what happens in the sample district on a day, each thing at its hour (Beijing time).

    00:10  on the 1st: the month opens (the advance-cycles flow; open work of last month is carried)
    09:00  the district officer works the inbox (acknowledges, issues notices)             working days
    10:00  on its day: the screening provider's results file arrives and is imported (ledger A)
    12:00  homeroom teachers record the day's "1+1" lessons and activities                 working days
    14:00  the next working day: the psychology teacher builds ledgers B–D from the results
    15:00  people complete the tasks their plan says are due (some late)                   working days
    16:00  the advance-cycles flow: steps open and close, tasks are created, the chase climbs
    16:05  the dispatch-outbox flow: due email and SMS to files in the outbox folder
    16:10  a leader whose meeting step opened sets the meeting (time, place, attendees)

The day the run stops ends at its moment: what comes later that day has not happened; if the 16:00 run has
not come yet, the cycles are brought up to that moment (as `xinyu advance` would) so the pages are current.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import Engine

from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.db import transaction
from xinyu.demo.district import import_demo_files
from xinyu.demo.meetings import set_due_meetings
from xinyu.simulate.orchestrators import Orchestrator
from xinyu.simulate.people import People
from xinyu.simulation import record_ledger_entries


@dataclass
class DayCounts:
    opened_cycles: int = 0
    carried: int = 0
    completed: int = 0
    late: int = 0
    lessons: int = 0
    ledger_entries: int = 0
    acknowledged: int = 0
    notices: int = 0
    steps_opened: int = 0
    steps_done: int = 0
    tasks_created: int = 0
    reminders: int = 0
    school_escalations: int = 0
    district_escalations: int = 0
    meetings: int = 0
    sent: int = 0

    def add(self, other: "DayCounts") -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def busy(self) -> bool:
        return any(getattr(self, item.name) for item in fields(self) if item.name != "sent")


Event = Callable[[datetime, DayCounts], None]


@dataclass(frozen=True)
class Arrival:
    """The screening provider's results file, on its day; ledgers B–D are built on `ledger_day`."""

    day: date
    file: Path
    ledger_day: date


class DemoDays:
    """`orchestrator` may be swapped between days (the months before today's run on the core directly)."""

    def __init__(self, engine: Engine, *, book: PackBook, people: People, orchestrator: Orchestrator,
                 arrival: Arrival, say: Callable[[str], None]) -> None:
        self.engine, self.book, self.people, self.orchestrator = engine, book, people, orchestrator
        self.arrival, self.say = arrival, say

    def run(self, day: date, *, until: datetime) -> DayCounts:
        """The day's events up to `until` (the whole day when `until` is later)."""
        counts = DayCounts()
        workday = self.people.work_calendar.is_workday(day)
        events: list[tuple[time, Event]] = []
        if day.day == 1:
            events.append((time(0, 10), self.advance))
        if workday:
            events.append((time(9), self.inbox))
        if day == self.arrival.day:
            events.append((time(10), self.screening))
        if workday:
            events.append((time(12), self.lessons))
        if day == self.arrival.ledger_day:
            events.append((time(14), self.ledgers))
        if workday:
            events.append((time(15), self.work))
        events += [(time(16), self.advance), (time(16, 5), self.dispatch), (time(16, 10), self.meetings)]
        for hour, event in events:
            moment = datetime.combine(day, hour, SHANGHAI)
            if moment > until:
                break
            event(moment, counts)
        if datetime.combine(day, time(16), SHANGHAI) > until:  # stopped before the day's run: bring it up to now
            self.advance(until, counts)
            self.dispatch(until, counts)
            self.meetings(until, counts)
        return counts

    def advance(self, now: datetime, counts: DayCounts) -> None:
        moved = self.orchestrator.advance(now)
        counts.opened_cycles += moved.get("opened.opened", 0)
        counts.carried += moved.get("opened.carried_tasks", 0)
        counts.steps_opened += moved.get("steps_opened", 0)
        counts.steps_done += moved.get("steps_done", 0)
        counts.tasks_created += moved.get("tasks_created", 0)
        counts.reminders += moved.get("chase.reminders", 0)
        counts.school_escalations += moved.get("chase.school_escalations", 0)
        counts.district_escalations += moved.get("chase.district_escalations", 0)

    def dispatch(self, now: datetime, counts: DayCounts) -> None:
        sent = self.orchestrator.dispatch(now)
        counts.sent += sum(n for key, n in sent.items() if key.endswith(".sent"))

    def inbox(self, now: datetime, counts: DayCounts) -> None:
        with transaction(self.engine) as session:
            done = self.people.inbox(session, now)
        counts.acknowledged += done.acknowledged
        counts.notices += done.notices

    def screening(self, now: datetime, counts: DayCounts) -> None:
        for line in import_demo_files(self.engine, [self.arrival.file], now=now):
            self.say(f"  {now:%m-%d %H:%M} 测评机构报送测评结果，导入A台账：{line}")

    def lessons(self, now: datetime, counts: DayCounts) -> None:
        with transaction(self.engine) as session:
            counts.lessons += self.people.lessons(session, now.date())

    def ledgers(self, now: datetime, counts: DayCounts) -> None:
        with transaction(self.engine) as session:
            entries = record_ledger_entries(session, now=now)
        counts.ledger_entries += entries
        self.say(f"  {now:%m-%d %H:%M} 专职心理教师依据测评预警建立B台账（一生一案）、D台账（谈心）、C台账（危机个案）"
                 f"共 {entries} 条")

    def work(self, now: datetime, counts: DayCounts) -> None:
        with transaction(self.engine) as session:
            done = self.people.work(session, now)
        counts.completed += done.completed
        counts.late += done.late

    def meetings(self, now: datetime, counts: DayCounts) -> None:
        with transaction(self.engine) as session:
            counts.meetings += set_due_meetings(session, now=now, book=self.book, act_day=self.people.act_day_of,
                                                seed=self.people.seed)


__all__ = ["Arrival", "DayCounts", "DemoDays"]
