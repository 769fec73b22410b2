"""The embedded default: every message becomes a file in a local outbox folder.

File names are the outbox row id, so a re-run after a crash overwrites a file written just before
the crash instead of adding a second one; files appear whole (written aside, then renamed).
"""

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from notifications.channels.base import Channel, Envelope
from notifications.email_mime import email_bytes
from notifications.sms_templates import render_sms


class _FileSink(Channel):
    suffix: str

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def path_for(self, message: Envelope) -> Path:
        return self.folder / f"{message.id:08d}{self.suffix}"

    def _write(self, message: Envelope, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(message)
        aside = path.with_name(f".{path.name}.part")
        aside.write_bytes(data)
        os.replace(aside, path)

    def _write_json(self, message: Envelope, record: dict[str, Any]) -> None:
        head = {"id": message.id, "dedupe_key": message.dedupe_key, "channel": message.channel}
        self._write(message, json.dumps(head | record, ensure_ascii=False, indent=2).encode())


class EmailFileSink(_FileSink):
    """Email as .eml files, readable by any mail program."""

    name = "email"
    suffix = ".eml"

    def __init__(self, folder: Path, *, sender: str) -> None:
        super().__init__(folder)
        self.sender = sender

    async def send(self, message: Envelope) -> None:
        self._write(message, email_bytes(message, sender=self.sender))


class SmsFileSink(_FileSink):
    """SMS as .json: the number, the registered template and its variables, and the text they make."""

    name = "sms"
    suffix = ".sms.json"

    async def send(self, message: Envelope) -> None:
        self._write_json(message, sms_record(message))


class RobotFileSink(_FileSink):
    """Group-robot messages as .json. The webhook's key is a secret, so only its host and path are kept."""

    name = "robot"
    suffix = ".robot.json"

    async def send(self, message: Envelope) -> None:
        self._write_json(message, robot_record(message))


def sms_record(message: Envelope) -> dict[str, Any]:
    """What a sink keeps of an SMS: the number, the registered template and its variables, the text they make."""
    text = render_sms(message.template, message.params) if message.template else message.body_text
    return {"to": message.address, "template": message.template, "params": message.params, "text": text}


def robot_record(message: Envelope) -> dict[str, Any]:
    """What a sink keeps of a group-robot post: the webhook's host and path (its key is a secret) and the text."""
    url = urlsplit(message.address)
    return {"to": f"{url.scheme}://{url.netloc}{url.path}", "subject": message.subject, "text": message.body_text}
