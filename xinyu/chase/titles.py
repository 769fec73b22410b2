"""Task titles in messages: titles from a pack are safe; titles people typed may name a student.

A decision of the leadership group or a district notice is free text. Inside the school it is sent
with every student masked (xinyu.privacy: names however typed, given names, 学号); to the district,
only the kind of work is named.
"""

from sqlmodel import Session

from xinyu.cycle.system_templates import FREE_TEXT_TITLES
from xinyu.privacy import StudentMasker, school_masker


class TitleGuard:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._maskers: dict[int, StudentMasker] = {}

    @staticmethod
    def public_title(kind: str, title: str) -> str:
        """What may leave the school: the generic title for free-text kinds."""
        return FREE_TEXT_TITLES.get(kind, title)

    def internal(self, school_id: int, kind: str, title: str) -> str:
        """What staff of the school see in a message: free text with the school's students masked."""
        if kind not in FREE_TEXT_TITLES:
            return title
        if school_id not in self._maskers:
            self._maskers[school_id] = school_masker(self.session, school_id)
        return self._maskers[school_id].mask(title)
