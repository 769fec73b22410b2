"""Who did what, when: task completions, imports, reads of crisis records."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class AuditEntry(SQLModel, table=True):
    """Append-only; `detail` carries ids and counts, never student names."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = aware_datetime(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=48)
    target: str = Field(max_length=96)
    detail: str = Field(default="", max_length=2000)
