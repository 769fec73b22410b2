"""One email and one phone per person. A roster row giving an email or a phone that another person has,
earlier in the same file or on record, is an error naming the row: otherwise that person's mail and SMS
would go to someone else's mailbox (and a login name would open two people)."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlmodel import Session, col

from models import Person
from xinyu.roster.bulk import chunked, fetch
from xinyu.roster.errors import ErrorList

if TYPE_CHECKING:
    from xinyu.roster.staff import PersonPlan

LABELS = {"email": "邮箱", "phone": "手机号"}
ON_RECORD_HINTS = {"email": "；若是同一人，请沿用上次导入的手机号", "phone": ""}


@dataclass
class Contacts:
    """Who gives each email and phone in the file: (kind, value) → (person identity, first row)."""

    owners: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def see(self, row: int, identity: str, email: str | None, phone: str | None, errors: ErrorList) -> None:
        for kind, value in (("email", email), ("phone", phone)):
            if not value:
                continue
            owner, first = self.owners.setdefault((kind, value), (identity, row))
            if owner != identity:
                label = LABELS[kind]
                errors.add(row, kind, value, f"与第{first}行（另一人）的{label}相同（同一{label}只能属于一人）")

    def check_on_record(self, session: Session, planned: dict[str, "PersonPlan"], errors: ErrorList) -> None:
        """Every email and phone of the file against the people on record (a few chunked queries)."""
        for kind, column in (("email", func.lower(col(Person.email))), ("phone", col(Person.phone))):
            values = sorted(value for (k, value) in self.owners if k == kind)
            for part in chunked(values):
                query = select(col(Person.identity), column).where(column.in_(part))
                for identity, value in fetch(session, query):
                    owner, row = self.owners[(kind, value)]
                    if owner != identity and not _gives_it_up(planned.get(identity), kind, value):
                        label = LABELS[kind]
                        errors.add(row, kind, value,
                                   f"已登记为另一人员的{label}（同一{label}只能属于一人{ON_RECORD_HINTS[kind]}）")


def _gives_it_up(plan: "PersonPlan | None", kind: str, value: str) -> bool:
    """The person on record is in this file with another email (phone): the value is free for someone else."""
    if plan is None:
        return False
    now = plan.email if kind == "email" else plan.phone
    return bool(now) and now != value
