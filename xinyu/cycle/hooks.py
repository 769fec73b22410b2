"""What opening a step does besides creating its tasks (the pack's `on_open`)."""

from datetime import datetime

from sqlmodel import Session, select

from models import Cycle, Meeting, Step
from xinyu.agenda import agenda_facts, render_agenda
from xinyu.cycle.packbook import PackBook


def create_meeting_agenda(session: Session, *, cycle: Cycle, step: Step, now: datetime, book: PackBook) -> None:
    if session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).first():
        return
    assert cycle.id is not None
    session.add(Meeting(cycle_id=cycle.id, agenda=render_agenda(agenda_facts(session, cycle=cycle, book=book,
                                                                             now=now))))


STEP_HOOKS = {"meeting_agenda": create_meeting_agenda}


def run_step_hook(name: str, session: Session, *, cycle: Cycle, step: Step, now: datetime, book: PackBook) -> None:
    STEP_HOOKS[name](session, cycle=cycle, step=step, now=now, book=book)
