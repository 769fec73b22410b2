"""The monthly cycle: cycle (school, month) → steps in order → tasks for role holders."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class Cycle(SQLModel, table=True):
    """One school's month. Unique per (school, month): two openers can never both win."""

    __table_args__ = (UniqueConstraint("school_id", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    month: str = Field(max_length=7, index=True, description="YYYY-MM")
    pack: str = Field(max_length=32)
    pack_version: str = Field(max_length=32, description="the stored version it runs on (pack_version.version)")
    variant: str = Field(max_length=16, description="regular | vacation")
    status: str = Field(max_length=16, default="open", index=True)
    opened_at: datetime | None = aware_datetime()
    closed_at: datetime | None = aware_datetime()


class Step(SQLModel, table=True):
    """A step of the loop; it opens after its predecessor is done, never before `earliest`."""

    __table_args__ = (UniqueConstraint("cycle_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    key: str = Field(max_length=32)
    order: int
    status: str = Field(max_length=16, default="pending", index=True)
    earliest: date
    calendar_due: date
    due: date | None = None
    opened_at: datetime | None = aware_datetime(index=True)  # a run's counts: the steps it opened
    done_at: datetime | None = aware_datetime()


class Task(SQLModel, table=True):
    """Work for the holder of a role. `key` is unique per cycle, so re-running creates nothing twice."""

    __table_args__ = (UniqueConstraint("cycle_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    origin_cycle_id: int = Field(foreign_key="cycle.id", description="The month whose rules made it")
    school_id: int = Field(foreign_key="school.id", index=True)
    step_id: int | None = Field(default=None, foreign_key="step.id", index=True)
    step_key: str = Field(max_length=32)
    template: str = Field(max_length=48, description="Task template key in the pack")
    key: str = Field(max_length=96)
    kind: str = Field(max_length=16, default="step", description="step | decision | rectification | missed")
    blocks_step: bool = Field(default=True, description="Whether the step waits for this task")
    title: str = Field(max_length=200)
    role: str = Field(max_length=32, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    class_id: int | None = Field(default=None, foreign_key="school_class.id", index=True)
    clause: str = Field(max_length=32, description="Policy ID from REQUIREMENTS.md")
    due: date = Field(index=True)
    status: str = Field(max_length=16, default="open", index=True)
    carried_over: bool = Field(default=False)
    carried_from_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    created_at: datetime | None = aware_datetime(index=True)  # a run's counts: the tasks it created
    completed_at: datetime | None = aware_datetime()
    completed_by_id: int | None = Field(default=None, foreign_key="person.id")
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lineage_id: int | None = Field(default=None, index=True, description="First task of a carried chain")
    escalation_level: str = Field(max_length=16, default="none", description="none | school | district")
    acknowledged_at: datetime | None = aware_datetime()
    crisis_case_id: int | None = Field(default=None, foreign_key="ledger_c_crisis.id")
