"""Several inbox items at once: 签收 and 督办 in one transaction, one notice per school, a retry sends nothing."""

import json
from datetime import date

import pytest
from sqlmodel import Session, col, select

from models import AuditEntry, Escalation, OutboxMessage, Task
from tests.chase.test_chase_run import DAY0, run_days
from tests.core.helpers import at
from tests.factories import SchoolFixture, make_school
from xinyu.chase.inbox import InboxError
from xinyu.chase.inbox_bulk import acknowledge_many, notice_many
from xinyu.chase.inbox_page import group_items, inbox_page
from xinyu.cycle import PackBook

NOW = at("2026-10-20", 15)


def escalated(session: Session, book: PackBook) -> tuple[list[SchoolFixture], dict[int, list[int]], int]:
    """Two schools of one district with late work past the district rung: their items by school, the officer."""
    schools = [make_school(session, name="青岛市实验小学"), make_school(session, name="青岛市第二实验小学")]
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 20))
    by_school: dict[int, list[int]] = {}
    for item in session.exec(select(Escalation).order_by(col(Escalation.id))):
        by_school.setdefault(item.school_id, []).append(item.id or 0)
    assert set(by_school) == {s.id for s in schools} and all(len(v) >= 2 for v in by_school.values())
    return schools, by_school, schools[0].people["district_officer"].id or 0


def notices(session: Session) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith("notice:"))))


def test_a_notice_for_many_items_is_one_task_and_one_message_per_school_and_a_retry_sends_nothing(
    session: Session, book: PackBook,
) -> None:
    schools, by_school, officer = escalated(session, book)
    ids = [i for items in by_school.values() for i in items]
    result = notice_many(session, ids, by=officer, workdays=3, text="限期完成并报送整改情况", now=NOW, book=book)
    session.commit()
    assert sorted(result.done) == sorted(ids) and not result.skipped
    assert set(result.notices) == {s.id for s in schools}
    tasks = {t.school_id: t for t in session.exec(select(Task).where(Task.kind == "notice"))}
    assert len(tasks) == 2
    for school in schools:
        task = tasks[school.id]
        assert task.assignee_id == school.people["leader"].id and task.due == date(2026, 10, 23)
        assert f"（{len(by_school[school.id])}项）" in task.title
        for item_id in by_school[school.id]:
            item = session.get(Escalation, item_id)
            assert item is not None and (item.status, item.notice_task_id) == ("acknowledged", task.id)
    sent = notices(session)
    leaders = {s.people["leader"].id for s in schools}
    emails = [m for m in sent if m.channel == "email"]
    assert sorted(m.recipient_id or 0 for m in emails) == sorted(leaders)  # one email to each school's leader
    assert all(f"（{len(by_school[s.id])}项）" in m.subject for s in schools for m in emails
               if m.recipient_id == s.people["leader"].id)

    again = notice_many(session, ids, by=officer, workdays=3, text="限期完成并报送整改情况", now=NOW, book=book)
    session.commit()
    assert again.done == [] and set(again.skipped.values()) == {"noticed"} and not again.notices
    assert len(notices(session)) == len(sent)
    assert len(list(session.exec(select(Task).where(Task.kind == "notice")))) == 2
    audits = list(session.exec(select(AuditEntry).where(AuditEntry.action == "inbox_notice")
                               .order_by(col(AuditEntry.id))))
    assert [json.loads(a.detail)["done"] for a in audits] == [len(ids), 0]
    assert sorted(json.loads(audits[0].detail)["notice_tasks"]) == sorted(t.id for t in tasks.values())


def test_one_item_keeps_the_single_notice_key(session: Session, book: PackBook) -> None:
    _, by_school, officer = escalated(session, book)
    first = next(iter(by_school.values()))[0]
    notice_many(session, [first], by=officer, workdays=3, text="整改", now=NOW, book=book)
    assert {m.dedupe_key.rsplit(":", 2)[0] for m in notices(session)} == {f"notice:{first}"}


def test_bulk_ack_skips_what_is_done_and_refuses_a_foreign_item_whole(session: Session, book: PackBook) -> None:
    _, by_school, officer = escalated(session, book)
    mine = [i for items in by_school.values() for i in items]
    outsider = make_school(session, name="黄岛区第一小学", district_name="黄岛区")
    session.commit()
    with pytest.raises(InboxError, match="本区县负责人"):  # another district's officer
        acknowledge_many(session, mine[:2], by=outsider.people["district_officer"].id or 0, now=NOW)
    session.rollback()
    with pytest.raises(InboxError, match="没有第 999999 项"):
        acknowledge_many(session, [mine[0], 999999], by=officer, now=NOW)
    session.rollback()
    assert session.get(Escalation, mine[0]).status == "new"  # type: ignore[union-attr]
    first = acknowledge_many(session, mine[:2], by=officer, now=NOW)
    second = acknowledge_many(session, mine, by=officer, now=NOW)
    session.commit()
    assert first.done == sorted(mine[:2]) and second.done == sorted(mine[2:])
    assert set(second.skipped) == set(mine[:2])
    assert {session.get(Escalation, i).status for i in mine} == {"acknowledged"}  # type: ignore[union-attr]


def test_the_page_groups_items_by_school_then_step_with_counts(session: Session, book: PackBook) -> None:
    schools, by_school, officer = escalated(session, book)
    district = schools[0].school.district_id
    page = inbox_page(session, district_ids=frozenset({district}), today=date(2026, 10, 20), book=book)
    groups = group_items(page.items)
    assert {g.school_id for g in groups} == {s.id for s in schools}
    for group in groups:
        assert group.count == len(by_school[group.school_id]) == sum(len(s.items) for s in group.steps)
        assert len({s.step for s in group.steps}) == len(group.steps)
        assert group.count_new == group.count
        assert group.most_days == max(i.days_overdue for s in group.steps for i in s.items)
