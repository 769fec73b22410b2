"""The four work ledgers A–D (QD-ANNEX), each its own table, plus the monthly review of each."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class ScreeningRecord(SQLModel, table=True):
    """Ledger A 心理测评与档案台账: one row per student and screening (QD-3)."""

    __tablename__ = "ledger_a_screening"
    __table_args__ = (UniqueConstraint("student_id", "screened_on", "scale"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    screened_on: date
    scale: str = Field(max_length=64, description="量表, e.g. MHT, SCL-90")
    total_score: float
    level: str = Field(max_length=16, description="预警等级: 无/轻度/中度/重度")
    method: str = Field(max_length=16, description="online (grade ≥4) | rating (grades 1–3)")
    created_at: datetime | None = aware_datetime(index=True)  # when the row was added (QD-ANNEX counts)
    updated_at: datetime | None = aware_datetime(index=True)  # last change (QD-ANNEX: 本月新增或更新)


class KeyStudentPlan(SQLModel, table=True):
    """Ledger B 重点关爱学生台账: 一生一案 with the five fields of QD-2, and a mentor (GZ-5.1)."""

    __tablename__ = "ledger_b_key_student"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    mentor_id: int | None = Field(default=None, foreign_key="person.id")
    # JN-5 隐形保护人: a staff member quietly assigned to the student; shown to the leader and psychology
    # teachers only (xinyu/ledgers/protector.py), never to student role holders, never in a message.
    protector_id: int | None = Field(default=None, foreign_key="person.id")
    status: str = Field(default="draft", max_length=12, index=True,
                        description="draft (a field missing) | active (all five QD-2 fields) | closed")
    family_situation: str = Field(default="", max_length=2000)
    difficulties: str = Field(default="", max_length=2000)
    study_plan: str = Field(default="", max_length=2000)
    growth_advice: str = Field(default="", max_length=2000)
    progression_path: str = Field(default="", max_length=2000)
    reason: str = Field(default="", max_length=16, description="测评预警 | 班级摸排 | 危机个案 | 教师推荐")
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False),
                                  description="处境不利类别 (JL-12), from the pack's key_students.categories")
    parents_informed_on: date | None = None  # GZ-A2.2.4: 及时告知学生家人或监护人
    opened_on: date
    closed_on: date | None = None
    close_reason: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")  # the author (corrections)
    created_at: datetime | None = aware_datetime(index=True)  # when the row was added (QD-ANNEX counts)
    updated_at: datetime | None = aware_datetime(index=True)  # last change (QD-ANNEX: 本月新增或更新)


class KeyStudentProposal(SQLModel, table=True):
    """A homeroom teacher's proposal to put a student of their class on ledger B (class report or referral);
    the psychology teacher accepts it (a draft plan) or declines it with a reason."""

    __tablename__ = "ledger_b_proposal"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    class_id: int = Field(foreign_key="school_class.id", index=True)
    source: str = Field(max_length=16, description="班级摸排 (the class report) | 教师推荐 (a referral)")
    task_id: int | None = Field(default=None, foreign_key="task.id")  # the class report that picked the student
    proposed_by_id: int | None = Field(default=None, foreign_key="person.id")
    note: str = Field(default="", max_length=500)
    status: str = Field(default="pending", max_length=12, index=True, description="pending | accepted | declined")
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = aware_datetime()
    decline_reason: str = Field(default="", max_length=500)
    plan_id: int | None = Field(default=None, foreign_key="ledger_b_key_student.id")
    created_at: datetime | None = aware_datetime(index=True)


class CrisisCase(SQLModel, table=True):
    """Ledger C 心理危机干预与转介台账 (QD-4, GZ-5.2–6.2): visible to handlers and the leader only."""

    __tablename__ = "ledger_c_crisis"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    level: str = Field(max_length=8, description="一般 | 严重 | 重大")
    handler_id: int | None = Field(default=None, foreign_key="person.id")
    opened_by_id: int | None = Field(default=None, foreign_key="person.id")  # who opened it or raised the concern
    opened_at: datetime | None = aware_datetime()
    parents_informed_at: datetime | None = aware_datetime()
    referral_hospital: str | None = Field(default=None, max_length=128)  # the latest 转介 of the log
    certificate_on: date | None = None  # the hospital's certificate (GZ-6.2), given when closing as 返校复学
    certificate_by: str | None = Field(default=None, max_length=128, description="复学证明出具机构")
    return_plan: str | None = Field(default=None, max_length=2000,
                                    description="复课衔接计划 (HLJ-12 康复期与复课期的有效衔接), given when closing")
    outcome: str | None = Field(default=None, max_length=500, description="结案结果 (JN-4 一案一清)")
    outcome_note: str | None = Field(default=None, max_length=2000)
    closed_at: datetime | None = aware_datetime()
    updated_at: datetime | None = aware_datetime(index=True)  # last change (QD-ANNEX: 本月新增或更新)


class TalkRecord(SQLModel, table=True):
    """Ledger D 谈心谈话与家校反馈台账: talks with students and feedback to families (QD-2)."""

    __tablename__ = "ledger_d_talk"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    kind: str = Field(max_length=16, description="谈心 | 家访 | 电话 | 微信")
    held_on: date
    by_id: int | None = Field(default=None, foreign_key="person.id")
    summary: str = Field(default="", max_length=2000)
    created_at: datetime | None = aware_datetime(index=True)  # when the row was added (QD-ANNEX counts)
    updated_at: datetime | None = aware_datetime(index=True)  # last change (QD-ANNEX: 本月新增或更新)


class LedgerReview(SQLModel, table=True):
    """That ledger X was reviewed and updated in a cycle; the ledger step needs one per ledger."""

    __tablename__ = "ledger_review"
    __table_args__ = (UniqueConstraint("cycle_id", "ledger"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    ledger: str = Field(max_length=1, description="A | B | C | D")
    reviewed_by_id: int | None = Field(default=None, foreign_key="person.id")
    reviewed_at: datetime | None = aware_datetime()
    entries: int = Field(default=0, description="Rows in the ledger at review time")
    changed: int = Field(default=0, description="Rows added or changed this month (added + updated)")
    added: int | None = Field(default=None, description="Rows added this month, counted (None: typed before 0011)")
    updated: int | None = Field(default=None, description="Rows changed this month, added earlier, counted")
    note: str = Field(default="", max_length=2000)
