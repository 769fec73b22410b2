"""Small factories: an envelope, a channel run over messages, outbox rows queued as producers queue them."""

import asyncio
import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import OutboxMessage
from notifications.channels.base import Channel, DeliveryFailure, Envelope
from notifications.outbox import message_row, queue_rows
from xinyu.clock import SHANGHAI
from xinyu.db import transaction

_ids = itertools.count(1)


def envelope(address: str, **fields: Any) -> Envelope:
    n = next(_ids)
    defaults: dict[str, Any] = {
        "id": n, "dedupe_key": f"test:{n}:email", "channel": "email", "subject": "十月心育工作提醒",
        "body_text": "您好：\n本月还有 2 项工作待完成。",
        "body_html": "<p>您好：</p><p>本月还有 <b>2</b> 项工作待完成。</p>",
        "created_at": datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI),
    }
    return Envelope(address=address, **(defaults | fields))


def outcomes(channel: Channel, messages: list[Envelope]) -> list[DeliveryFailure | None]:
    """Each message's outcome, one after another on one opened channel (so later ones prove it recovered)."""

    async def run() -> list[DeliveryFailure | None]:
        await channel.open()
        results: list[DeliveryFailure | None] = []
        try:
            for message in messages:
                try:
                    await channel.deliver(message)
                    results.append(None)
                except DeliveryFailure as failure:
                    results.append(failure)
        finally:
            await channel.close()
        return results

    return asyncio.run(run())


def kind(outcome: DeliveryFailure | None) -> str:
    return "sent" if outcome is None else type(outcome).__name__


def queue(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Rows straight into the outbox, the way producers queue them (their own transaction)."""
    with transaction(engine) as session:
        queue_rows(session, rows)


def email_row(n: int, *, now: datetime, address: str | None = None, **fields: Any) -> dict[str, Any]:
    return message_row(dedupe_key=f"test:{n}:email", channel="email", address=address or f"ok{n}@school.example.cn",
                       subject=f"心育工作提醒（{n}）", body_text=f"第{n}封", body_html=f"<p>第{n}封</p>", now=now,
                       **fields)


def sms_row(n: int, *, now: datetime, number: str | None = None, **fields: Any) -> dict[str, Any]:
    params = {"count": "2", "overdue": "0", "earliest": "10月13日", "link": "https://xinyu.example/my"}
    return message_row(dedupe_key=f"test:{n}:sms", channel="sms", address=number or f"1380000{n:04d}",
                       body_text="", template="chase_digest", params=params, now=now, **fields)


def rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
