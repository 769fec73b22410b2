"""The business state of a database as plain, comparable data: "does this run equal a clean run?"

Two runs of the same days on the same roster must leave the same cycles, steps, tasks, ladder events,
escalations, extensions, messages, ledgers and course records, but not necessarily with the same
surrogate ids: batches run concurrently on several workers, a crashed run is finished by the next one,
so rows are inserted in another order. Here every row of a table the runs write is keyed by its natural
key (a cycle by school and month, a task by its cycle and its key, a message by its dedupe key …), and
every reference to such a row is replaced by that key. Ids of the roster (schools, classes, people,
students) come from the import and stay as they are: both runs must import the same files in the same
order.

Messages name tasks by id in their links, and their dedupe keys end with a hash of the rungs they carry
(task ids again): links are rewritten to the task's natural key and the hash is left out. Left out on
purpose: the wall-clock lease columns of the outbox (who claimed a message and until when), and the
audit log and web accounts, which runs do not write.
"""

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, MetaData, Table, select
from sqlmodel import SQLModel

import models  # noqa: F401  (every table in the metadata)

Key = tuple[Any, ...]
Snapshot = dict[str, list[tuple[Any, ...]]]

# Tables the runs write, parents before children, each with the columns that identify a row.
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
LEFT_OUT = {("outbox", "claimed_until"), ("outbox", "claimed_by")}


def snapshot(engine: Engine) -> Snapshot:
    """Every row of the tables in NATURAL_KEYS, without ids, references replaced by natural keys, sorted."""
    metadata: MetaData = SQLModel.metadata
    keys_by_id: dict[str, dict[int, Key]] = {}
    result: Snapshot = {}
    with engine.connect() as conn:
        for name, key_columns in NATURAL_KEYS.items():
            table = metadata.tables[name]
            rows = [dict(r._mapping) for r in conn.execute(select(table))]
            references = _references(table)
            # Keys first, then rows: a task points at other tasks (carried_from, lineage). No natural key
            # uses a reference to its own table, so the keys never need each other.
            assert not {c for c, target in references.items() if target == name} & set(key_columns)
            keys_by_id[name] = {}
            for row in sorted(rows, key=lambda r: r["id"]):  # a task's key may name an earlier task's id
                if name == "task":
                    row = {**row, "key": _TASK_ID_IN_KEY.sub(lambda m: _named_task(m, keys_by_id), row["key"])}
                keys_by_id[name][row["id"]] = _key(row, key_columns, references, keys_by_id)
            result[name] = sorted(
                (_row(r, table, references, keys_by_id) for r in rows), key=_sortable)
    return result


# Keys of carried tasks ("carried:<id>") and meeting decisions ("decision:<id>:<n>…") hold a task id.
_TASK_ID_IN_KEY = re.compile(r"^(carried|decision):(\d+)")


def _named_task(match: re.Match[str], keys_by_id: dict[str, dict[int, Key]]) -> str:
    return f"{match[1]}:{keys_by_id['task'].get(int(match[2]), ('missing', match[2]))}"


def describe_difference(a: Snapshot, b: Snapshot, *, most: int = 5) -> str:
    """"" when equal; otherwise, per table, the rows only in one side (the first few of each)."""
    lines = []
    for name in NATURAL_KEYS:
        left, right = set(a.get(name, [])), set(b.get(name, []))
        if left == right and len(a.get(name, [])) == len(b.get(name, [])):
            continue
        only_a, only_b = sorted(left - right, key=_sortable), sorted(right - left, key=_sortable)
        lines.append(f"{name}: {len(a.get(name, []))} rows vs {len(b.get(name, []))}; "
                     f"{len(only_a)} only in the first, {len(only_b)} only in the second")
        lines += [f"  - {row}" for row in only_a[:most]]
        lines += [f"  + {row}" for row in only_b[:most]]
    return "\n".join(lines)


def _references(table: Table) -> dict[str, str]:
    """Column → table written by the runs that it points at."""
    found = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys
             if fk.column.table.name in NATURAL_KEYS}
    found.update({column: target for (owner, column), target in IMPLICIT_REFERENCES.items() if owner == table.name})
    return found


def _resolve(value: Any, target: str, keys_by_id: dict[str, dict[int, Key]]) -> Any:
    if value is None:
        return None
    return (target, keys_by_id[target].get(value, ("missing", value)))


def _key(row: dict[str, Any], columns: tuple[str, ...], references: dict[str, str],
         keys_by_id: dict[str, dict[int, Key]]) -> Key:
    return tuple(_resolve(row[c], references[c], keys_by_id) if c in references else _plain(row[c])
                 for c in columns)


def _row(row: dict[str, Any], table: Table, references: dict[str, str],
         keys_by_id: dict[str, dict[int, Key]]) -> tuple[Any, ...]:
    values = []
    for column in table.columns:
        name = column.name
        if name == "id" or (table.name, name) in LEFT_OUT:
            continue
        value = row[name]
        if table.name == "outbox" and isinstance(value, str):
            value = _outbox_text(name, value, keys_by_id)
        values.append((name, _resolve(value, references[name], keys_by_id) if name in references else _plain(value)))
    return tuple(values)


# A message's links name task ids, and its dedupe key ends with a hash of the rungs it carries (task ids).
_TASK_LINK = re.compile(r"/tasks/(\d+)")
_RUNGS_HASH = re.compile(r":[0-9a-f]{16}$")


def _outbox_text(column: str, value: str, keys_by_id: dict[str, dict[int, Key]]) -> str:
    if column == "dedupe_key":
        return _RUNGS_HASH.sub(":…", value)
    return _TASK_LINK.sub(lambda m: f"/tasks/{keys_by_id['task'].get(int(m[1]), ('missing', m[1]))}", value)


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


def _sortable(row: tuple[Any, ...]) -> str:
    return repr(row)
