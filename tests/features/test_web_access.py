"""GZ-5.3, GZ-A2.1.2 through the web app: crisis cases for their handler and the ledger C readers only (each read
audited), homeroom teachers within their class, district officers without student names."""

from typing import Any

from fastapi.testclient import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from models import AuditEntry, CourseRecord, SchoolClass
from tests.web.app_fixtures import ClientFor
from tests.web.world import World

scenarios("网页端/按角色查看与保密.feature")

ROLES = {"专职心理教师": "psych", "组长": "leader", "班主任": "homeroom", "区县负责人": "officer"}


class Seen(dict[str, Any]):
    """What each person got back, by role."""


@given("一个区县的示范学校已运行到 2026-10-20，专职心理教师是一例严重心理危机个案的处置人", target_fixture="seen")
def _(world: World, world_engine: Engine) -> Seen:
    assert world.crisis_case_id is not None
    seen = Seen()
    seen["audit_before"] = _crisis_reads(world_engine)
    return seen


@when(parsers.parse("{who}在网页上打开该危机个案"))
def _(who: str, client_for: ClientFor, world: World, seen: Seen) -> None:
    client = client_for(ROLES[who])
    seen[who] = client.get(f"/schools/{world.school_id}/crisis/{world.crisis_case_id}")


@then("两人都看到了该个案")
def _(seen: Seen, world: World) -> None:
    for who in ("专职心理教师", "组长"):
        assert seen[who].status_code == 200, who
        assert f"C-{world.crisis_case_id}" in seen[who].text


@then("审计日志为每次查看各记一条，只写个案编号，不写学生姓名")
def _(world_engine: Engine, world: World, seen: Seen) -> None:
    with Session(world_engine) as session:
        reads = list(session.exec(select(AuditEntry).where(AuditEntry.action == "read_crisis")
                                  .order_by(col(AuditEntry.id))))
    new = reads[seen["audit_before"]:]
    assert sorted(r.actor_id for r in new) == sorted(world.accounts[k].person_id for k in ("psych", "leader"))
    assert all(r.target == f"crisis:{world.crisis_case_id}" for r in new)
    assert not [n for r in new for n in world.student_names if n in r.detail + r.target]


@then("两人得到的答复都是“不存在”")
def _(seen: Seen) -> None:
    for who in ("班主任", "区县负责人"):
        assert seen[who].status_code == 404, who


@then("审计日志中没有新的查看记录")
def _(world_engine: Engine, seen: Seen) -> None:
    assert _crisis_reads(world_engine) == seen["audit_before"]


@when("班主任为本校另一个班记录一节心理健康教育课")
def _(client_for: ClientFor, world: World, world_engine: Engine, seen: Seen) -> None:
    other = _another_class(world_engine, world)
    seen["records_before"] = _count(world_engine, CourseRecord)
    client = client_for("homeroom")
    seen["record"] = client.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": other, "kind": "lesson", "held_on": "2026-10-20", "topic": "认识情绪，学会调节"})
    seen["client"] = client


@then("记录被拒绝，课程记录没有增加")
def _(seen: Seen, world_engine: Engine) -> None:
    assert seen["record"].status_code in (403, 404)
    assert _count(world_engine, CourseRecord) == seen["records_before"]


@then("班主任查看另一个班的台账被拒绝")
def _(seen: Seen, world: World, world_engine: Engine) -> None:
    client: TestClient = seen["client"]
    other = _another_class(world_engine, world)
    assert client.get(f"/schools/{world.school_id}/ledgers?class={other}").status_code == 404
    assert client.get(f"/api/schools/{world.school_id}/ledgers/all?class={other}").status_code == 404


@when("区县负责人打开督办收件箱、数据看板、学校看板、各校月度看板和课程“1+1”表")
def _(client_for: ClientFor, world: World, seen: Seen) -> None:
    client = client_for("officer")
    paths = ["/district/inbox", "/api/district/inbox?status=all", "/district/dashboard", "/api/district/on-time",
             "/district/board", "/api/district/board"]
    for school in (world.school_id, world.other_school_id):
        paths += [f"/schools/{school}/board", f"/api/schools/{school}/board", f"/schools/{school}/courses",
                  f"/api/schools/{school}/courses/grid", f"/schools/{school}/year"]
    seen["officer"] = {path: client.get(path) for path in paths}


@then("每个页面都能打开")
def _(seen: Seen) -> None:
    assert {path: r.status_code for path, r in seen["officer"].items() if r.status_code != 200} == {}


@then("所有页面和接口返回的内容中都没有任何学生姓名")
def _(seen: Seen, world: World) -> None:
    assert len(world.student_names) > 30
    leaks = {path: name for path, r in seen["officer"].items() for name in world.student_names if name in r.text}
    assert leaks == {}


def _crisis_reads(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action == "read_crisis")).one()


def _count(engine: Engine, table: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _another_class(engine: Engine, world: World) -> int:
    with Session(engine) as session:
        other = session.exec(select(SchoolClass.id).where(SchoolClass.school_id == world.school_id,
                                                          SchoolClass.id != world.accounts["homeroom"].class_id)
                             .order_by(col(SchoolClass.id))).first()
    assert other is not None
    return other
