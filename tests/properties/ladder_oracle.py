"""What the pack's ladder says must fire in one run: written from the policy text, not from the code.

The documented semantics (xinyu/chase/ladder.py, README): rungs count chase days (statutory working
days with make-up days, minus the pack's school vacations) from the due date, 1 on the first chase day
after it; no rung fires on a day that is not a chase day. Of the reminder rungs only the latest one
reached fires (a reminder is never sent late), once per due date, or once per day for a daily rung,
and none once the task is acknowledged. Every escalation rung reached fires once per due date,
catching up when runs were missed.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar

from xinyu.packs import Pack, Rung


@dataclass(frozen=True)
class OpenWork:
    """An open task of an open cycle, as the run sees it."""

    task_id: int
    lineage: int
    school_id: int
    kind: str
    due: date
    assignee_id: int | None
    acknowledged_at: datetime | None
    pack: str


@dataclass(frozen=True)
class Fire:
    task_id: int
    lineage: int
    rung: str
    occasion: str
    level: str
    offset: int

    @property
    def event_key(self) -> str:
        return f"{self.lineage}:{self.rung}:{self.occasion}"


class ChaseDays:
    """Chase days of one pack, straight from chinesecalendar and the pack's vacations."""

    def __init__(self, pack: Pack) -> None:
        assert not pack.calendar.extra_holidays and not pack.calendar.extra_workdays, "oracle knows no overrides"
        self.vacations = [(v.start, v.end) for v in pack.calendar.vacations]

    def is_chase_day(self, day: date) -> bool:
        key = day.strftime("%m-%d")
        in_vacation = any(start <= key <= end if start <= end else (key >= start or key <= end)
                          for start, end in self.vacations)
        return chinese_calendar.is_workday(day) and not in_vacation

    def offset(self, due: date, today: date) -> int:
        low, high, sign = (due, today, 1) if today > due else (today, due, -1)
        days = (low + timedelta(days=n) for n in range(1, (high - low).days + 1))
        return sign * sum(1 for day in days if self.is_chase_day(day))


def expected_fires(work: list[OpenWork], fired: dict[int, set[tuple[str, str]]], today: date,
                   packs: dict[str, Pack]) -> set[Fire]:
    fires: set[Fire] = set()
    for task in work:
        pack = packs[task.pack]
        if pack.chase is None:
            continue
        days = ChaseDays(pack)
        if not days.is_chase_day(today):
            continue
        offset = days.offset(task.due, today)
        reached = [r for r in pack.chase.ladder(task.kind) if r.at <= offset]
        seen = fired.get(task.lineage, set())

        def fire(rung: Rung, occasion: str, task: OpenWork = task, offset: int = offset) -> Fire:
            return Fire(task.task_id, task.lineage, rung.key, occasion, rung.level, offset)

        reminders = [r for r in reached if r.level == "reminder"]
        if reminders and task.acknowledged_at is None:
            latest = max(reminders, key=lambda r: r.at)
            occasion = today.isoformat() if latest.repeat == "daily" else task.due.isoformat()
            if (latest.key, occasion) not in seen:
                fires.add(fire(latest, occasion))
        for rung in reached:
            if rung.level != "reminder" and (rung.key, task.due.isoformat()) not in seen:
                fires.add(fire(rung, task.due.isoformat()))
    return fires


def expected_digest_keys(fires: set[Fire], work: dict[int, OpenWork], packs: dict[str, Pack], today: date,
                         leaders: dict[int, list[int]], contacts: dict[int, tuple[bool, bool]]) -> set[str]:
    """The person digests a run queues: one email (and one SMS) per person told, keyed by the events in it."""
    items: dict[int, list[Fire]] = defaultdict(list)
    channels: dict[int, set[str]] = defaultdict(set)
    for fire in fires:
        task = work[fire.task_id]
        rung = next(r for r in packs[task.pack].chase.ladder(task.kind) if r.key == fire.rung)  # type: ignore[union-attr]
        if rung.level == "district":
            continue  # the district hears through its own digest
        people: list[int] = []
        for target in rung.notify:
            if target == "assignee":
                people += [task.assignee_id] if task.assignee_id else leaders.get(task.school_id, [])
            elif target == "leader":
                people += leaders.get(task.school_id, [])
            else:
                raise AssertionError(f"the oracle does not know notify target {target!r}")
        for person in dict.fromkeys(people):
            items[person].append(fire)
            channels[person] |= set(rung.channels)
    keys = set()
    for person, fired in items.items():
        digest = hashlib.sha1("|".join(sorted(f.event_key for f in fired)).encode()).hexdigest()[:16]
        has_email, has_phone = contacts.get(person, (False, False))
        for channel, reachable in (("email", has_email), ("sms", has_phone)):
            if reachable and channel in channels[person]:
                keys.add(f"chase:{today.isoformat()}:p{person}:{channel}:{digest}")
    return keys
