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
    # A meeting the leader set before the step opened exists with an empty agenda: it gets its agenda now.
    have = {m.cycle_id: m for m in session.exec(select(Meeting).where(col(Meeting.cycle_id).in_(
        [c.id for c, _ in opened])))}
    cycles = [cycle for cycle, _ in opened if cycle.id not in have or not have[cycle.id or 0].agenda]
    for cycle, facts in zip(cycles, agenda_facts_for(session, cycles=cycles, book=book, now=now), strict=True):
        assert cycle.id is not None
        meeting = have.get(cycle.id) or Meeting(cycle_id=cycle.id, agenda="")
        meeting.agenda = render_agenda(facts)
        session.add(meeting)


STEP_HOOKS = {"meeting_agenda": create_meeting_agendas}


def run_step_hook(
    name: str, session: Session, *, opened: list[tuple[Cycle, Step]], now: datetime, book: PackBook
) -> None:
    STEP_HOOKS[name](session, opened=opened, now=now, book=book)
