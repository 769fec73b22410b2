"""Every message is a row before it is a send (DESIGN principle 5)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from models._types import aware_datetime

# A claimable row's statuses, as literal SQL: a partial index is used only by a query whose WHERE has this very
# term (SQLite) or implies it with constants, not bound parameters (PostgreSQL's generic plans).
CLAIMABLE_SQL = "status IN ('queued', 'sending')"


class OutboxMessage(SQLModel, table=True):
    """Queued in the same transaction as the change that causes it; `dedupe_key` makes it once-only.

    queued → sending (claimed by a dispatcher until `claimed_until`) → sent | failed. A claim that
    expires (the dispatcher died) is taken again, so nothing queued is ever lost.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_ready", "status", "channel", "not_before"),
        # PostgreSQL: the rows a dispatcher may claim, in id order (notifications/claims.py). A claim reads these
        # few, not the year of sent messages before them: planned on the full indexes' id order it scanned 400,000
        # rows (0.5 s) a claim. SQLite finds them by ix_outbox_ready (status IN …) and has no dead row versions.
        Index("ix_outbox_claimable", "id", postgresql_where=text(CLAIMABLE_SQL)).ddl_if(dialect="postgresql"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    channel: str = Field(max_length=16, description="email | sms | robot")
    recipient_id: int | None = Field(default=None, foreign_key="person.id")
    address: str = Field(max_length=500, description="email address, phone number or robot webhook URL")
    subject: str = Field(default="", max_length=200)
    body_text: str
    body_html: str | None = None
    template: str | None = Field(default=None, max_length=48, description="SMS: the registered template")
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                                   description="SMS: the template's variables (never student data)")
    status: str = Field(max_length=16, default="queued", index=True, description="queued | sending | sent | failed")
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime | None = aware_datetime(index=True)  # a run's counts: the messages it queued
    not_before: datetime | None = aware_datetime()  # quiet hours and retry backoff: not sent before this
    claimed_until: datetime | None = aware_datetime()  # wall clock: a dispatcher's lease on a `sending` row
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = aware_datetime()
