"""The embedded default channel: each queued email becomes an .eml file in a local folder."""

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, select

from models import OutboxMessage
from xinyu.db import transaction


def message_file(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["To"] = message.address
    email["From"] = "心育闭环 <noreply@xinyu.local>"
    email["Subject"] = message.subject
    email["X-Xinyu-Dedupe-Key"] = message.dedupe_key
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def dispatch_to_folder(engine: Engine, *, folder: Path, now: datetime, limit: int = 1000) -> int:
    """Write queued emails to `folder`. The file name is the message id, so a re-run overwrites
    rather than duplicates a file written just before a crash."""
    folder.mkdir(parents=True, exist_ok=True)
    with transaction(engine) as session:
        queued = session.exec(
            select(OutboxMessage).where(OutboxMessage.status == "queued", OutboxMessage.channel == "email")
            .order_by(col(OutboxMessage.id)).limit(limit)
        ).all()
        for message in queued:
            path = folder / f"{message.id:08d}.eml"
            path.write_bytes(bytes(message_file(message)))
            message.status, message.sent_at, message.attempts = "sent", now, message.attempts + 1
        return len(queued)
