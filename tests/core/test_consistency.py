"""check_consistency: a world run by the real core is consistent, and each invariant broken by hand is caught.

The world (two schools, Qingdao and Ganzhou packs) runs from September into November 2025: late work,
reminders, escalations to the school and the district, a task done after its district escalation,
an acknowledged reminder, extensions approved and waiting, work carried twice, steps never reached.
Each break is one hand-written SQL statement in a transaction that is rolled back afterwards.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session, col, select

from models import Cycle, Escalation, Task
from tests.conftest import TEST_DB
from tests.core.helpers import sample_evidence
from tests.factories import make_school
from xinyu.chase import run_chase
from xinyu.chase.extensions import acknowledge_task, decide_extension, request_extension
from xinyu.clock import parse_at
from xinyu.consistency import check_consistency
from xinyu.cycle import PackBook, advance, complete_task
from xinyu.db import transaction
from xinyu.month_run import run_days
from xinyu.roles import Role


def chase_days(engine: Engine, book: PackBook, first: date, last: date) -> None:
    """Days on which nobody works: only the scheduled advance and chase run."""
    day = first
    while day <= last:
        now = parse_at(f"{day.isoformat()}T17:00")
        with transaction(engine) as session:
            advance(session, now=now, book=book)
            run_chase(session, now=now, book=book)
        day += timedelta(days=1)


def build_world(engine: Engine, book: PackBook) -> None:
    with transaction(engine) as session:
        make_school(session, name="青岛市实验小学", grades=(4,), classes_per_grade=2, pack="qingdao")
        make_school(session, name="赣州市第一中学", district_name="章贡区", grades=(7,), classes_per_grade=2,
                    pack="ganzhou")
    run_days(engine, first=date(2025, 9, 1), last=date(2025, 10, 17), book=book, late_rate=0.5)
    chase_days(engine, book, date(2025, 10, 18), date(2025, 10, 28))
    now = parse_at("2025-10-28T18:00")
    with transaction(engine) as session:
        escalated = session.exec(select(Task).join(Escalation, col(Escalation.task_id) == col(Task.id))
                                 .where(Task.status == "open").order_by(col(Task.id))).all()
        assert len(escalated) >= 3, "the world needs district escalations"
        done, acked, *_ = escalated
        origin = session.get(Cycle, done.origin_cycle_id)
        assert origin is not None
        template = book.template(origin.pack, origin.month, done.step_key, done.template)
        complete_task(session, task_id=done.id or 0, values=sample_evidence(template, now.date()), now=now,
                      book=book)
        acknowledge_task(session, task_id=acked.id or 0, by=acked.assignee_id or 0, now=now)
        waiting = [t for t in session.exec(select(Task).where(Task.status == "open", Task.kind == "step")
                                           .order_by(col(Task.id))) if t.assignee_id][:2]
        for task in waiting:
            request_extension(session, task_id=task.id or 0, by=task.assignee_id or 0, workdays=3,
                              reason="迎检任务冲突", now=now, book=book)
        approved = request_extension(session, task_id=acked.id or 0, by=acked.assignee_id or 0, workdays=2,
                                     reason="家访", now=now, book=book)
        leader = session.execute(text("SELECT person_id FROM role_assignment WHERE role = :r AND school_id = :s"),
                                 {"r": Role.leader.value, "s": acked.school_id}).first()
        assert leader is not None
        decide_extension(session, extension_id=approved.id or 0, by=leader[0], approve=True, now=now, book=book)
    chase_days(engine, book, date(2025, 10, 29), date(2025, 11, 4))


@pytest.fixture
def world(engine: Engine, book: PackBook) -> Engine:
    build_world(engine, book)
    return engine


@dataclass(frozen=True)
class Break:
    name: str
    sql: str
    expect: str  # a phrase of the problem that must be reported
    postgres_only: bool = False  # breaks a unique constraint, which only PostgreSQL can drop in a transaction


OPEN_CYCLE = "(SELECT max(id) FROM cycle WHERE status = 'open')"
CARRIED = "(SELECT min(id) FROM task WHERE status = 'carried')"
SUCCESSOR = f"(SELECT min(id) FROM task WHERE carried_from_id = {CARRIED})"
TASK_COLUMNS = ("cycle_id, origin_cycle_id, school_id, step_id, step_key, template, key, kind, blocks_step, title, "
                "role, assignee_id, class_id, clause, due, status, carried_over, carried_from_id, created_at, "
                "evidence, lineage_id, escalation_level")
ESCALATION_COLUMNS = ("task_id, lineage_id, school_id, district_id, reason, occasion, level, days_overdue, summary, "
                      "status")

BREAKS = [
    Break("a second cycle for a school and month",
          "INSERT INTO cycle (school_id, month, pack, pack_version, variant, status) "
          "SELECT school_id, month, pack, pack_version, variant, 'closed' FROM cycle WHERE id = " + OPEN_CYCLE,
          "个周期", postgres_only=True),
    Break("an old cycle reopened",
          "UPDATE cycle SET status = 'open', closed_at = NULL WHERE id = (SELECT min(id) FROM cycle)",
          "个进行中的周期"),
    Break("a closed cycle without its closing time",
          "UPDATE cycle SET closed_at = NULL WHERE id = (SELECT min(id) FROM cycle)", "没有结束时间"),
    Break("a step renumbered",
          f'UPDATE step SET "order" = "order" + 10 WHERE cycle_id = {OPEN_CYCLE} AND "order" = 2', "步骤序号"),
    Break("a step that is not the pack's",
          f"UPDATE step SET key = 'bogus' WHERE cycle_id = {OPEN_CYCLE} AND status = 'pending' "
          f'AND "order" = (SELECT max("order") FROM step WHERE cycle_id = {OPEN_CYCLE})', "政策包为"),
    Break("the last step done before its predecessors",
          "UPDATE step SET status = 'done', opened_at = (SELECT max(opened_at) FROM step), due = calendar_due, "
          "done_at = (SELECT max(opened_at) FROM step) "
          f'WHERE cycle_id = {OPEN_CYCLE} AND "order" = (SELECT max("order") FROM step WHERE cycle_id = {OPEN_CYCLE})',
          "但前一步骤"),
    Break("a step opened before its earliest day",
          "UPDATE step SET earliest = '2026-12-31' WHERE id = (SELECT min(id) FROM step WHERE status = 'done')",
          "早于其最早开启日"),
    Break("an open step without its opening time",
          "UPDATE step SET opened_at = NULL WHERE id = (SELECT min(id) FROM step WHERE status = 'open')",
          "不相符"),
    Break("a carried step in a closed month set back to pending",
          "UPDATE step SET status = 'pending' WHERE id = (SELECT min(id) FROM step WHERE status = 'carried')",
          "而周期"),
    Break("a step set back to pending though it has tasks",
          "UPDATE step SET status = 'pending', opened_at = NULL WHERE id = "
          f"(SELECT max(id) FROM step WHERE status = 'open' AND cycle_id = {OPEN_CYCLE})",
          "却已有任务"),
    Break("a done step with a blocking task open",
          "UPDATE task SET status = 'open', completed_at = NULL WHERE id = (SELECT min(t.id) FROM task t "
          "JOIN step s ON s.id = t.step_id WHERE s.status = 'done' AND t.blocks_step = TRUE)",
          "其必做任务"),
    Break("a done ledger step whose ledger review is gone",
          "DELETE FROM ledger_review WHERE id = (SELECT min(r.id) FROM ledger_review r JOIN step s "
          "ON s.cycle_id = r.cycle_id AND s.key = 'ledgers' WHERE s.status = 'done')", "未审核"),
    Break("a step task created twice",
          f"INSERT INTO task ({TASK_COLUMNS}) SELECT cycle_id, origin_cycle_id, school_id, step_id, step_key, "
          "template, key || '-again', kind, blocks_step, title, role, assignee_id, class_id, clause, due, status, "
          "carried_over, carried_from_id, created_at, evidence, lineage_id, escalation_level FROM task "
          "WHERE id = (SELECT min(id) FROM task WHERE step_id IS NOT NULL)", "项任务（#"),
    Break("a system task created twice in two months",
          f"INSERT INTO task ({TASK_COLUMNS}) SELECT {OPEN_CYCLE}, origin_cycle_id, school_id, NULL, step_key, "
          "template, key, kind, blocks_step, title, role, assignee_id, class_id, clause, due, status, "
          "carried_over, carried_from_id, created_at, evidence, lineage_id, escalation_level FROM task "
          f"WHERE id = (SELECT min(id) FROM task WHERE kind = 'rectification' AND carried_from_id IS NULL "
          f"AND cycle_id <> {OPEN_CYCLE})", "出现 2 次"),
    Break("a carried task open again in its closed month",
          f"UPDATE task SET status = 'open' WHERE id = {CARRIED}", "而其周期"),
    Break("carried work lost (its successor no longer points back)",
          f"UPDATE task SET carried_from_id = NULL, lineage_id = NULL WHERE id = {SUCCESSOR}", "（应为 1 项）"),
    Break("work carried twice",
          f"INSERT INTO task ({TASK_COLUMNS}) SELECT cycle_id, origin_cycle_id, school_id, step_id, step_key, "
          "template, key || '-again', kind, blocks_step, title, role, assignee_id, class_id, clause, due, 'done', "
          "carried_over, carried_from_id, created_at, evidence, lineage_id, escalation_level FROM task "
          f"WHERE id = {SUCCESSOR}",
          "（应为 1 项）"),
    Break("a carried chain that lost its lineage",
          f"UPDATE task SET lineage_id = lineage_id + 100000 WHERE id = {SUCCESSOR}", "结转链、学校或工作内容"),
    Break("carried work that changed owner class",
          "UPDATE task SET class_id = NULL WHERE id = (SELECT min(n.id) FROM task n "
          "WHERE n.carried_from_id IS NOT NULL AND n.class_id IS NOT NULL)", "结转链、学校或工作内容"),
    Break("carried into a month that is not the next one",
          f"UPDATE task SET cycle_id = (SELECT max(c.id) FROM cycle c JOIN task p ON p.school_id = c.school_id "
          f"WHERE p.id = {SUCCESSOR}) WHERE id = {SUCCESSOR} AND cycle_id <> (SELECT max(c.id) FROM cycle c "
          f"JOIN task p ON p.school_id = c.school_id WHERE p.id = {SUCCESSOR})",
          "不是该校的下一个月"),
    Break("a step never reached that was not carried as missed work",
          "UPDATE task SET kind = 'step' WHERE kind = 'missed'", "补做任务（应为 1 项）"),
    Break("two open tasks in one carried chain",
          f"INSERT INTO task ({TASK_COLUMNS}) SELECT cycle_id, origin_cycle_id, school_id, NULL, step_key, "
          "template, key || '-again', kind, blocks_step, title, role, assignee_id, class_id, clause, due, status, "
          "carried_over, carried_from_id, created_at, evidence, lineage_id, escalation_level FROM task "
          "WHERE id = (SELECT min(id) FROM task WHERE status = 'open' AND carried_from_id IS NOT NULL)",
          "项进行中的任务"),
    Break("a rung fired twice",
          "INSERT INTO chase_event (task_id, lineage_id, school_id, rung, occasion, level, \"offset\", fired_at) "
          "SELECT task_id, lineage_id, school_id, rung, occasion, level, \"offset\", fired_at FROM chase_event "
          "WHERE id = (SELECT min(id) FROM chase_event)", "记录了 2 次", postgres_only=True),
    Break("a chase event on another chain",
          "UPDATE chase_event SET lineage_id = lineage_id + 100000 WHERE id = (SELECT min(id) FROM chase_event)",
          "的结转链或学校不符"),
    Break("an escalation level no rung reached",
          "UPDATE task SET escalation_level = 'district' WHERE id = (SELECT min(id) FROM task WHERE status = 'open' "
          "AND escalation_level = 'none')", "的该级催办记录"),
    Break("a district rung without its inbox item",
          "DELETE FROM escalation WHERE id = (SELECT min(id) FROM escalation WHERE reason = 'overdue')",
          "督办箱却没有该事项"),
    Break("a reminder after the acknowledgement",
          "UPDATE task SET acknowledged_at = created_at WHERE id = (SELECT min(t.id) FROM task t JOIN chase_event e "
          "ON e.task_id = t.id WHERE t.status = 'open' AND e.level = 'reminder' AND e.fired_at > t.created_at)",
          "之后仍有提醒"),
    Break("two unresolved escalations of one chain",
          f"INSERT INTO escalation ({ESCALATION_COLUMNS}) SELECT task_id, lineage_id, school_id, district_id, reason, "
          "'2025-01-01', level, days_overdue, summary, 'new' FROM escalation "
          "WHERE id = (SELECT min(id) FROM escalation WHERE status <> 'resolved')", "个未办结的"),
    Break("an unresolved escalation whose work is done",
          f"INSERT INTO escalation ({ESCALATION_COLUMNS}) SELECT t.id, coalesce(t.lineage_id, t.id), t.school_id, "
          "s.district_id, 'overdue', '2025-01-01', 'district', 5, 'x', 'new' FROM task t JOIN school s "
          "ON s.id = t.school_id WHERE t.id = (SELECT min(id) FROM task WHERE status = 'done')",
          "已没有进行中的任务"),
    Break("a resolved escalation without its time",
          "UPDATE escalation SET resolved_at = NULL WHERE id = (SELECT min(id) FROM escalation "
          "WHERE status = 'resolved')", "与其时间记录不符"),
    Break("two extension requests waiting for one task",
          "INSERT INTO extension (task_id, requested_at, reason, workdays, status, decision_note, previous_due, "
          "new_due) "
          "SELECT task_id, requested_at, reason, workdays, 'requested', '', previous_due, new_due FROM extension "
          "WHERE id = (SELECT min(id) FROM extension WHERE status = 'requested')", "个待审批的延期申请"),
    Break("an extension request left on carried work",
          "UPDATE extension SET task_id = " + CARRIED + " WHERE id = (SELECT min(id) FROM extension "
          "WHERE status = 'requested')", "申请应随任务结转"),
    Break("a message sent without a send time",
          "UPDATE outbox SET status = 'sent' WHERE id = (SELECT min(id) FROM outbox)", "与之不符"),
    Break("a message both delivered and pending",
          "UPDATE outbox SET sent_at = created_at WHERE id = (SELECT min(id) FROM outbox WHERE status = 'queued')",
          "与之不符"),
    Break("a message queued twice under one key",
          "INSERT INTO outbox (dedupe_key, channel, address, subject, body_text, params, status, attempts) "
          "SELECT dedupe_key, channel, address, subject, body_text, params, status, attempts FROM outbox "
          "WHERE id = (SELECT min(id) FROM outbox)", "出现 2 次", postgres_only=True),
]


def test_a_world_run_by_the_core_is_consistent(world: Engine, book: PackBook) -> None:
    with Session(world) as session:
        assert check_consistency(session, book) == []
        counts = {status: n for status, n in session.execute(text("SELECT status, count(*) FROM task GROUP BY status"))}
        assert counts.get("carried", 0) > 0 and counts.get("open", 0) > 0
        assert session.execute(text("SELECT count(*) FROM task WHERE kind = 'missed'")).one()[0] > 0
        assert session.execute(text("SELECT count(*) FROM escalation WHERE status = 'resolved'")).one()[0] > 0
        assert session.execute(text("SELECT count(*) FROM escalation WHERE status <> 'resolved'")).one()[0] > 0


def test_each_broken_invariant_is_caught(world: Engine, book: PackBook) -> None:
    missed = []
    for case in BREAKS:
        if case.postgres_only and TEST_DB != "postgresql":
            continue
        with world.connect() as conn:
            conn.begin()
            if case.postgres_only:
                _drop_unique_constraints(conn)
            changed = conn.execute(text(case.sql)).rowcount
            assert changed >= 1, f"{case.name}: the break changed nothing (the world lacks what it needs)"
            with Session(bind=conn) as session:
                problems = check_consistency(session, book)
            conn.rollback()
        if not any(case.expect in p for p in problems):
            missed.append(f"{case.name}: expected “{case.expect}” in {problems}")
    assert not missed, "\n".join(missed)


def _drop_unique_constraints(conn: Connection) -> None:
    """PostgreSQL only (DDL rolls back): the unique keys that would refuse the duplicate rows."""
    for table, name in conn.execute(text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'u' "
            "AND conrelid::regclass::text IN ('cycle', 'chase_event', 'outbox')")):
        conn.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
    for (index,) in conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('cycle', 'chase_event', 'outbox') "
            "AND indexdef LIKE 'CREATE UNIQUE INDEX%' AND indexname NOT LIKE '%_pkey'")):
        conn.execute(text(f'DROP INDEX "{index}"'))


def test_the_check_command_says_consistent_or_lists_the_problems(
    world: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from xinyu.cli import main

    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("一致：") and len(out.strip().splitlines()) == 1
    with world.begin() as conn:
        conn.execute(text(f"UPDATE task SET status = 'open' WHERE id = {CARRIED}"))
    assert main(["check"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"不一致：{len(lines) - 1} 处问题" and any("而其周期" in line for line in lines)
