"""Task titles in messages: titles from a pack are safe; titles people typed may name a student.

A decision of the leadership group or a district notice is free text. Inside the school it is sent
with every student name replaced; to the district, only the kind of work is named.
"""

import re

from sqlmodel import Session

from xinyu.cycle.system_templates import FREE_TEXT_TITLES
from xinyu.privacy import PLACEHOLDER, student_name_pattern


class TitleGuard:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._patterns: dict[int, re.Pattern[str] | None] = {}

    @staticmethod
    def public_title(kind: str, title: str) -> str:
        """What may leave the school: the generic title for free-text kinds."""
        return FREE_TEXT_TITLES.get(kind, title)

    def internal(self, school_id: int, kind: str, title: str) -> str:
        """What staff of the school see in a message: free text with student names replaced."""
        if kind not in FREE_TEXT_TITLES:
            return title
        if school_id not in self._patterns:
            self._patterns[school_id] = student_name_pattern(self.session, school_id)
        pattern = self._patterns[school_id]
        return pattern.sub(PLACEHOLDER, title) if pattern else title
