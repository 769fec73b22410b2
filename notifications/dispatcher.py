"""Send what the outbox holds: claim ready rows, send them concurrently per channel, record each outcome.

Recorded as they come, in small commits (notifications/recorder.py): after a SIGKILL only messages
claimed and not yet recorded can go out a second time (when their lease runs out); a recorded send
is never repeated and a queued message is never dropped. `now` is the business clock (`--at`): it
decides what is due (quiet hours, backoff). Leases use the wall clock: they guard against real dead
processes.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from notifications.channels.base import (
    Channel,
    Deferred,
    DeliveryFailure,
    Envelope,
    PermanentFailure,
    TemporaryFailure,
    Unreachable,
)
from notifications.claims import Outcome, claim, held_counts
from notifications.recorder import Recorder
from notifications.routing import channels_from_settings, file_channels
from xinyu.settings import Settings, get_settings

logger = logging.getLogger(__name__)
OUTCOMES = ("sent", "retried", "failed", "held")


@dataclass(frozen=True)
class FailedMessage:
    id: int
    channel: str
    address: str
    reason: str


@dataclass
class DispatchResult:
    """What one run did, per (channel, outcome); `failures` lists this run's permanent failures."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[FailedMessage] = field(default_factory=list)

    def count(self, outcome: str, channel: str | None = None) -> int:
        return sum(n for (ch, out), n in self.counts.items() if out == outcome and channel in (None, ch))

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def retried(self) -> int:
        return self.count("retried")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def held(self) -> int:
        return self.count("held")

    def as_dict(self) -> dict[str, int]:
        per_channel = {f"{ch}.{o}": n for (ch, o), n in sorted(self.counts.items())}
        return {**{o: self.count(o) for o in OUTCOMES}, **per_channel}


def dispatch(engine: Engine, *, now: datetime, channels: dict[str, Channel] | None = None,
             settings: Settings | None = None, worker: str | None = None,
             key_prefix: str | None = None) -> DispatchResult:
    """Send every message due at `now` (only those whose dedupe key starts with `key_prefix`, if given),
    from synchronous code (CLI, demo, tests, a web request's background task)."""
    return asyncio.run(dispatch_async(engine, now=now, channels=channels, settings=settings, worker=worker,
                                      key_prefix=key_prefix))


def dispatch_to_files(engine: Engine, *, now: datetime, folder: os.PathLike[str] | str) -> DispatchResult:
    """The embedded default whatever the settings say: every message to files in `folder`."""
    return dispatch(engine, now=now, channels=file_channels(Path(folder), sender=get_settings().mail_from))


async def dispatch_async(engine: Engine, *, now: datetime, channels: dict[str, Channel] | None = None,
                         settings: Settings | None = None, worker: str | None = None,
                         wall: Callable[[], datetime] = lambda: datetime.now(UTC),
                         key_prefix: str | None = None) -> DispatchResult:
    settings = settings or get_settings()
    run = _Run(engine, now=now, settings=settings, worker=worker or default_worker(), wall=wall,
               channels=channels_from_settings(settings) if channels is None else channels)
    run.key_prefix = key_prefix
    return await run.all()


def default_worker() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class _Run:
    def __init__(self, engine: Engine, *, now: datetime, settings: Settings, worker: str,
                 wall: Callable[[], datetime], channels: dict[str, Channel]) -> None:
        self.engine, self.now, self.settings, self.worker, self.wall = engine, now, settings, worker, wall
        self.channels, self.opened = channels, set[str]()
        self.down: dict[str, Unreachable] = {}  # channels whose server could not be reached in this run
        self.result = DispatchResult()
        self.recorder = Recorder(engine, now=now, worker=worker)
        self.key_prefix: str | None = None

    async def all(self) -> DispatchResult:
        try:
            lease = timedelta(seconds=self.settings.dispatch_lease_seconds)
            while batch := claim(self.engine, now=self.now, wall=self.wall(), worker=self.worker, lease=lease,
                                 limit=self.settings.dispatch_batch, key_prefix=self.key_prefix):
                await self._send(batch)
                self.recorder.check()
            await self.recorder.close()
        except BaseException:
            self.recorder.write_now()  # what was sent before the error (or a Ctrl-C) is still recorded
            raise
        finally:
            await self._close()
        for channel, n in held_counts(self.engine, now=self.now).items():
            self.result.counts[(channel, "held")] += n
        return self.result

    async def _send(self, batch: list[Envelope]) -> None:
        groups: dict[str, list[Envelope]] = {}
        for message in batch:
            groups.setdefault(message.channel, []).append(message)
        await asyncio.gather(*(self._send_channel(name, messages) for name, messages in groups.items()))

    async def _send_channel(self, name: str, messages: list[Envelope]) -> None:
        channel = self.channels.get(name)
        if channel is None:
            for message in messages:
                self._note(message, PermanentFailure(f"未知的发送渠道 {name!r}"))
            return
        if name not in self.opened:
            self.opened.add(name)
            await channel.open()
        queue = deque(messages)

        async def worker() -> None:
            while queue:
                message = queue.popleft()
                if (down := self.down.get(name)) is not None:  # one unreachable server is not tried 10,000 times
                    self._note(message, Unreachable(down.reason, retry_after=down.retry_after))
                    continue
                failure = await _attempt(channel, message)
                if isinstance(failure, Unreachable) and name not in self.down:
                    self.down[name] = failure
                    logger.warning("channel %s unreachable (%s): its messages wait for the next run", name,
                                   failure.reason)
                self._note(message, failure)

        await asyncio.gather(*(worker() for _ in range(min(channel.concurrency, len(messages)))))

    def _note(self, message: Envelope, failure: DeliveryFailure | None) -> None:
        ch = message.channel
        if failure is None:
            self.recorder.add(Outcome(message, "sent"))
            self.result.counts[(ch, "sent")] += 1
            return
        logger.info("outbox %s (%s) attempt %s: %s", message.id, ch, message.attempt, failure.reason)
        if isinstance(failure, Deferred):
            self.recorder.add(Outcome(message, "deferred", failure.reason, self.now + failure.retry_after))
            self.result.counts[(ch, "retried")] += 1
            return
        if isinstance(failure, TemporaryFailure) and message.attempt < self.settings.dispatch_max_attempts:
            self.recorder.add(Outcome(message, "queued", failure.reason))
            self.result.counts[(ch, "retried")] += 1
            return
        reason = failure.reason if isinstance(failure, PermanentFailure) else (
            f"已尝试{message.attempt}次，不再重试：{failure.reason}")
        self.recorder.add(Outcome(message, "failed", reason))
        self.result.counts[(ch, "failed")] += 1
        self.result.failures.append(FailedMessage(message.id, ch, message.address, reason))

    async def _close(self) -> None:
        for name in self.opened:
            try:
                await self.channels[name].close()
            except Exception:  # a failed goodbye to a server loses nothing: every outcome is recorded
                logger.warning("closing channel %s failed", name, exc_info=True)


async def _attempt(channel: Channel, message: Envelope) -> DeliveryFailure | None:
    try:
        await channel.deliver(message)
    except DeliveryFailure as failure:
        return failure
    except Exception as exc:  # an unforeseen error is recorded and retried like any temporary failure
        logger.exception("outbox %s: unexpected error in channel %s", message.id, channel.name)
        return TemporaryFailure(f"{type(exc).__name__}: {exc}")
    return None
