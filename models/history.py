"""Every version of a kept record (issue 12 item 11): ledger entries, crisis cases, evidence, minutes.

One row per change, written in the same transaction as the change: who, when, what kind of change, and the
record's fields before and after (JSON). The record's own table keeps its current state in clear columns;
this table is the history the leader reads and the proof that a correction kept the old value.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class RecordRevision(SQLModel, table=True):
    __tablename__ = "record_revision"
    __table_args__ = (Index("ix_record_revision_record", "kind", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=24, description="ledger_a | ledger_b | ledger_c | ledger_d | evidence | meeting …")
    record_id: int
    school_id: int = Field(foreign_key="school.id", index=True)
    at: datetime | None = aware_datetime(index=True)
    by_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=16, description="created | updated | corrected | closed | reopened")
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
