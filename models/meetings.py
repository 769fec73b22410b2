"""The leadership group's monthly meeting (QD-S1b) and the school's monthly report to the district."""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class Meeting(SQLModel, table=True):
    """One per cycle; the agenda is generated from the ledgers and course records when the step opens."""

    __table_args__ = (UniqueConstraint("cycle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    agenda: str = Field(description="Rendered Markdown-like text, in Chinese")
    held_on: date | None = None
    minutes: str | None = None
    recorded_at: datetime | None = aware_datetime()


class MonthlyReport(SQLModel, table=True):
    """The feedback step's output: counts and rates for the district, never student names."""

    __tablename__ = "monthly_report"
    __table_args__ = (UniqueConstraint("cycle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    month: str = Field(max_length=7)
    body: str
    created_at: datetime | None = aware_datetime()
