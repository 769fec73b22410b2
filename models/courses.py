"""Course records: the lessons and activities behind the "1+1" check (QD-T5) and semester totals."""

from datetime import date

from sqlmodel import Field, SQLModel


class CourseRecord(SQLModel, table=True):
    """One lesson or activity held in one class."""

    __tablename__ = "course_record"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    class_id: int = Field(foreign_key="school_class.id", index=True)
    held_on: date = Field(index=True)
    kind: str = Field(max_length=32, description="A course kind of the pack, e.g. lesson | activity")
    topic: str = Field(max_length=200)
    periods: int = Field(default=1, ge=1, le=10, description="课时（至少 1；0 课时不计入“1+1”）")
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
