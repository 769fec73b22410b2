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
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")  # the minutes' author (corrections)
    starts_at: datetime | None = aware_datetime()  # set by the leader; the invitation's time
    place: str | None = Field(default=None, max_length=128)
    host_id: int | None = Field(default=None, foreign_key="person.id")  # 主持人
    recorder_id: int | None = Field(default=None, foreign_key="person.id")  # 记录人


class MeetingAttendee(SQLModel, table=True):
    """One invited person (签到表 row); `attended` is recorded after the meeting (None: not yet)."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    attended: bool | None = None


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
