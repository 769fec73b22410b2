"""The baseline for bench/chase_days.py: the chase written the obvious way, task by task.

For each open task it looks up the school and the assignee, asks the database whether each rung has
fired, records it and queues one email and one SMS per task and rung, each as its own ORM row: what a
first version would do. Same ladder, same calendar, same rows in the ladder's log.
"""

from datetime import datetime

from sqlmodel import Session, select

from models import ChaseEvent, Cycle, OutboxMessage, Person, School, Task
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.ladder import rungs_to_fire
from xinyu.clock import local_date
from xinyu.cycle import PackBook
from xinyu.render import render


def naive_chase(session: Session, *, now: datetime, book: PackBook, school_ids: list[int]) -> int:
    today = local_date(now)
    fired_count = 0
    for school_id in school_ids:
        school = session.get(School, school_id)
        assert school is not None
        chase = book.pack(school.pack).chase
        assert chase is not None
        calendar = chase_calendar(book, school.pack)
        if not calendar.is_chase_day(today):
            continue
        tasks = session.exec(select(Task).join(Cycle, Cycle.id == Task.cycle_id)  # type: ignore[arg-type]
                             .where(Task.school_id == school_id, Task.status == "open", Cycle.status == "open"))
        for task in tasks:
            lineage = task.lineage_id or task.id or 0
            events = session.exec(select(ChaseEvent).where(ChaseEvent.lineage_id == lineage))
            fired = {(e.rung, e.occasion) for e in events}
            offset = calendar.offset(task.due, today)
            for firing in rungs_to_fire(chase.ladder(task.kind), offset=offset, due=task.due, today=today,
                                        fired=fired, acknowledged=task.acknowledged_at is not None):
                session.add(ChaseEvent(task_id=task.id or 0, lineage_id=lineage, school_id=school_id,
                                       rung=firing.rung.key, occasion=firing.occasion, level=firing.rung.level,
                                       offset=firing.offset, fired_at=now))
                person = session.get(Person, task.assignee_id) if task.assignee_id else None
                if person is None or not person.email:
                    continue
                key = f"naive:{lineage}:{firing.rung.key}:{firing.occasion}"
                context = {"name": person.name, "base_url": "http://x", "today": str(today), "sections": []}
                session.add(OutboxMessage(dedupe_key=f"{key}:email", channel="email", recipient_id=person.id,
                                          address=person.email, subject=f"【心育闭环】{task.title}",
                                          body_text=render("chase_digest.txt.j2", **context),
                                          body_html=render("chase_digest.html.j2", **context), created_at=now,
                                          not_before=now, params={}))
                if person.phone:
                    session.add(OutboxMessage(dedupe_key=f"{key}:sms", channel="sms", recipient_id=person.id,
                                              address=person.phone, body_text=task.title, created_at=now,
                                              not_before=now, params={}))
                fired_count += 1
        session.flush()
    return fired_count
