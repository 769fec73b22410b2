"""The business state of a database as plain, comparable data: "does this run equal a clean run?"

Two runs of the same days on the same roster must leave the same cycles, steps, tasks, ladder events,
escalations, extensions, messages, ledgers and course records, but not necessarily with the same
surrogate ids: batches run concurrently on several workers, a crashed run is finished by the next one,
so rows are inserted in another order. Here every row of a table the runs write is keyed by its natural
key (a cycle by school and month, a task by its cycle and its key, a message by its dedupe key …), and
every reference to such a row is replaced by that key. Ids of the roster (schools, classes, people,
students) come from the import and stay as they are: both runs must import the same files in the same
order.

Some keys hold the id of another row ("carried:<task id>", "missed:<step id>", "monthly-report:<cycle
id>" …): those ids are replaced by that row's natural key too (KEY_REFERENCES). Messages name tasks by
id in their links, and chase messages' dedupe keys end with a hash of the rungs they carry (task ids
again): links are rewritten to the task's natural key and the hash is left out. Left out on purpose: the
wall-clock lease columns of the outbox (who claimed a message and until when), and the audit log and
web accounts, which runs do not write.
"""

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlmodel import SQLModel

import models  # noqa: F401  (every table in the metadata)

Key = tuple[Any, ...]
Snapshot = dict[str, list[tuple[Any, ...]]]

# Tables the runs write, each with the columns that identify a row.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "cycle": ("school_id", "month"),
    "step": ("cycle_id", "key"),
    "ledger_a_screening": ("student_id", "screened_on", "scale"),
    "ledger_b_key_student": ("school_id", "student_id", "opened_on"),
    "ledger_c_crisis": ("school_id", "student_id", "opened_at"),
    "ledger_d_talk": ("school_id", "student_id", "held_on", "kind", "by_id", "summary"),
    "task": ("cycle_id", "key"),
    "ledger_review": ("cycle_id", "ledger"),
    "meeting": ("cycle_id",),
    "monthly_report": ("cycle_id",),
    "course_record": ("class_id", "held_on", "kind", "topic", "recorded_by_id"),
    "chase_event": ("lineage_id", "rung", "occasion"),
    "escalation": ("lineage_id", "reason", "occasion"),
    "extension": ("task_id", "requested_at", "workdays"),
    "outbox": ("dedupe_key",),
}
# References that are not declared foreign keys (an index only) but still point at a task.
IMPLICIT_REFERENCES = {("task", "lineage_id"): "task", ("chase_event", "lineage_id"): "task",
                       ("escalation", "lineage_id"): "task"}
# Ids written into task keys and dedupe keys, by the prefix before them (xinyu/cycle, xinyu/chase).
KEY_REFERENCES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(carried):(\d+)(?=:)"), "step"),  # an unstarted phase carried: carried:<step>:<key>
    (re.compile(r"\b(carried):(\d+)$"), "task"),  # an open task carried: carried:<task>
    (re.compile(r"\b(decision):(\d+)"), "task"),  # a meeting's decision: decision:<minutes task>:<n>
    (re.compile(r"\b(missed):(\d+)"), "step"),
    (re.compile(r"\b(rectify|monthly-report):(\d+)"), "cycle"),
    (re.compile(r"\b(notice):(\d+)"), "escalation"),
    (re.compile(r"\b(crisis):(\d+)"), "ledger_c_crisis"),
    (re.compile(r"\b(extension):(\d+)"), "extension"),
]
_TASK_LINK = re.compile(r"/tasks/(\d+)")
_RUNGS_HASH = re.compile(r":[0-9a-f]{16}$")
LEFT_OUT = {("outbox", "claimed_until"), ("outbox", "claimed_by")}


def snapshot(engine: Engine) -> Snapshot:
    """Every row of the tables in NATURAL_KEYS, without ids, references replaced by natural keys, sorted."""
    with engine.connect() as conn:
        return _Resolver(conn).snapshot()


def describe_difference(a: Snapshot, b: Snapshot, *, most: int = 5) -> str:
    """"" when equal; otherwise, per table, the rows only in one side (the first few of each)."""
    lines = []
    for name in NATURAL_KEYS:
        left, right = a.get(name, []), b.get(name, [])
        if left == right:
            continue
        only_a, only_b = sorted(set(left) - set(right), key=repr), sorted(set(right) - set(left), key=repr)
        lines.append(f"{name}: {len(left)} rows vs {len(right)}; "
                     f"{len(only_a)} only in the first, {len(only_b)} only in the second")
        lines += [f"  - {row}" for row in only_a[:most]]
        lines += [f"  + {row}" for row in only_b[:most]]
    return "\n".join(lines)


class _Resolver:
    """Natural keys computed on demand (a key may name any other row's id) and remembered."""

    def __init__(self, conn: Connection) -> None:
        tables = SQLModel.metadata.tables
        self.tables: dict[str, Table] = {name: tables[name] for name in NATURAL_KEYS}
        self.rows = {name: {row["id"]: row for row in (dict(r._mapping) for r in conn.execute(select(table)))}
                     for name, table in self.tables.items()}
        self.references = {name: _references(table) for name, table in self.tables.items()}
        self.keys: dict[tuple[str, int], Key] = {}

    def snapshot(self) -> Snapshot:
        return {name: sorted((self.row(name, row) for row in rows.values()), key=repr)
                for name, rows in self.rows.items()}

    def key(self, table: str, row_id: int | None) -> Any:
        if row_id is None:
            return None
        if (table, row_id) not in self.keys:
            row = self.rows[table].get(row_id)
            if row is None:
                return (table, "missing", row_id)
            self.keys[(table, row_id)] = (table, tuple(self.value(table, c, row[c]) for c in NATURAL_KEYS[table]))
        return self.keys[(table, row_id)]

    def row(self, table: str, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple((column.name, self.value(table, column.name, row[column.name]))
                     for column in self.tables[table].columns
                     if column.name != "id" and (table, column.name) not in LEFT_OUT)

    def value(self, table: str, column: str, value: Any) -> Any:
        if column in self.references[table]:
            return self.key(self.references[table][column], value)
        if isinstance(value, str) and (column in ("key", "dedupe_key") or table == "outbox"):
            return self.text(column, value)
        return _plain(value)

    def text(self, column: str, value: str) -> str:
        for pattern, target in KEY_REFERENCES:
            value = pattern.sub(lambda m, t=target: f"{m[1]}:{self.key(t, int(m[2]))}", value)  # type: ignore[misc]
        if column == "dedupe_key":
            return _RUNGS_HASH.sub(":…", value)
        return _TASK_LINK.sub(lambda m: f"/tasks/{self.key('task', int(m[1]))}", value)


def _references(table: Table) -> dict[str, str]:
    """Column → table written by the runs that it points at."""
    found = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys
             if fk.column.table.name in NATURAL_KEYS}
    found.update({column: target for (owner, column), target in IMPLICIT_REFERENCES.items() if owner == table.name})
    return found


def _plain(value: Any) -> Any:
    """Hashable and comparable across SQLite and PostgreSQL: JSON as sorted text, times in UTC ISO form."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo is None else value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value
