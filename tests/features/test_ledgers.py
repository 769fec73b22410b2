"""QD-ANNEX: the ledger step is done only when each of the ledgers A–D was reviewed this month."""


from pytest_bdd import scenarios, then
from sqlmodel import col, select

from models import LedgerReview
from tests.features.support import Db, SchoolRef, cycle_of, describe_holder, step_text
from xinyu.clock import as_local

scenarios("台账/四类工作台账月度更新.feature")


@then(step_text("本月已复核的台账为 {letters}"))
def _(db: Db, school: SchoolRef, letters: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        reviewed = list(session.exec(select(LedgerReview.ledger).where(LedgerReview.cycle_id == cycle.id)
                                     .order_by(col(LedgerReview.ledger))))
    assert reviewed == letters.split("、")


@then("本月台账复核记录为：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        cycle = cycle_of(session, school)
        actual = []
        for review in session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle.id)
                                   .order_by(col(LedgerReview.ledger))):
            assert review.reviewed_at is not None
            values = {"台账": review.ledger, "复核人": describe_holder(session, review.reviewed_by_id),
                      "本月新增或更新条数": str(review.changed),
                      "复核日期": as_local(review.reviewed_at).date().isoformat()}
            actual.append([values[h] for h in header])
    assert actual == rows
