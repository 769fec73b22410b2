"""What every channel shares: the message it is handed, its declared limits, and how it fails.

A channel sends one message or raises. It never answers False: the dispatcher records every
failure on the outbox row and decides, from the kind raised, whether to try again later.
"""

import time
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar


class DeliveryFailure(Exception):
    """A send that did not happen; `reason` is short, Chinese, and goes into outbox.last_error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:480]


class TemporaryFailure(DeliveryFailure):
    """Try again later: the server was busy, unreachable, slow, or refused for now (4xx, 5xx HTTP)."""


class PermanentFailure(DeliveryFailure):
    """Never try again: the address or the message itself is refused (bad mailbox, bad number)."""


class Deferred(TemporaryFailure):
    """Not tried at all: held back on our side (a provider's rate limit), so it does not count as an attempt."""

    def __init__(self, reason: str, *, retry_after: timedelta = timedelta(minutes=1)) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Unreachable(Deferred):
    """The server could not be reached at all (refused, no route, name unknown, no greeting in time):
    nothing of the message left here, so a retry cannot duplicate it, and it says nothing about the
    message, so it is not an attempt. An outage of any length then delays messages and never fails
    them for good (attempts are for servers that answer and refuse); the dispatcher also stops trying
    the channel for the rest of its run. Retried at the next scheduled run (every 5 minutes)."""

    def __init__(self, reason: str, *, retry_after: timedelta = timedelta(minutes=5)) -> None:
        super().__init__(reason, retry_after=retry_after)


@dataclass(frozen=True, slots=True)
class Envelope:
    """One claimed outbox row, as much of it as a channel needs (channels know nothing of the database)."""

    id: int
    dedupe_key: str
    channel: str
    address: str
    subject: str = ""
    body_text: str = ""
    body_html: str | None = None
    template: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    attempt: int = 1  # the n-th attempt this send will be (attempts recorded so far + 1)


class Channel(ABC):
    """One way out. Subclasses declare their limits and implement `send`; `open`/`close` hold
    whatever connections they reuse across a dispatch run."""

    name: ClassVar[str]
    title_maxlen: ClassVar[int | None] = None
    body_maxlen: ClassVar[int | None] = None  # characters, or bytes where `body_limit_in_bytes`
    body_limit_in_bytes: ClassVar[bool] = False
    per_address_per_minute: ClassVar[int | None] = None  # the provider's own rate limit per recipient
    concurrency: int = 1  # messages in flight at once (an instance may set it, e.g. an SMTP pool)

    def __init__(self) -> None:
        self._recent: defaultdict[str, deque[float]] = defaultdict(deque)

    async def open(self) -> None:  # noqa: B027  (optional hook)
        """Acquire what the channel reuses (clients, pools); called once before the first send."""

    async def close(self) -> None:  # noqa: B027  (optional hook)
        """Release it; called once at the end of a dispatch run."""

    async def deliver(self, message: Envelope) -> None:
        """Send within the declared rate: a message over it is deferred, not sent and refused."""
        self._take_rate_slot(message.address)
        await self.send(message)

    @abstractmethod
    async def send(self, message: Envelope) -> None:
        """Send one message or raise TemporaryFailure / PermanentFailure."""

    def clip_title(self, text: str) -> str:
        return clip(text, self.title_maxlen)

    def clip_body(self, text: str) -> str:
        return clip(text, self.body_maxlen, in_bytes=self.body_limit_in_bytes)

    def _take_rate_slot(self, address: str) -> None:
        if self.per_address_per_minute is None:
            return
        # The provider would refuse the excess anyway (and some count the refusal against us).
        recent, now = self._recent[address], time.monotonic()
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= self.per_address_per_minute:
            raise Deferred(f"超过每分钟{self.per_address_per_minute}条的发送频率限制，稍后发送")
        recent.append(now)


def clip(text: str, limit: int | None, *, in_bytes: bool = False) -> str:
    """`text` cut to `limit` characters (or UTF-8 bytes), ending with … when cut."""
    if limit is None:
        return text
    if not in_bytes:
        return text if len(text) <= limit else text[: limit - 1] + "…"
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - len("…".encode())].decode(errors="ignore") + "…"
