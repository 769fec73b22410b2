"""Column helpers shared by the table modules."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class AwareDateTime(TypeDecorator[datetime]):
    """Stores UTC, hands back aware UTC. SQLite would otherwise keep the wall time and drop the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every time in this system carries its zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def aware_datetime(*, nullable: bool = True, index: bool = False) -> Any:
    """A timezone-aware timestamp column; xinyu.clock.as_local shows it in Asia/Shanghai."""
    return Field(default=None, sa_type=AwareDateTime, nullable=nullable, index=index)
