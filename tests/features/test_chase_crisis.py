"""GZ-5.2, GZ-A2.2.7: the crisis fast path — the relay class → grade → school told at once (at night too),
a same-day task to record that the parents were informed, a major case in the district inbox at once."""

from datetime import date

from pytest_bdd import scenarios, then
from sqlmodel import col, select

from models import CrisisCase, OutboxMessage, Task
from tests.features.support import Db, SchoolRef, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)
from tests.features.test_chase_steps import Delivery, person
from xinyu import links
from xinyu.clock import as_local
from xinyu.crisis.opening import CrisisOpened

scenarios("催办与督办/心理危机快速通道.feature")


@then(step_text("{who}收到的邮件标题为“{first}”和“{second}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, first: str, second: str) -> None:
    with db() as session:
        address = person(session, school, who).email
    assert sorted(str(m["Subject"]) for m in delivery.emails_to(address)) == sorted([first, second])


@then(step_text("{who}收到的短信为“{text}”加上该个案危机提醒页的链接"))
def _(db: Db, school: SchoolRef, delivery: Delivery, crisis: CrisisOpened, who: str, text: str) -> None:
    with db() as session:
        phone = person(session, school, who).phone
    link = links.link("crisis_alert_page", base_url="https://xinyu.example.cn", case_id=crisis.case.id)
    assert [s["text"] for s in delivery.sms_to(phone)] == [text + link], delivery.sms_to(phone)


def the_case(db: Db, code: str) -> CrisisCase:
    with db() as session:
        case = session.get(CrisisCase, int(code.removeprefix("C-")))
        assert case is not None, f"C台账中没有个案 {code}"
        return case


@then(step_text("C台账中有个案 {code}，等级为“{level}”"))
def _(db: Db, code: str, level: str) -> None:
    assert the_case(db, code).level == level


@then(step_text("没有为个案 {code} 生成任务，也没有通知任何人"))
def _(db: Db, crisis: CrisisOpened, code: str) -> None:
    case = the_case(db, code)
    assert (crisis.task_id, crisis.relay, crisis.district_escalation_id) == (None, [], None)
    with db() as session:
        assert not list(session.exec(select(Task).where(Task.crisis_case_id == case.id)))
        assert not list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith("crisis:"))))


@then(step_text("个案 {code} 已记录家长通报，日期为 {day:Day}"))
def _(db: Db, code: str, day: date) -> None:
    informed = the_case(db, code).parents_informed_at
    assert informed is not None and as_local(informed).date() == day, informed
