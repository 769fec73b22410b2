"""Chasing overdue work (QD-S1, QD-S2): the ladder's log, the district inbox, extensions of due dates."""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class ChaseEvent(SQLModel, table=True):
    """One rung of the ladder fired for one task. Unique per (lineage, rung, occasion): never twice.

    `lineage_id` is the first task of a carried chain, so carrying a task into next month does not
    make its rungs fire again. `occasion` is the due date the rung counted from (an extension moves
    it, so the ladder starts again) or, for a daily rung, the day.
    """

    __tablename__ = "chase_event"
    __table_args__ = (UniqueConstraint("lineage_id", "rung", "occasion"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    lineage_id: int = Field(index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    rung: str = Field(max_length=32)
    occasion: str = Field(max_length=32)
    level: str = Field(max_length=16, description="reminder | school | district")
    offset: int = Field(description="Working days after the due date (negative: before)")
    fired_at: datetime | None = aware_datetime(index=True)


class Escalation(SQLModel, table=True):
    """An item of the district's inbox: overdue work past the ladder's last rung, or a crisis report."""

    __table_args__ = (UniqueConstraint("lineage_id", "reason", "occasion"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    lineage_id: int = Field(index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    reason: str = Field(max_length=16, description="overdue | crisis")
    occasion: str = Field(max_length=32, description="The due date it was raised against")
    level: str = Field(max_length=16, default="district")
    days_overdue: int = Field(default=0, description="Working days overdue when raised")
    summary: str = Field(max_length=200, description="Counts and roles only: never a student's name")
    raised_at: datetime | None = aware_datetime(index=True)
    notified_at: datetime | None = aware_datetime()  # when the district digest told the officers
    status: str = Field(max_length=16, default="new", index=True, description="new | acknowledged | resolved")
    acknowledged_at: datetime | None = aware_datetime()
    acknowledged_by_id: int | None = Field(default=None, foreign_key="person.id")
    notice_task_id: int | None = Field(default=None, foreign_key="task.id")
    resolved_at: datetime | None = aware_datetime()
    resolution: str | None = Field(default=None, max_length=32, description="task_done | extended | case_closed")


class Extension(SQLModel, table=True):
    """An assignee asks for more time; the school leader approves or refuses."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    requested_by_id: int | None = Field(default=None, foreign_key="person.id")
    requested_at: datetime | None = aware_datetime()
    reason: str = Field(max_length=500)
    workdays: int = Field(ge=1, le=30, description="Working days asked for, counted from the current due date")
    status: str = Field(max_length=16, default="requested", index=True, description="requested | approved | refused")
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = aware_datetime()
    decision_note: str = Field(default="", max_length=500)
    previous_due: date
    new_due: date
