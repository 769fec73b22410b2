"""District inspections (QD-S2 每年开展不少于三次专项巡查……对督查发现的问题进行通报并督促学校抓好整改)."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class Inspection(SQLModel, table=True):
    """One inspection visit of a district's officer: a day, an inspector, one or more schools."""

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    held_on: date = Field(index=True)
    inspector_id: int = Field(foreign_key="person.id")
    recorded_at: datetime | None = aware_datetime()


class InspectionFinding(SQLModel, table=True):
    """A problem found at one school: a notice with a rectification task for its leader; closed with the task."""

    __tablename__ = "inspection_finding"

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    text: str = Field(max_length=500, description="The finding as the officer wrote it (never a student's name)")
    workdays: int = Field(ge=1, le=30, description="Working days given for the rectification")
    task_id: int = Field(foreign_key="task.id", index=True, description="The rectification task (first of its chain)")
    status: str = Field(max_length=16, default="open", index=True, description="open | closed")
    closed_at: datetime | None = aware_datetime()
