"""全员导师制 (JL-3b 为每一位初中学生及小学、高中重点年级学生配备导师): a student's mentor, kept with its history."""

from datetime import date

from sqlmodel import Field, SQLModel


class MentorAssignment(SQLModel, table=True):
    """One teacher mentoring one student from a day; a new mentor ends the previous one (ended_on)."""

    __tablename__ = "mentor_assignment"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    mentor_id: int = Field(foreign_key="person.id", index=True)
    assigned_on: date
    ended_on: date | None = Field(default=None, description="None: the student's current mentor")
