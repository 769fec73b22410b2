"""Mentor coverage per class (JL-3b): students of the pack's grades with a current mentor, counts only."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import MentorAssignment, SchoolClass, Student
from xinyu.grades import grade_label
from xinyu.packs import Pack


@dataclass(frozen=True)
class ClassMentors:
    label: str
    grade: int
    students: int
    with_mentor: int

    @property
    def short(self) -> int:
        return self.students - self.with_mentor

    def as_json(self) -> dict[str, object]:
        return {"class": self.label, "grade": self.grade, "students": self.students,
                "with_mentor": self.with_mentor, "without_mentor": self.short}


def mentor_coverage(session: Session, *, school_id: int, pack: Pack) -> list[ClassMentors]:
    """Each class of the covered grades; empty when the pack has no mentor rule. No names leave here."""
    if pack.mentors is None:
        return []
    classes = list(session.exec(select(SchoolClass).where(
        SchoolClass.school_id == school_id, col(SchoolClass.grade).in_(pack.mentors.grades))
        .order_by(col(SchoolClass.grade), col(SchoolClass.name))))
    ids = [c.id for c in classes]
    students = dict(session.exec(select(Student.class_id, func.count()).where(  # type: ignore[call-overload]
        col(Student.class_id).in_(ids)).group_by(col(Student.class_id))).all())
    mentored = dict(session.exec(select(Student.class_id, func.count(func.distinct(Student.id)))  # type: ignore[call-overload]
                                 .join(MentorAssignment, col(MentorAssignment.student_id) == col(Student.id))
                                 .where(col(Student.class_id).in_(ids), col(MentorAssignment.ended_on).is_(None))
                                 .group_by(col(Student.class_id))).all())
    return [ClassMentors(label=f"{grade_label(c.grade)}{c.name}", grade=c.grade, students=students.get(c.id or 0, 0),
                         with_mentor=mentored.get(c.id or 0, 0)) for c in classes]
