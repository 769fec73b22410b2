"""School facts the actions read, loaded once for a whole batch of completions.

complete_tasks runs one action per task, and many of them (course checks, monthly reports, ledger
reviews) read the same kind of fact about their school. No action writes course records, classes or
ledger entries, so each such fact is loaded for every school of the batch with one query the first
time an action asks for it, instead of with one query per task. Ledger reviews are loaded the same
way; the ledger action, their only writer during completion, keeps them here as it goes.

The monthly report's facts (steps, tasks, open crisis cases, reviews, the report already filed, the
district's officers) are loaded the same way, for every cycle of the batch at once. Of these, only
tasks change while a batch is completed: a task completed is read from its object in the session, and
an action that inserts tasks into a cycle says so (`tasks_added`), so that cycle's tasks are read again.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Cycle, LedgerReview, Meeting, MonthlyReport, Person, RoleAssignment, School, Task
from notifications.outbox import email_recipients, message_row, queue_rows
from xinyu.clock import local_date
from xinyu.courses.status import ClassCourseStatus, class_statuses_by_school
from xinyu.cycle.actions.ledger import LEDGER_TABLES
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.task_factory import TASKS
from xinyu.db import insert_rows
from xinyu.ledgers.coverage import SchoolCoverage, coverage_for_schools
from xinyu.ledgers.monthly_counts import MonthCounts, month_counts_by_school
from xinyu.monthly_report import ReportFacts, StepRow, TaskRow, count_open_cases, load_steps, load_tasks
from xinyu.roles import Role


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
    _schools: dict[int, tuple[str, int]] = field(default_factory=dict)  # id → name, district id
    _steps: dict[int, list[StepRow]] = field(default_factory=dict)
    _open_cases: dict[int, dict[str, int]] = field(default_factory=dict)
    _tasks: dict[int, list[TaskRow]] = field(default_factory=dict)
    _tasks_loaded: set[int] = field(default_factory=set)
    _reports: dict[int, MonthlyReport | None] = field(default_factory=dict)
    _recipients: dict[tuple[Role, int], list[Person]] = field(default_factory=dict)
    _month_counts: dict[tuple[str, str], tuple[set[int], dict[int, MonthCounts]]] = field(default_factory=dict)
    _coverage: dict[int, SchoolCoverage] = field(default_factory=dict)
    _meetings: dict[int, Meeting | None] = field(default_factory=dict)
    _staff: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    _rectify_keys: dict[int, set[str]] = field(default_factory=dict)  # current cycle id → its rectification keys
    _emails: dict[str, dict[str, Any]] = field(default_factory=dict)  # dedupe key → outbox row, queued at the end
    _new_tasks: list[dict[str, Any]] = field(default_factory=list)

    def rectification_keys(self, cycle_id: int) -> set[str]:
        """The keys of the rectification tasks the cycle has (the course check adds to them as it inserts)."""
        if cycle_id not in self._rectify_keys:
            cycle_ids = self._cycle_ids() - set(self._rectify_keys) | {cycle_id}
            self._rectify_keys.update({i: set() for i in cycle_ids})
            for current, key in self.session.exec(select(Task.cycle_id, Task.key).where(
                    col(Task.cycle_id).in_(cycle_ids), Task.kind == "rectification")):
                self._rectify_keys[current].add(key)
        return self._rectify_keys[cycle_id]

    def insert_tasks(self, cycle_id: int, rows: list[dict[str, Any]]) -> None:
        """Task rows an action creates in the cycle (decisions, rectifications), inserted with the batch's others
        in one executemany (`write_tasks`): before a report reads the tasks, else when the batch ends."""
        self._new_tasks.extend(rows)
        self.tasks_added(cycle_id)

    def write_tasks(self) -> None:
        if self._new_tasks:
            with self.session.no_autoflush:
                insert_rows(self.session, TASKS, self._new_tasks)
            self._new_tasks.clear()

    def queue_email(self, *, people: list[Person], occasion: str, subject: str, body_text: str,
                    now: datetime) -> None:
        """notifications.outbox.queue_email, for the whole batch at once when it ends (`send`)."""
        for person in people:
            row = message_row(dedupe_key=f"{occasion}:p{person.id}:email", channel="email", recipient_id=person.id,
                              address=person.email or "", subject=subject, body_text=body_text, body_html=None,
                              now=now)
            self._emails.setdefault(row["dedupe_key"], row)

    def send(self) -> None:
        """The batch's new tasks, and its e-mails into the outbox (a key queued before is left as it is)."""
        self.write_tasks()
        if self._emails:
            queue_rows(self.session, list(self._emails.values()))
            self._emails.clear()

    def month_counts(self, ledger: str, cycle: Cycle) -> MonthCounts:
        """Ledger X's rows of the cycle's school added and changed in its month (xinyu.ledgers.monthly_counts).
        The crisis action changes ledger C rows: it says so (`ledger_changed`) and the school is counted again."""
        key = (ledger, cycle.month)
        loaded, counts = self._month_counts.get(key, (set(), {}))
        if cycle.school_id not in loaded:
            schools = {c.school_id for c in self.cycles if c.month == cycle.month} - loaded | {cycle.school_id}
            self.session.flush()  # the rows as the batch has changed them so far
            counts.update(month_counts_by_school(self.session, ledger, schools, cycle.month))
            self._month_counts[key] = (loaded | schools, counts)
        return counts[cycle.school_id]

    def ledger_changed(self, ledger: str, school_id: int) -> None:
        for loaded, _ in (v for (name, _), v in self._month_counts.items() if name == ledger):
            loaded.discard(school_id)

    def coverage(self, cycle: Cycle, now: datetime) -> SchoolCoverage:
        """The QD-2 coverage of the cycle's school this semester (no completion writes ledgers B or D)."""
        if cycle.school_id not in self._coverage:
            packs = {c.school_id: self.book.pack(c.pack, c.pack_version) for c in self.cycles
                     if c.school_id not in self._coverage}
            packs[cycle.school_id] = self.book.pack(cycle.pack, cycle.pack_version)
            self._coverage.update(coverage_for_schools(self.session, packs, local_date(now)))
        return self._coverage[cycle.school_id]

    def meeting(self, cycle: Cycle) -> Meeting | None:
        """The cycle's meeting row (its agenda, made when the step opened), if any."""
        assert cycle.id is not None
        if cycle.id not in self._meetings:
            cycle_ids = self._cycle_ids() - set(self._meetings) | {cycle.id}
            self._meetings.update(dict.fromkeys(cycle_ids))
            for meeting in self.session.exec(select(Meeting).where(col(Meeting.cycle_id).in_(cycle_ids))):
                self._meetings[meeting.cycle_id] = meeting  # one per cycle (unique)
        return self._meetings[cycle.id]

    def met(self, meeting: Meeting) -> None:
        self._meetings[meeting.cycle_id] = meeting

    def staff(self, school_id: int) -> list[tuple[int, str, str]]:
        """(person id, name, role) of every role the school's people hold."""
        if school_id not in self._staff:
            school_ids = {c.school_id for c in self.cycles} - set(self._staff) | {school_id}
            self._staff.update({i: [] for i in school_ids})
            for person_id, name, role, school in self.session.exec(
                    select(Person.id, Person.name, RoleAssignment.role, RoleAssignment.school_id)
                    .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                    .where(col(RoleAssignment.school_id).in_(school_ids))):
                self._staff[school or 0].append((person_id or 0, name, role))
        return self._staff[school_id]

    def class_statuses(self, cycle: Cycle) -> list[ClassCourseStatus]:
        """The "1+1" status of every class of the cycle's school in the cycle's month."""
        key = (cycle.pack, cycle.month)
        loaded, statuses = self._statuses.get(key, (set(), {}))
        if cycle.school_id not in loaded:
            schools = {c.school_id for c in self.cycles if (c.pack, c.month) == key} - loaded | {cycle.school_id}
            statuses.update(class_statuses_by_school(
                self.session, school_ids=schools, month=cycle.month,
                pack=self.book.pack(cycle.pack, cycle.pack_version),
                work=self.book.calendar(cycle.pack, cycle.pack_version)))
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
        self._load_reviews(cycle_id)
        if (cycle_id, ledger) not in self._reviews:
            self._reviews[(cycle_id, ledger)] = LedgerReview(cycle_id=cycle_id, ledger=ledger)
            self.session.add(self._reviews[(cycle_id, ledger)])
        return self._reviews[(cycle_id, ledger)]

    def _load_reviews(self, cycle_id: int) -> None:
        if cycle_id not in self._reviewed_cycles:
            cycle_ids = self._cycle_ids() - self._reviewed_cycles | {cycle_id}
            for review in self.session.exec(select(LedgerReview).where(col(LedgerReview.cycle_id).in_(cycle_ids))):
                self._reviews[(review.cycle_id, review.ledger)] = review
            self._reviewed_cycles |= cycle_ids

    def _cycle_ids(self) -> set[int]:
        return {c.id for c in self.cycles if c.id is not None}

    def report_facts(self, cycle: Cycle) -> ReportFacts:
        """What the cycle's monthly report says of its school and month, as it is now."""
        assert cycle.id is not None
        if cycle.id not in self._steps:
            cycle_ids = self._cycle_ids() | {cycle.id}
            school_ids = {c.school_id for c in self.cycles} | {cycle.school_id}
            for school_id, name, district_id in self.session.exec(
                    select(School.id, School.name, School.district_id).where(col(School.id).in_(school_ids))):
                self._schools[school_id or 0] = (name, district_id)
            self._steps.update({i: [] for i in cycle_ids} | load_steps(self.session, cycle_ids))
            self._open_cases.update({i: {} for i in school_ids} | count_open_cases(self.session, school_ids))
        if cycle.id not in self._tasks_loaded:
            self.write_tasks()
            cycle_ids = self._cycle_ids() - self._tasks_loaded | {cycle.id}
            self._tasks.update({i: [] for i in cycle_ids} | load_tasks(self.session, cycle_ids))
            self._tasks_loaded |= cycle_ids
        self._load_reviews(cycle.id)
        return ReportFacts(
            school=self._schools[cycle.school_id][0],
            steps=self._steps[cycle.id],
            tasks=[self._as_now(row) for row in self._tasks[cycle.id]],
            open_cases=self._open_cases[cycle.school_id],
            ledgers_reviewed=sorted(ledger for (cycle_id, ledger) in self._reviews if cycle_id == cycle.id),
        )

    def _as_now(self, row: TaskRow) -> TaskRow:
        """The task as its object in the session has it, if there is one (completed in this batch)."""
        task = self.session.identity_map.get(self.session.identity_key(Task, row.id))  # type: ignore[arg-type]
        return row if task is None else TaskRow(row.id, task.status, task.completed_at, task.due, task.carried_over)

    def tasks_added(self, cycle_id: int) -> None:
        """An action inserted tasks into the cycle: read its tasks again when a report asks."""
        self._tasks_loaded.discard(cycle_id)

    def monthly_report(self, cycle: Cycle) -> MonthlyReport | None:
        """The report already filed for the cycle, if any."""
        assert cycle.id is not None
        if cycle.id not in self._reports:
            cycle_ids = self._cycle_ids() - set(self._reports) | {cycle.id}
            self._reports.update(dict.fromkeys(cycle_ids))
            self._reports.update((r.cycle_id, r) for r in self.session.exec(
                select(MonthlyReport).where(col(MonthlyReport.cycle_id).in_(cycle_ids))))
        return self._reports[cycle.id]

    def filed(self, report: MonthlyReport) -> None:
        self._reports[report.cycle_id] = report

    def email_recipients(self, role: Role, school_id: int) -> list[Person]:
        """Holders of `role` with an email address for the school (district roles: its district's)."""
        if school_id not in self._schools:
            name, district_id = self.session.exec(
                select(School.name, School.district_id).where(School.id == school_id)).one()
            self._schools[school_id] = (name, district_id)
        district_id = self._schools[school_id][1]
        scope = district_id if role.scope == "district" else school_id
        if (role, scope) not in self._recipients:
            self._recipients[(role, scope)] = email_recipients(
                self.session, role=role, school_id=school_id, district_id=district_id)
        return self._recipients[(role, scope)]
