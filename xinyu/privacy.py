"""Keeping students' names inside the school (students are minors; REQUIREMENTS privacy rule).

Free text typed by staff (a report's summary, its problems to raise) may name a student by mistake.
Before such text leaves the school, every name on the school's student list is replaced.
"""

import re
from typing import Any

from sqlmodel import Session, select

from models import Student

PLACEHOLDER = "某同学"


def student_name_pattern(session: Session, school_id: int) -> re.Pattern[str] | None:
    names = {name for name in session.exec(select(Student.name).where(Student.school_id == school_id)) if name}
    if not names:
        return None
    # Longest first, so "王小明" is replaced whole before "王小" could match inside it.
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def redact_student_names(session: Session, school_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The same values with every student name of the school in a text value replaced by 某同学."""
    pattern = student_name_pattern(session, school_id)
    if pattern is None:
        return dict(values)
    return {key: pattern.sub(PLACEHOLDER, value) if isinstance(value, str) else value
            for key, value in values.items()}
