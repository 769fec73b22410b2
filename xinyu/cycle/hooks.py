"""What opening a step does besides creating its tasks (the pack's `on_open`).

A hook runs once per reconcile for every step it opened, so its queries serve the whole batch of
schools instead of one school at a time.
"""

from datetime import datetime

from sqlmodel import Session, col, select

from models import Cycle, Meeting, Step
from xinyu.cycle.packbook import PackBook
from xinyu.meetings.agenda import agenda_facts_for, render_agenda


def create_meeting_agendas(
    session: Session, *, opened: list[tuple[Cycle, Step]], now: datetime, book: PackBook
) -> None:
    have = set(session.exec(select(Meeting.cycle_id).where(col(Meeting.cycle_id).in_([c.id for c, _ in opened]))))
    cycles = [cycle for cycle, _ in opened if cycle.id not in have]
    for cycle, facts in zip(cycles, agenda_facts_for(session, cycles=cycles, book=book, now=now), strict=True):
        assert cycle.id is not None
        session.add(Meeting(cycle_id=cycle.id, agenda=render_agenda(facts)))


STEP_HOOKS = {"meeting_agenda": create_meeting_agendas}


def run_step_hook(
    name: str, session: Session, *, opened: list[tuple[Cycle, Step]], now: datetime, book: PackBook
) -> None:
    STEP_HOOKS[name](session, opened=opened, now=now, book=book)
