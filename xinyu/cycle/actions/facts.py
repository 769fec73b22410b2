"""School facts the actions read, loaded once for a whole batch of completions.

complete_tasks runs one action per task, and many of them (course checks, monthly reports, ledger
reviews) read the same kind of fact about their school. No action writes course records, classes or
ledger entries, so each such fact is loaded for every school of the batch with one query the first
time an action asks for it, instead of with one query per task. Ledger reviews are loaded the same
way; the ledger action, their only writer during completion, keeps them here as it goes.
"""

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Cycle, LedgerReview
from xinyu.courses import ClassCourseStatus, class_statuses_by_school
from xinyu.cycle.actions.ledger import LEDGER_TABLES
from xinyu.cycle.packbook import PackBook


@dataclass
class BatchFacts:
    session: Session
    book: PackBook
    cycles: list[Cycle]  # the origin cycles of the batch's tasks: whose schools to load at once
    _statuses: dict[tuple[str, str], tuple[set[int], dict[int, list[ClassCourseStatus]]]] = field(
        default_factory=dict)
    _ledger_sizes: dict[str, tuple[set[int], dict[int, int]]] = field(default_factory=dict)
    _reviewed_cycles: set[int] = field(default_factory=set)
    _reviews: dict[tuple[int, str], LedgerReview] = field(default_factory=dict)

    def class_statuses(self, cycle: Cycle) -> list[ClassCourseStatus]:
        """The "1+1" status of every class of the cycle's school in the cycle's month."""
        key = (cycle.pack, cycle.month)
        loaded, statuses = self._statuses.get(key, (set(), {}))
        if cycle.school_id not in loaded:
            schools = {c.school_id for c in self.cycles if (c.pack, c.month) == key} - loaded | {cycle.school_id}
            statuses.update(class_statuses_by_school(
                self.session, school_ids=schools, month=cycle.month, pack=self.book.pack(cycle.pack),
                work=self.book.calendar(cycle.pack)))
            self._statuses[key] = (loaded | schools, statuses)
        return statuses.get(cycle.school_id, [])

    def ledger_size(self, ledger: str, school_id: int) -> int:
        """Entries of ledger A–D the school has."""
        loaded, sizes = self._ledger_sizes.get(ledger, (set(), {}))
        if school_id not in loaded:
            schools = {c.school_id for c in self.cycles} - loaded | {school_id}
            table = LEDGER_TABLES[ledger]
            sizes.update(self.session.exec(
                select(table.school_id, func.count()).where(col(table.school_id).in_(schools))
                .group_by(table.school_id)).all())
            self._ledger_sizes[ledger] = (loaded | schools, sizes)
        return sizes.get(school_id, 0)

    def ledger_review(self, cycle_id: int, ledger: str) -> LedgerReview:
        """The cycle's review of ledger X: the one recorded, else a new one (added to the session)."""
        if cycle_id not in self._reviewed_cycles:
            cycle_ids = {c.id for c in self.cycles if c.id is not None} - self._reviewed_cycles | {cycle_id}
            for review in self.session.exec(select(LedgerReview).where(col(LedgerReview.cycle_id).in_(cycle_ids))):
                self._reviews[(review.cycle_id, review.ledger)] = review
            self._reviewed_cycles |= cycle_ids
        if (cycle_id, ledger) not in self._reviews:
            self._reviews[(cycle_id, ledger)] = LedgerReview(cycle_id=cycle_id, ledger=ledger)
            self.session.add(self._reviews[(cycle_id, ledger)])
        return self._reviews[(cycle_id, ledger)]
