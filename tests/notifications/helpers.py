"""Small factories for channel tests: an envelope, and a channel run over a list of messages."""

import asyncio
import itertools
from datetime import datetime
from typing import Any

from notifications.channels.base import Channel, DeliveryFailure, Envelope
from xinyu.clock import SHANGHAI

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
