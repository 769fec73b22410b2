"""Organisation: district → school → class; people and the roles they hold; students."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class District(SQLModel, table=True):
    """区/县 — owns the escalation inbox and receives the schools' monthly reports."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    robot_url: str | None = Field(default=None, max_length=500, description="District group robot (WeCom/DingTalk)")


class School(SQLModel, table=True):
    """A school runs one cycle a month under one policy pack."""

    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    name: str = Field(max_length=128)
    stage: str = Field(max_length=8, description="Highest stage: 小学/初中/高中/中职")
    pack: str = Field(max_length=32, description="Policy pack id, e.g. qingdao")
    robot_url: str | None = Field(default=None, max_length=500, description="Leadership group robot (WeCom/DingTalk)")
    # The latest clock the chase ran with: a chase a day or more behind it is refused (xinyu/locks.py).
    chased_at: datetime | None = aware_datetime()
    # The dorm level of the network (QD-T10 宿舍层面): a school setting, kept by `xinyu school set` or its web form.
    boarding: bool = Field(default=False, description="寄宿制学校")
    dorms: int = Field(default=0, ge=0, le=10000, description="宿舍间数（寄宿制学校）")


class SchoolClass(SQLModel, table=True):
    """A class exists where a roster row names it."""

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("school_id", "grade", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    grade: int = Field(ge=1, le=12, description="1–12: 小学 1–6, 初中 7–9, 高中/中职 10–12")
    name: str = Field(max_length=32, description="e.g. 3班")
    stage: str = Field(max_length=8)


class Person(SQLModel, table=True):
    """Staff, district officers and student role holders (心理委员); `identity` keeps re-imports idempotent."""

    id: int | None = Field(default=None, primary_key=True)
    identity: str = Field(max_length=200, unique=True, description="phone, else email, else school/name")
    name: str = Field(max_length=64)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)


class RoleAssignment(SQLModel, table=True):
    """A person holds a role within a scope: a district, a school, a grade or a class."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("person_id", "role", "scope_key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=32, index=True, description="xinyu.roles.Role value")
    district_id: int = Field(foreign_key="district.id", index=True)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    grade: int | None = Field(default=None)
    class_id: int | None = Field(default=None, foreign_key="school_class.id", index=True)
    scope_key: str = Field(max_length=64, description="d<id>/s<id>/g<n>/c<id>: NULLs cannot be unique")
    # Network checks (xinyu/network): a student role holder's 性别 (GZ-5.1 男、女委员各2名) and a psychology
    # teacher's 专职/兼职 (QD-T2); NULL where the roster did not say.
    gender: str | None = Field(default=None, max_length=2, description="男/女 (student role holders)")
    tenure: str | None = Field(default=None, max_length=4, description="专职/兼职 (psychology teachers)")


class Student(SQLModel, table=True):
    """Minimal and protected: the code is what leaves the school; the name stays inside."""

    __table_args__ = (UniqueConstraint("school_id", "student_no"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    class_id: int = Field(foreign_key="school_class.id", index=True)
    student_no: str = Field(max_length=32, description="学号")
    name: str = Field(max_length=64)
    gender: str = Field(max_length=4)
