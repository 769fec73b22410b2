"""Feedback step: the school's monthly report for the district — counts and rates, no student names."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models import Cycle, MonthlyReport, Task
from xinyu.cycle.actions.facts import BatchFacts
from xinyu.cycle.packbook import PackBook
from xinyu.ledgers.coverage import coverage_summary
from xinyu.monthly_report import render_monthly_report
from xinyu.privacy import redact_student_names
from xinyu.roles import Role


def file_monthly_report(
    session: Session, *, task: Task, origin: Cycle, evidence: dict[str, Any], now: datetime, book: PackBook,
    facts: BatchFacts | None = None, **_: Any,
) -> None:
    assert origin.id is not None
    facts = facts or BatchFacts(session, book, [origin])
    # The report goes to the district: a student named by mistake in the free text is replaced.
    with session.no_autoflush:  # no completion writes students: the batch's changes need not be flushed first
        shared = redact_student_names(session, origin.school_id, evidence)
    school = facts.report_facts(origin)
    body = render_monthly_report(cycle=origin, book=book, now=now, evidence=shared, facts=school,
                                 classes=facts.class_statuses(origin),
                                 qd2=coverage_summary(facts.coverage(origin, now)))  # counts only, never names
    report = facts.monthly_report(origin)
    if report is None:
        report = MonthlyReport(cycle_id=origin.id, school_id=origin.school_id, month=origin.month, body=body)
        facts.filed(report)
    report.body, report.created_at = body, now
    session.add(report)
    facts.queue_email(
        people=facts.email_recipients(Role.district_officer, origin.school_id),
        occasion=f"monthly-report:{origin.id}",
        subject=f"【心育月报】{school.school} {origin.month[:4]}年{int(origin.month[5:])}月工作报告",
        body_text=body, now=now,
    )
