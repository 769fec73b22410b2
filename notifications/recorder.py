"""Outcomes committed in small groups off the event loop, so sending goes on while a group commits.

A group is written once `every` outcomes wait, or every `within` seconds: after a SIGKILL, what was
sent but not yet recorded (and so goes out again when its lease runs out) is bounded by both.
"""

import asyncio
import contextlib
from datetime import datetime

from sqlalchemy import Engine

from notifications.claims import Outcome, record


class Recorder:
    def __init__(self, engine: Engine, *, now: datetime, worker: str, every: int = 16, within: float = 0.1) -> None:
        self.engine, self.now, self.worker, self.every, self.within = engine, now, worker, every, within
        self.pending: list[Outcome] = []
        self._due = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def add(self, outcome: Outcome) -> None:
        self.pending.append(outcome)
        if self._task is None:
            self._task = asyncio.create_task(self._loop())
        if len(self.pending) >= self.every:
            self._due.set()

    def check(self) -> None:
        """Raise here if a group failed to commit (the database is gone): stop sending."""
        if self._task is not None and self._task.done():
            self._task.result()

    async def close(self) -> None:
        """Write what is left and stop."""
        self._closing = True
        self._due.set()
        if self._task is not None:
            await self._task

    def write_now(self) -> None:
        """On the way out of a crash: record synchronously what the loop has not taken yet."""
        group, self.pending = self.pending, []
        if group:
            record(self.engine, group, now=self.now, worker=self.worker)

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self.within)
            self._due.clear()
            group, self.pending = self.pending, []
            if group:
                await asyncio.to_thread(record, self.engine, group, now=self.now, worker=self.worker)
            if self._closing and not self.pending:
                return
