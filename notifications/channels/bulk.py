"""For simulations: every message of a channel appended to one file, not a file per message.

A simulated school year sends hundreds of thousands of messages; a file each (written aside, renamed, and
deleted after) costs more than everything else the dispatcher does for them. Here each channel keeps one
file open for the dispatch run and appends each message as it is sent, flushed at once (a message recorded
as sent is in the file, as with the file sink):

- email: `email.mbox`, the same RFC 5322 bytes the file sink writes as .eml, in mbox form (any mail
  program opens it);
- SMS and robot posts: `sms.jsonl` and `robot.jsonl`, one JSON object a line, the file sink's records.

A message sent again after a crash (its lease ran out before its outcome was recorded) is appended again:
the same id, dedupe key and Message-ID, so a reader can tell. Selected by XINYU_OUTBOX_SINK=bulk
(notifications/routing.py); `xinyu simulate` sets it.
"""

import json
import re
from pathlib import Path
from typing import Any, BinaryIO

from notifications.channels.base import Channel, Envelope
from notifications.channels.files import robot_record, sms_record
from notifications.email_mime import email_bytes

MBOX_FROM = b"From xinyu@localhost Thu Jan  1 00:00:00 1970\n"
_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


class _BulkSink(Channel):
    filename: str

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._file: BinaryIO | None = None

    @property
    def path(self) -> Path:
        return self.folder / self.filename

    async def open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("ab")

    async def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _append(self, data: bytes) -> None:
        if self._file is None:  # sent without open(): a caller outside the dispatcher
            with self.path.open("ab") as file:
                file.write(data)
            return
        self._file.write(data)
        self._file.flush()

    def _append_json(self, message: Envelope, record: dict[str, Any]) -> None:
        head = {"id": message.id, "dedupe_key": message.dedupe_key, "channel": message.channel}
        self._append(json.dumps(head | record, ensure_ascii=False).encode() + b"\n")


class EmailBulkSink(_BulkSink):
    """Email appended to an mbox file: From_ line, the message (LF line ends, "From " lines quoted), a blank line."""

    name = "email"
    filename = "email.mbox"

    def __init__(self, folder: Path, *, sender: str) -> None:
        super().__init__(folder)
        self.sender = sender

    async def send(self, message: Envelope) -> None:
        data = email_bytes(message, sender=self.sender).replace(b"\r\n", b"\n")
        self._append(MBOX_FROM + _FROM_LINE.sub(rb">\1", data) + b"\n")


class SmsBulkSink(_BulkSink):
    """SMS as JSON lines: the number, the registered template and its variables, and the text they make."""

    name = "sms"
    filename = "sms.jsonl"

    async def send(self, message: Envelope) -> None:
        self._append_json(message, sms_record(message))


class RobotBulkSink(_BulkSink):
    """Group-robot messages as JSON lines. The webhook's key is a secret, so only its host and path are kept."""

    name = "robot"
    filename = "robot.jsonl"

    async def send(self, message: Envelope) -> None:
        self._append_json(message, robot_record(message))
