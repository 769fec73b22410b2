"""What the ledger step counts as 本月新增/更新 (QD-ANNEX), from the rows' own timestamps (Asia/Shanghai month)."""

from datetime import date

from sqlmodel import Session

from models import KeyStudentPlan, ScreeningRecord, TalkRecord
from tests.core.helpers import add_crisis_cases, at
from tests.factories import make_school
from xinyu.cycle.actions.ledger import ledger_rows_in_month
from xinyu.ledgers.monthly_counts import MonthCounts, month_counts


def test_rows_are_counted_in_the_month_they_were_added_or_changed(session: Session) -> None:
    school = make_school(session)
    (case,) = add_crisis_cases(session, school, ["甲同学"])  # case opened 2026-09-25
    student = case.student_id
    # Added on 31 October 23:30 Beijing time (still October; 15:30 UTC).
    session.add(ScreeningRecord(school_id=school.id, student_id=student, screened_on=date(2026, 10, 31),
                                scale="MHT", total_score=60.0, level="中度", method="online",
                                created_at=at("2026-10-31", 23, 30), updated_at=at("2026-10-31", 23, 30)))
    # Added in September, changed on 1 October 00:30 Beijing time (still 30 September in UTC): an October update.
    session.add(KeyStudentPlan(school_id=school.id, student_id=student, opened_on=date(2026, 9, 28),
                               created_at=at("2026-09-28", 9), updated_at=at("2026-10-01", 0, 30)))
    # Added on 1 November 00:10 Beijing time (31 October in UTC): November's.
    session.add(TalkRecord(school_id=school.id, student_id=student, kind="谈心", held_on=date(2026, 11, 1),
                           created_at=at("2026-11-01", 0, 10), updated_at=at("2026-11-01", 0, 10)))
    case.updated_at = at("2026-09-30", 23, 59)
    session.flush()

    october = {ledger: month_counts(session, ledger, school.id, "2026-10") for ledger in "ABCD"}
    assert october == {"A": MonthCounts(1, 0), "B": MonthCounts(0, 1), "C": MonthCounts(0, 0),
                       "D": MonthCounts(0, 0)}
    september = {ledger: month_counts(session, ledger, school.id, "2026-09") for ledger in "ABCD"}
    assert september == {"A": MonthCounts(0, 0), "B": MonthCounts(1, 0), "C": MonthCounts(1, 0),
                         "D": MonthCounts(0, 0)}
    assert month_counts(session, "D", school.id, "2026-11") == MonthCounts(1, 0)
    assert [ledger_rows_in_month(session, ledger, school.id, "2026-10") for ledger in "ABCD"] == [1, 1, 0, 0]
