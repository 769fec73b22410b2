"""QD-S2: the district inbox — items listed with days overdue, acknowledged, answered with a notice that
becomes a rectification task for the school leader, resolved when the work is done or extended."""

from datetime import datetime
from typing import Any

from pytest_bdd import given, scenarios, when

from tests.features.support import Db, SchoolRef, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)
from tests.features.test_chase_steps import district_officers
from xinyu.chase.inbox import acknowledge, issue_notice, list_escalations
from xinyu.clock import local_date
from xinyu.cycle import PackBook

scenarios("催办与督办/区县督办箱.feature")


def open_item(session: Any, book: PackBook, school: SchoolRef, school_name: str, title: str,
              at: datetime) -> int:
    items = [i for i in list_escalations(session, today=local_date(at), book=book)
             if i["school"] == school_name and title in i["summary"] and i["status"] != "resolved"]
    assert len(items) == 1, f"督办箱中{school_name}的“{title}”应有且只有一项待办结：{items}"
    return int(items[0]["id"])


@when(step_text("区县负责人于 {at:At} 签收督办箱中{school_name}的“{title}”"))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, school_name: str, title: str) -> None:
    with db() as session:
        officer = district_officers(session, school)[0]
        assert officer.id is not None
        acknowledge(session, escalation_id=open_item(session, book, school, school_name, title, at), by=officer.id,
                    now=at)


@given(step_text("区县负责人于 {at:At} 就{school_name}的“{title}”下发督办通知，限{n:d}个工作日整改，要求为“{text}”"))
@when(step_text("区县负责人于 {at:At} 就{school_name}的“{title}”下发督办通知，限{n:d}个工作日整改，要求为“{text}”"))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, school_name: str, title: str, n: int,
      text: str) -> None:
    with db() as session:
        officer = district_officers(session, school)[0]
        assert officer.id is not None
        issue_notice(session, escalation_id=open_item(session, book, school, school_name, title, at),
                     by=officer.id, workdays=n, text=text, now=at, book=book)
