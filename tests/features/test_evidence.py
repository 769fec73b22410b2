"""Evidence: a task without its required fields is refused, naming the field, and nothing changes."""


from pytest_bdd import scenarios, then
from sqlmodel import select

from models import LedgerReview
from tests.features.support import Db, SchoolRef, cycle_of

scenarios("月度闭环/完成任务须留存证据.feature")


@then("本月还没有复核任何台账")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        assert not list(session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle.id)))
