"""Which rungs of a ladder fire for one task today: a pure function of the offset and what has fired.

Reminder rungs are windows: only the latest one whose day has come fires (a task created the day
before its due date gets one "due soon" reminder, not a backlog). A daily rung fires once per
working day. Escalation rungs fire once per due date, catching up if a run was missed.
"""

from dataclasses import dataclass
from datetime import date

from xinyu.packs import Rung


@dataclass(frozen=True)
class Firing:
    rung: Rung
    occasion: str  # the due date it counts from, or today for a daily rung
    offset: int


def rungs_to_fire(
    ladder: tuple[Rung, ...], *, offset: int, due: date, today: date, fired: set[tuple[str, str]],
    acknowledged: bool,
) -> list[Firing]:
    eligible = [r for r in ladder if offset >= r.at]
    firings = []
    reminders = [r for r in eligible if r.level == "reminder"]
    if reminders and not acknowledged:  # an acknowledged task is not reminded again; escalation goes on
        latest = reminders[-1]
        occasion = today.isoformat() if latest.repeat == "daily" else due.isoformat()
        if (latest.key, occasion) not in fired:
            firings.append(Firing(latest, occasion, offset))
    for rung in eligible:
        if rung.level != "reminder" and (rung.key, due.isoformat()) not in fired:
            firings.append(Firing(rung, due.isoformat(), offset))
    return firings


LEVEL_ORDER = {"none": 0, "reminder": 0, "school": 1, "district": 2}


def higher_level(current: str, new: str) -> str:
    return new if LEVEL_ORDER[new] > LEVEL_ORDER[current] else current
