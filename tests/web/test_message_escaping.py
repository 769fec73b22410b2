"""Markup typed by people reaches other people's mailboxes as text: an extension reason (to the leader) and a
district notice (督办, to the leader), through the real core, as queued in the outbox."""

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Escalation, OutboxMessage, Task
from tests.web.district_fixtures import raise_escalations
from tests.web.world import NOW, World
from xinyu.chase.extensions import request_extension
from xinyu.chase.inbox import issue_notice
from xinyu.cycle import PackBook
from xinyu.db import transaction

MARKUP = '<script>alert(1)</script><a href="https://evil.example/login">点此重新登录</a>'


def emails(engine: Engine, key_prefix: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith(key_prefix),
                                                             OutboxMessage.channel == "email")))


def assert_shown_as_text(messages: list[OutboxMessage]) -> None:
    assert messages
    for message in messages:
        assert message.body_html is not None
        assert "<script>" not in message.body_html and 'href="https://evil.example' not in message.body_html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.body_html
        assert MARKUP in message.body_text and "&lt;" not in message.body_text  # the text part stays plain


def test_an_extension_reason_with_markup_is_escaped_in_the_leaders_mail(world_engine: Engine, world: World,
                                                                        packs_dir_session: Path) -> None:
    book = PackBook(world_engine)
    with transaction(world_engine) as session:
        task = session.exec(select(Task).where(Task.school_id == world.school_id, Task.status == "open",
                                               col(Task.assignee_id).is_not(None), Task.kind != "crisis")
                            .order_by(col(Task.id))).first()
        assert task is not None and task.id is not None and task.assignee_id is not None
        extension = request_extension(session, task_id=task.id, by=task.assignee_id, workdays=2, reason=MARKUP,
                                      now=NOW, book=book)
    assert_shown_as_text(emails(world_engine, f"extension:{extension.id}:asked"))


def test_a_district_notice_with_markup_is_escaped_in_the_leaders_mail(world_engine: Engine, world: World,
                                                                     packs_dir_session: Path) -> None:
    book = PackBook(world_engine)
    raise_escalations(world_engine, book)
    with transaction(world_engine) as session:
        item = session.exec(select(Escalation).where(Escalation.district_id == world.district_id,
                                                     Escalation.status != "resolved")).first()
        assert item is not None and item.id is not None
        issue_notice(session, escalation_id=item.id, by=world.accounts["officer"].person_id, workdays=3,
                     text=MARKUP, now=NOW, book=book)
    assert_shown_as_text(emails(world_engine, f"notice:{item.id}"))
