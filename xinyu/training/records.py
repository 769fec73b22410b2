"""Recording one training a person attended (QD-T9): checked in full before anything is written."""

from datetime import date, datetime

from sqlmodel import Session, col, select

from models import Person, RoleAssignment, School, TrainingRecord
from xinyu.history import record_change, snapshot
from xinyu.roles import Role

FIELDS = ("school_id", "person_id", "held_on", "hours", "topic", "recorded_by_id")
MAX_HOURS = 40.0  # one training (one day or one course) of more than 40 课时 is a typing error
MAX_TOPIC = 200
STUDENT_ROLES = {r.value for r in Role if r.is_student} | {Role.district_officer.value}


class TrainingError(ValueError):
    """A training that cannot be recorded; the message says which value and why (nothing is written)."""


def parse_hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise TrainingError(f"课时应为数字（如 3 或 1.5），实为“{text}”") from None
    if not 0 < hours <= MAX_HOURS or hours * 2 != int(hours * 2):
        raise TrainingError(f"课时应在 0.5–{MAX_HOURS:g} 之间、以半课时计，实为“{text}”")
    return hours


def add_training(session: Session, *, school: School, person_id: int, held_on: date, hours: float, topic: str,
                 by: int | None, now: datetime) -> TrainingRecord:
    """Keep one training row for a member of the school's staff and its first version in the history."""
    assert school.id is not None
    roles = set(session.exec(select(RoleAssignment.role).where(RoleAssignment.person_id == person_id,
                                                               RoleAssignment.school_id == school.id)))
    if not roles - STUDENT_ROLES:
        raise TrainingError(f"培训学时只记教职工：该人员不是{school.name}的教职工")
    if session.get(Person, person_id) is None:
        raise TrainingError("没有该人员")
    today = now.date()
    if held_on > today:
        raise TrainingError(f"培训日期 {held_on} 晚于今天 {today}")
    if held_on.year < today.year - 1:
        raise TrainingError(f"培训日期 {held_on} 早于上一年，不再补录")
    hours = parse_hours(str(hours))
    topic = topic.strip()
    if not topic:
        raise TrainingError("培训主题不能为空")
    if len(topic) > MAX_TOPIC:
        raise TrainingError(f"培训主题不超过{MAX_TOPIC}字，实为{len(topic)}字")
    duplicate = session.exec(select(TrainingRecord.id).where(
        TrainingRecord.person_id == person_id, TrainingRecord.held_on == held_on,
        col(TrainingRecord.topic) == topic)).first()
    if duplicate is not None:
        raise TrainingError(f"已记录过该人员 {held_on} 的“{topic}”培训")
    row = TrainingRecord(school_id=school.id, person_id=person_id, held_on=held_on, hours=hours, topic=topic,
                         recorded_by_id=by, recorded_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    record_change(session, kind="training", record_id=row.id, school_id=school.id, by=by, now=now,
                  action="created", before=None, after=snapshot(row, FIELDS))
    return row
