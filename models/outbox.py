"""Every message is a row before it is a send (DESIGN principle 5)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class OutboxMessage(SQLModel, table=True):
    """Queued in the same transaction as the change that causes it; `dedupe_key` makes it once-only."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    channel: str = Field(max_length=16, description="email | sms")
    recipient_id: int | None = Field(default=None, foreign_key="person.id")
    address: str = Field(max_length=254)
    subject: str = Field(default="", max_length=200)
    body_text: str
    body_html: str | None = None
    status: str = Field(max_length=16, default="queued", index=True, description="queued | sent | failed")
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime | None = aware_datetime()
    sent_at: datetime | None = aware_datetime()
