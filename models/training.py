"""Training hours kept per person (QD-T9 每年组织心理健康教育工作分层培训): one row per training attended."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class TrainingRecord(SQLModel, table=True):
    __tablename__ = "training_record"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    held_on: date = Field(index=True)
    hours: float = Field(description="课时 attended, > 0, in half hours at most (e.g. 1.5)")
    topic: str = Field(max_length=200)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = aware_datetime(nullable=False)
