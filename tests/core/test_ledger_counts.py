"""What a ledger reviewer reports as "added or changed this month" (QD-ANNEX), counted from the ledgers."""

from datetime import date

from sqlmodel import Session

from models import KeyStudentPlan, ScreeningRecord, TalkRecord
from tests.core.helpers import add_crisis_cases, at
from tests.factories import make_school
from xinyu.cycle.actions.ledger import ledger_rows_in_month


def test_rows_are_counted_in_the_month_they_were_added_or_changed(session: Session) -> None:
    school = make_school(session)
    (case,) = add_crisis_cases(session, school, ["甲同学"])  # screened 2026-09-20, case opened 2026-09-25
    student = case.student_id
    session.add(ScreeningRecord(school_id=school.id, student_id=student, screened_on=date(2026, 10, 31),
                                scale="MHT", total_score=60.0, level="中度", method="online"))
    # Opened in September, updated on 1 October 00:30 Beijing time (still 30 September in UTC).
    session.add(KeyStudentPlan(school_id=school.id, student_id=student, opened_on=date(2026, 9, 28),
                               updated_at=at("2026-10-01", 0, 30)))
    session.add(TalkRecord(school_id=school.id, student_id=student, kind="谈心", held_on=date(2026, 11, 1)))
    case.updated_at = at("2026-09-30", 23, 59)
    session.flush()

    counts = {ledger: ledger_rows_in_month(session, ledger, school.id, "2026-10") for ledger in "ABCD"}
    assert counts == {"A": 1, "B": 1, "C": 0, "D": 0}
    september = {ledger: ledger_rows_in_month(session, ledger, school.id, "2026-09") for ledger in "ABCD"}
    assert september == {"A": 1, "B": 1, "C": 1, "D": 0}
