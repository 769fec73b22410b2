"""Ledger D 谈心谈话与家校反馈 (QD-2 一生一谈…一反馈, GZ 六.2 家访): record a talk or a family feedback, correct it.

Who records: the homeroom teacher for the students of their class; psychology teachers and the leadership
group for any student of the school. Every write keeps a version (xinyu.history, kind "ledger_d"); the author
may correct within the calendar month (Asia/Shanghai) the record was created in.
"""

from datetime import date, datetime

from sqlmodel import Session, col, select

from models import RoleAssignment, Student, TalkRecord
from xinyu.access import SCHOOL_WIDE
from xinyu.clock import as_local, local_date
from xinyu.history import record_change, snapshot
from xinyu.roles import Role
from xinyu.text_input import check_text

TALK = "谈心"
FEEDBACK_KINDS = ("家访", "电话", "微信", "家长会")  # 反馈指导（家访、电话、微信）; 家长会 counts too
KINDS = (TALK, *FEEDBACK_KINDS)
SUMMARY_MAX = 500
FIELDS = ("student_id", "kind", "held_on", "by_id", "summary")
FIELD_LABELS = {"student_id": "学生", "kind": "方式", "held_on": "日期", "by_id": "记录人", "summary": "内容摘要"}


class TalkError(ValueError):
    """A talk that cannot be recorded; the message names the field (as the CLI and the form show it)."""


def recorder_classes(session: Session, person_id: int, school_id: int) -> list[int] | None:
    """The classes whose students this person may record for: None = every class of the school."""
    roles = list(session.exec(
        select(RoleAssignment.role, RoleAssignment.class_id)  # type: ignore[call-overload]
        .where(RoleAssignment.person_id == person_id, RoleAssignment.school_id == school_id)))
    if any(role in SCHOOL_WIDE and class_id is None for role, class_id in roles):
        return None
    return sorted({class_id for role, class_id in roles if role == Role.homeroom and class_id is not None})


def may_record(session: Session, person_id: int, student: Student) -> bool:
    classes = recorder_classes(session, person_id, student.school_id)
    return classes is None or student.class_id in classes


def parse_kind(text: str) -> str:
    kind = text.strip()
    if kind not in KINDS:
        raise TalkError(f"kind（方式）应为 {'|'.join(KINDS)}，实为 {text!r}")
    return kind


def parse_held_on(text: str, today: date) -> date:
    try:
        held_on = date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise TalkError(f"held_on（日期）应为 YYYY-MM-DD，实为 {text!r}") from None
    if held_on > today:
        raise TalkError(f"held_on（日期）{held_on} 晚于今天 {today}：只能记录已进行的谈话或反馈")
    return held_on


def parse_summary(text: str) -> str:
    summary = check_text(text.strip(), "summary（内容摘要）", multiline=True, error=TalkError)
    if not summary:
        raise TalkError("summary（内容摘要）不能为空：请用一两句话写明谈话或反馈的内容")
    if len(summary) > SUMMARY_MAX:
        raise TalkError(f"summary（内容摘要）最多 {SUMMARY_MAX} 个字，实为 {len(summary)} 个字")
    return summary


def add_talk(session: Session, *, person_id: int, student: Student, kind: str, held_on: str, summary: str,
             now: datetime) -> TalkRecord:
    """Validate and add one record with its first version; TalkError names the field, nothing is written."""
    record = TalkRecord(school_id=student.school_id, student_id=student.id or 0, kind=parse_kind(kind),
                        held_on=parse_held_on(held_on, local_date(now)), by_id=person_id,
                        summary=parse_summary(summary), created_at=now, updated_at=now)
    if not may_record(session, person_id, student):
        raise TalkError("只有该班班主任、心理教师和领导小组成员可以为这名学生记录谈心谈话与家校反馈")
    session.add(record)
    session.flush()
    assert record.id is not None
    record_change(session, kind="ledger_d", record_id=record.id, school_id=record.school_id, by=person_id, now=now,
                  action="created", before=None, after=snapshot(record, FIELDS))
    return record


def may_correct(record: TalkRecord, person_id: int, now: datetime) -> bool:
    """The author, within the calendar month (Asia/Shanghai) the record was created in."""
    if record.by_id != person_id or record.created_at is None:
        return False
    created = as_local(record.created_at)
    moment = as_local(now)
    return (created.year, created.month) == (moment.year, moment.month)


def correct_talk(session: Session, *, person_id: int, record: TalkRecord, kind: str, held_on: str, summary: str,
                 now: datetime) -> TalkRecord:
    """The author's correction within the month; the old values stay in the history."""
    if not may_correct(record, person_id, now):
        raise TalkError("只有记录人本人可以在记录当月内更正这条记录")
    before = snapshot(record, FIELDS)
    record.kind, record.held_on = parse_kind(kind), parse_held_on(held_on, local_date(now))
    record.summary = parse_summary(summary)
    after = snapshot(record, FIELDS)
    if after != before:
        record.updated_at = now
        session.add(record)
        assert record.id is not None
        record_change(session, kind="ledger_d", record_id=record.id, school_id=record.school_id, by=person_id,
                      now=now, action="corrected", before=before, after=after)
    return record


def find_student(session: Session, school_id: int, student_no: str) -> Student:
    student = session.exec(select(Student).where(Student.school_id == school_id,
                                                 Student.student_no == student_no.strip())).first()
    if student is None:
        raise TalkError(f"student-no（学号）{student_no!r} 在本校没有这名学生")
    return student


def class_talks(session: Session, class_id: int, since: date) -> dict[int, tuple[date | None, date | None]]:
    """Per student of the class: the last talk and the last family feedback on or after `since`."""
    found: dict[int, tuple[date | None, date | None]] = {}
    rows = session.exec(
        select(TalkRecord.student_id, TalkRecord.kind, TalkRecord.held_on)  # type: ignore[call-overload]
        .join(Student, col(Student.id) == col(TalkRecord.student_id))
        .where(Student.class_id == class_id, col(TalkRecord.held_on) >= since))
    for student_id, kind, held_on in rows:
        talk, feedback = found.get(student_id, (None, None))
        if kind == TALK:
            talk = max(talk or held_on, held_on)
        else:
            feedback = max(feedback or held_on, held_on)
        found[student_id] = (talk, feedback)
    return found
