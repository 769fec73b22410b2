"""Keeping students' names inside the school (students are minors; REQUIREMENTS privacy rule).

Free text typed by staff (a report's summary, its problems to raise) may name a student by mistake.
Before such text leaves the school, every name on the school's student list is replaced.
"""

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from models import Student

PLACEHOLDER = "某同学"


def student_name_pattern(session: Session, school_id: int) -> re.Pattern[str] | None:
    names = {name for name in session.exec(select(Student.name).where(Student.school_id == school_id)) if name}
    return names_pattern(names)


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    names = set(names)
    if not names:
        return None
    # Longest first, so "王小明" is replaced whole before "王小" could match inside it.
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def student_names_in(session: Session, school_id: int, text: str) -> set[str]:
    """The school's student names that occur in the text. The database looks (a school has ~1,200 names),
    so a few lines of text cost one query, not a pattern of every name."""
    if not text:
        return set()
    dialect = session.get_bind().dialect.name
    position = func.strpos(text, Student.name) if dialect == "postgresql" else func.instr(text, Student.name)
    query = select(Student.name).where(Student.school_id == school_id, Student.name != "", position > 0)
    return {name for name in session.exec(query) if name}


def redact_student_names(session: Session, school_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The same values with every student name of the school in a text value replaced by 某同学."""
    text = "\n".join(value for value in values.values() if isinstance(value, str))
    # Only the names that occur can match: the same replacements as a pattern of the whole list.
    pattern = names_pattern(student_names_in(session, school_id, text))
    if pattern is None:
        return dict(values)
    return {key: pattern.sub(PLACEHOLDER, value) if isinstance(value, str) else value
            for key, value in values.items()}
