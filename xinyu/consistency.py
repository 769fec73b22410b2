"""The invariants the cycle promises, checked over the whole database (`xinyu check`, the fault table).

`check_consistency(session)` returns one line per broken invariant, in plain words with ids (never a
student's or a person's name), and `[]` when the database is consistent. Each check is one set-based
query (a few use the policy packs), so it runs in seconds on a city's database.

The invariants, as the code defines them:
- cycles: one per school and month; at most one open per school, and it is the school's latest month;
  a closed cycle was closed because a later month opened.
- steps: a cycle's steps are its pack's sequence for the month (orders 1…n); no step is open or done
  while an earlier one is not done; open and done steps were opened on or after their earliest day;
  pending and open steps only in open cycles, carried steps only in closed ones; a done step's
  blocking tasks are done and its required ledgers reviewed; a pending step has no tasks.
- tasks: no duplicates (same step, template and class; or same origin month and key); open tasks live
  in open cycles, carried tasks in closed ones; at most one open task per lineage (carried chain);
  every carried task was carried exactly once, into the school's next month, keeping its lineage and
  its work; a step the closed month never reached became exactly one "missed step" task.
- the chase: one event per (lineage, rung, occasion), on its task's lineage and school; a task's
  escalation level was reached by a rung fired for its current due date; a district rung raised its
  inbox item; no reminder after the task was acknowledged.
- escalations: at most one unresolved per lineage, reason and level; an unresolved overdue item has
  open work in its lineage; it belongs to its task's school and district.
- extensions: at most one waiting per task, never on a task already carried.
- outbox: one message per dedupe key; sent exactly when it has a send time; a claim only while sending.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session

from xinyu.clock import local_date
from xinyu.cycle.packbook import PackBook
from xinyu.packs import PackError

MOST_PER_CHECK = 20  # a badly broken database is reported by example, not row by row

Rows = Sequence[Any]
Check = Callable[[Session, PackBook], Iterable[str]]

LINEAGE = "coalesce({t}.lineage_id, {t}.id)"


def check_consistency(session: Session, book: PackBook | None = None, *, most: int = MOST_PER_CHECK) -> list[str]:
    """Every broken invariant (at most `most` examples of each kind); `[]` when consistent."""
    if book is None:
        bind = session.get_bind()
        book = PackBook(bind if isinstance(bind, Engine) else bind.engine, pin_newest=True)
    session.flush()
    problems: list[str] = []
    for check in CHECKS:
        found = list(check(session, book))
        problems += found[:most]
        if len(found) > most:
            problems.append(f"……同类问题另有 {len(found) - most} 处（{check.__name__}）")
    return problems


def _rows(session: Session, sql: str, **params: Any) -> Rows:
    return list(session.connection().execute(text(sql), params))


# Cycles ---------------------------------------------------------------------------------------------------

def cycles(session: Session, book: PackBook) -> Iterable[str]:
    for school, month, count in _rows(session, """
            SELECT school_id, month, count(*) FROM cycle GROUP BY school_id, month HAVING count(*) > 1"""):
        yield f"学校 #{school} 的 {month} 有 {count} 个周期"
    for school, count in _rows(session, """
            SELECT school_id, count(*) FROM cycle WHERE status = 'open' GROUP BY school_id HAVING count(*) > 1"""):
        yield f"学校 #{school} 有 {count} 个进行中的周期"
    for cycle, school, month in _rows(session, """
            SELECT c.id, c.school_id, c.month FROM cycle c WHERE c.status = 'open' AND EXISTS (
                SELECT 1 FROM cycle later WHERE later.school_id = c.school_id AND later.month > c.month)"""):
        yield f"周期 #{cycle}（学校 #{school}，{month}）仍进行中，但该校已有更晚的月份"
    for cycle, school, month, status, closed_at in _rows(session, """
            SELECT c.id, c.school_id, c.month, c.status, c.closed_at FROM cycle c
            WHERE c.status NOT IN ('open', 'closed')
               OR (c.status = 'closed' AND (c.closed_at IS NULL OR NOT EXISTS (
                   SELECT 1 FROM cycle later WHERE later.school_id = c.school_id AND later.month > c.month)))"""):
        if status != "closed":
            yield f"周期 #{cycle}（学校 #{school}，{month}）状态无效：{status!r}"
        else:
            why = "没有结束时间" if closed_at is None else "该校没有更晚的月份"
            yield f"周期 #{cycle}（学校 #{school}，{month}）已结束，但{why}"


# Steps ----------------------------------------------------------------------------------------------------

def step_sequence(session: Session, book: PackBook) -> Iterable[str]:
    """The steps of each cycle are its pack's steps for the month, numbered 1…n in the pack's order."""
    expected: dict[tuple[str, str, str], list[str] | None] = {}

    def keys_for(pack: str, version: str, month: str) -> list[str] | None:
        if (pack, version, month) not in expected:
            try:
                loaded = book.pack(pack, version)  # the stored version the cycle runs on
            except PackError:  # not installed: pack_versions reports it
                loaded = None
            expected[(pack, version, month)] = [r.key for r in loaded.steps_for(int(month[5:7]))] if loaded else None
        return expected[(pack, version, month)]

    for cycle, pack, version, month, variant, count, first, last, orders in _rows(session, """
            SELECT c.id, c.pack, c.pack_version, c.month, c.variant, count(s.id), min(s."order"), max(s."order"),
                   count(DISTINCT s."order")
            FROM cycle c LEFT JOIN step s ON s.cycle_id = c.id
            GROUP BY c.id, c.pack, c.pack_version, c.month, c.variant"""):
        keys = keys_for(pack, version, month)
        if count != orders or (count and (first != 1 or last != count)):
            yield f"周期 #{cycle} 的步骤序号不是 1…{count}（{first}…{last}，{orders} 个不同序号）"
        elif keys is not None and count != len(keys):
            yield f"周期 #{cycle} 有 {count} 个步骤，{pack} 政策包 {month[5:7]} 月应有 {len(keys)} 个"
        if keys is not None and variant != book.pack(pack, version).variant_for_month(int(month[5:7])):
            yield f"周期 #{cycle} 的月份类型 {variant!r} 与 {pack} 政策包不符"
    for pack, version, month, order, key, count in _rows(session, """
            SELECT c.pack, c.pack_version, c.month, s."order", s.key, count(*)
            FROM step s JOIN cycle c ON c.id = s.cycle_id
            GROUP BY c.pack, c.pack_version, c.month, s."order", s.key"""):
        keys = keys_for(pack, version, month)
        if keys is not None and (order > len(keys) or order < 1 or keys[order - 1] != key):
            yield f"{count} 个 {pack} 政策包 {month} 周期的第 {order} 步是 {key!r}，政策包为 {keys}"


def step_order(session: Session, book: PackBook) -> Iterable[str]:
    """No step is open or done while an earlier step of its cycle is not done."""
    for step, key, status, cycle, earlier, earlier_key, earlier_status in _rows(session, """
            SELECT s.id, s.key, s.status, s.cycle_id, p.id, p.key, p.status
            FROM step s JOIN step p ON p.cycle_id = s.cycle_id AND p."order" < s."order"
            WHERE (s.status IN ('open', 'done') AND p.status <> 'done')
               OR (s.status = 'carried' AND p.status NOT IN ('done', 'carried'))
            ORDER BY s.id, p.id"""):
        yield (f"周期 #{cycle} 的步骤 #{step}（{key}）为 {status}，但前一步骤 #{earlier}（{earlier_key}）"
               f"为 {earlier_status}")


def step_states(session: Session, book: PackBook) -> Iterable[str]:
    for step, key, status, cycle, cycle_status in _rows(session, """
            SELECT s.id, s.key, s.status, c.id, c.status FROM step s JOIN cycle c ON c.id = s.cycle_id
            WHERE s.status NOT IN ('pending', 'open', 'done', 'carried')
               OR (c.status = 'open' AND s.status = 'carried')
               OR (c.status = 'closed' AND s.status IN ('pending', 'open'))"""):
        yield f"步骤 #{step}（{key}）为 {status}，而周期 #{cycle} 为 {cycle_status}"
    for step, key, status, opened_at, due, done_at in _rows(session, """
            SELECT id, key, status, opened_at, due, done_at FROM step
            WHERE (status IN ('open', 'done') AND (opened_at IS NULL OR due IS NULL))
               OR (status = 'done' AND done_at IS NULL) OR (status = 'pending' AND opened_at IS NOT NULL)"""):
        yield (f"步骤 #{step}（{key}）为 {status}，但开启时间 {opened_at}、截止 {due}、完成时间 {done_at} 不相符")
    # `opened_at < earliest` compares a time with a day: a superset of the early ones, checked exactly here.
    for step, key, earliest, opened_at in _rows(session, """
            SELECT id, key, earliest, opened_at FROM step WHERE opened_at IS NOT NULL AND opened_at < earliest"""):
        opened = _local_day(opened_at)
        if opened < _day(earliest):
            yield f"步骤 #{step}（{key}）于 {opened} 开启，早于其最早开启日 {earliest}"


def step_tasks(session: Session, book: PackBook) -> Iterable[str]:
    for task, step, task_cycle, step_cycle, step_key, key, status in _rows(session, """
            SELECT t.id, s.id, t.cycle_id, s.cycle_id, t.step_key, s.key, s.status
            FROM task t JOIN step s ON s.id = t.step_id
            WHERE t.cycle_id <> s.cycle_id OR t.step_key <> s.key OR s.status = 'pending'"""):
        if status == "pending":
            yield f"步骤 #{step}（{key}）尚未开启，却已有任务 #{task}"
        else:
            yield f"任务 #{task}（周期 #{task_cycle}，{step_key}）挂在周期 #{step_cycle} 的步骤 #{step}（{key}）下"
    for step, key, task, status in _rows(session, """
            SELECT s.id, s.key, t.id, t.status FROM step s JOIN task t ON t.step_id = s.id
            WHERE s.status = 'done' AND t.blocks_step = TRUE AND t.status <> 'done'"""):
        yield f"步骤 #{step}（{key}）已完成，但其必做任务 #{task} 为 {status}"
    required = {(pack, version, month): {r.key: set(r.ledgers_required)
                                         for r in book.pack(pack, version).steps_for(month) if r.ledgers_required}
                for pack, version in _packs(session) for month in range(1, 13)}
    keys = sorted({k for by_key in required.values() for k in by_key})
    if not keys:
        return
    reviewed: dict[int, set[str]] = {}
    done_steps = _rows(session, f"""
            SELECT s.id, s.key, c.id, c.pack, c.pack_version, c.month FROM step s JOIN cycle c ON c.id = s.cycle_id
            WHERE s.status = 'done' AND s.key IN ({', '.join(f"'{k}'" for k in keys)})""")
    for cycle, ledger in _rows(session, """
            SELECT r.cycle_id, r.ledger FROM ledger_review r JOIN step s ON s.cycle_id = r.cycle_id
            WHERE s.status = 'done'"""):
        reviewed.setdefault(cycle, set()).add(ledger)
    for step, key, cycle, pack, version, month in done_steps:
        missing = required.get((pack, version, int(month[5:7])), {}).get(key, set()) - reviewed.get(cycle, set())
        if missing:
            yield f"步骤 #{step}（{key}，周期 #{cycle}）已完成，但台账 {'、'.join(sorted(missing))} 未审核"


# Tasks ----------------------------------------------------------------------------------------------------

def duplicate_tasks(session: Session, book: PackBook) -> Iterable[str]:
    for step, template, class_id, count, first, last in _rows(session, """
            SELECT step_id, template, class_id, count(*), min(id), max(id) FROM task
            WHERE step_id IS NOT NULL GROUP BY step_id, template, class_id HAVING count(*) > 1"""):
        scope = f"班级 #{class_id}" if class_id is not None else "全校"
        yield f"步骤 #{step} 的 {template}（{scope}）有 {count} 项任务（#{first} … #{last}）"
    for origin, key, count, first, last in _rows(session, """
            SELECT origin_cycle_id, key, count(*), min(id), max(id) FROM task
            WHERE carried_from_id IS NULL GROUP BY origin_cycle_id, key HAVING count(*) > 1"""):
        yield f"周期 #{origin} 的任务 {key} 出现 {count} 次（#{first} … #{last}）"


def task_states(session: Session, book: PackBook) -> Iterable[str]:
    for task, status, cycle, cycle_status in _rows(session, """
            SELECT t.id, t.status, c.id, c.status FROM task t JOIN cycle c ON c.id = t.cycle_id
            WHERE t.status NOT IN ('open', 'done', 'carried') OR t.school_id <> c.school_id
               OR (t.status = 'open' AND c.status <> 'open') OR (t.status = 'carried' AND c.status <> 'closed')
               OR (t.status = 'done' AND t.completed_at IS NULL)"""):
        yield f"任务 #{task} 为 {status}，而其周期 #{cycle} 为 {cycle_status}（或学校、完成时间不符）"
    for lineage, count in _rows(session, f"""
            SELECT {LINEAGE.format(t='t')}, count(*) FROM task t WHERE t.status = 'open'
            GROUP BY {LINEAGE.format(t='t')} HAVING count(*) > 1"""):
        yield f"结转链 #{lineage} 有 {count} 项进行中的任务"


def carried_tasks(session: Session, book: PackBook) -> Iterable[str]:
    """Open work of a closed month is carried exactly once, into the school's next month, as the same work."""
    for task, count in _rows(session, """
            SELECT t.id, count(n.id) FROM task t LEFT JOIN task n ON n.carried_from_id = t.id
            WHERE t.status = 'carried' GROUP BY t.id HAVING count(n.id) <> 1"""):
        yield f"已结转的任务 #{task} 在下月有 {count} 项后续任务（应为 1 项）"
    for task, before, status in _rows(session, """
            SELECT n.id, t.id, t.status FROM task n JOIN task t ON t.id = n.carried_from_id
            WHERE t.status <> 'carried'"""):
        yield f"任务 #{task} 结转自任务 #{before}，但后者为 {status}"
    for task, before in _rows(session, f"""
            SELECT n.id, t.id FROM task n JOIN task t ON t.id = n.carried_from_id
            WHERE n.lineage_id IS NULL OR n.lineage_id <> {LINEAGE.format(t='t')} OR n.school_id <> t.school_id
               OR n.template <> t.template OR n.step_key <> t.step_key OR n.kind <> t.kind OR n.role <> t.role
               OR n.origin_cycle_id <> t.origin_cycle_id OR n.carried_over <> TRUE
               OR coalesce(n.class_id, 0) <> coalesce(t.class_id, 0)"""):
        yield f"任务 #{task} 结转自任务 #{before}，但结转链、学校或工作内容不一致"
    for task in _rows(session, """
            SELECT n.id FROM task n WHERE n.carried_from_id IS NULL AND n.lineage_id IS NOT NULL"""):
        yield f"任务 #{task[0]} 有结转链却不是结转来的"
    for task, before, month, before_month in _rows(session, """
            SELECT n.id, t.id, nc.month, tc.month FROM task n JOIN task t ON t.id = n.carried_from_id
            JOIN cycle nc ON nc.id = n.cycle_id JOIN cycle tc ON tc.id = t.cycle_id
            WHERE nc.school_id <> tc.school_id OR nc.month <= tc.month OR EXISTS (SELECT 1 FROM cycle b
                WHERE b.school_id = tc.school_id AND b.month > tc.month AND b.month < nc.month)"""):
        yield f"任务 #{before}（{before_month}）结转到了 {month} 的任务 #{task}，不是该校的下一个月"
    # A step never reached is carried as the task keyed missed:<step id> (matched here: one scan, no join on text).
    missed: dict[str, int] = defaultdict(int)
    for (key,) in _rows(session, "SELECT key FROM task WHERE kind = 'missed'"):
        missed[key] += 1
    for step, key, cycle in _rows(session, """
            SELECT id, key, cycle_id FROM step WHERE status = 'carried' AND opened_at IS NULL"""):
        count = missed[f"missed:{step}"]
        if count != 1:
            yield f"周期 #{cycle} 未开启的步骤 #{step}（{key}）结转为 {count} 项补做任务（应为 1 项）"


# The chase ------------------------------------------------------------------------------------------------

def chase_events(session: Session, book: PackBook) -> Iterable[str]:
    for lineage, rung, occasion, count in _rows(session, """
            SELECT lineage_id, rung, occasion, count(*) FROM chase_event
            GROUP BY lineage_id, rung, occasion HAVING count(*) > 1"""):
        yield f"结转链 #{lineage} 的催办 {rung}（{occasion}）记录了 {count} 次"
    for event, task in _rows(session, f"""
            SELECT e.id, t.id FROM chase_event e JOIN task t ON t.id = e.task_id
            WHERE e.lineage_id <> {LINEAGE.format(t='t')} OR e.school_id <> t.school_id"""):
        yield f"催办记录 #{event} 与其任务 #{task} 的结转链或学校不符"
    for task, level, due in _rows(session, f"""
            SELECT t.id, t.escalation_level, t.due FROM task t
            WHERE t.status = 'open' AND t.escalation_level <> 'none' AND NOT EXISTS (
                SELECT 1 FROM chase_event e WHERE e.lineage_id = {LINEAGE.format(t='t')}
                AND e.level = t.escalation_level AND e.occasion = cast(t.due AS varchar))"""):
        yield f"任务 #{task} 升级为 {level}，但没有截止 {due} 的该级催办记录"
    for event, lineage, occasion in _rows(session, """
            SELECT e.id, e.lineage_id, e.occasion FROM chase_event e WHERE e.level = 'district' AND NOT EXISTS (
                SELECT 1 FROM escalation x WHERE x.lineage_id = e.lineage_id AND x.reason = 'overdue'
                AND x.occasion = e.occasion)"""):
        yield f"催办记录 #{event} 报区县督办（结转链 #{lineage}，{occasion}），督办箱却没有该事项"
    for task, event in _rows(session, f"""
            SELECT t.id, e.id FROM task t JOIN chase_event e ON e.lineage_id = {LINEAGE.format(t='t')}
            WHERE t.status = 'open' AND t.acknowledged_at IS NOT NULL AND e.level = 'reminder'
              AND e.fired_at > t.acknowledged_at"""):
        yield f"任务 #{task} 已确认收到提醒，之后仍有提醒 #{event}"


def escalations(session: Session, book: PackBook) -> Iterable[str]:
    for lineage, reason, level, count in _rows(session, """
            SELECT lineage_id, reason, level, count(*) FROM escalation WHERE status <> 'resolved'
            GROUP BY lineage_id, reason, level HAVING count(*) > 1"""):
        yield f"结转链 #{lineage} 有 {count} 个未办结的 {reason}/{level} 督办事项"
    for item, status in _rows(session, """
            SELECT id, status FROM escalation WHERE status NOT IN ('new', 'acknowledged', 'resolved')
               OR (status = 'resolved' AND resolved_at IS NULL) OR (status <> 'resolved' AND resolved_at IS NOT NULL)
               OR (status = 'acknowledged' AND acknowledged_at IS NULL)"""):
        yield f"督办事项 #{item} 的状态 {status!r} 与其时间记录不符"
    for item, lineage in _rows(session, """
            SELECT x.id, x.lineage_id FROM escalation x WHERE x.status <> 'resolved' AND x.reason = 'overdue'
            AND NOT EXISTS (SELECT 1 FROM task t WHERE t.status = 'open'
                            AND (t.id = x.lineage_id OR t.lineage_id = x.lineage_id))"""):
        yield f"督办事项 #{item} 未办结，但结转链 #{lineage} 已没有进行中的任务"
    for item, task in _rows(session, f"""
            SELECT x.id, t.id FROM escalation x JOIN task t ON t.id = x.task_id JOIN school s ON s.id = t.school_id
            WHERE x.lineage_id <> {LINEAGE.format(t='t')} OR x.school_id <> t.school_id
               OR x.district_id <> s.district_id"""):
        yield f"督办事项 #{item} 与其任务 #{task} 的结转链、学校或区县不符"


def extensions(session: Session, book: PackBook) -> Iterable[str]:
    for task, count in _rows(session, """
            SELECT task_id, count(*) FROM extension WHERE status = 'requested' GROUP BY task_id HAVING count(*) > 1"""):
        yield f"任务 #{task} 有 {count} 个待审批的延期申请"
    for extension, task in _rows(session, """
            SELECT x.id, t.id FROM extension x JOIN task t ON t.id = x.task_id
            WHERE x.status = 'requested' AND t.status = 'carried'"""):
        yield f"延期申请 #{extension} 待审批，但任务 #{task} 已结转（申请应随任务结转）"
    for extension, status in _rows(session, """
            SELECT id, status FROM extension WHERE status NOT IN ('requested', 'approved', 'refused')
               OR (status <> 'requested' AND decided_at IS NULL)"""):
        yield f"延期申请 #{extension} 的状态 {status!r} 与审批记录不符"


# Outbox ---------------------------------------------------------------------------------------------------

def outbox(session: Session, book: PackBook) -> Iterable[str]:
    for key, count in _rows(session, """
            SELECT dedupe_key, count(*) FROM outbox GROUP BY dedupe_key HAVING count(*) > 1"""):
        yield f"消息去重键 {key} 出现 {count} 次"
    for message, status, sent_at, claimed in _rows(session, """
            SELECT id, status, sent_at, claimed_until FROM outbox
            WHERE status NOT IN ('queued', 'sending', 'sent', 'failed')
               OR (status = 'sent') <> (sent_at IS NOT NULL)
               OR (status = 'sending' AND claimed_until IS NULL)
               OR (status IN ('queued', 'sent', 'failed') AND claimed_until IS NOT NULL)"""):
        yield f"消息 #{message} 为 {status}，但发送时间 {sent_at}、领取期限 {claimed} 与之不符"


def pack_versions(session: Session, book: PackBook) -> Iterable[str]:
    """Every cycle runs on an installed version of its pack; every school's pack is installed."""
    for pack, version, count, first in _rows(session, """
            SELECT c.pack, c.pack_version, count(*), min(c.id) FROM cycle c
            WHERE NOT EXISTS (SELECT 1 FROM pack_version p WHERE p.pack_id = c.pack
                              AND CAST(p.version AS TEXT) = c.pack_version)
            GROUP BY c.pack, c.pack_version"""):
        yield f"{count} 个周期（如 #{first}）使用政策包 {pack} 版本 {version!r}，但该版本未安装"
    for pack, count in _rows(session, """
            SELECT s.pack, count(*) FROM school s
            WHERE NOT EXISTS (SELECT 1 FROM pack_version p WHERE p.pack_id = s.pack) GROUP BY s.pack"""):
        yield f"{count} 所学校使用政策包 {pack}，但它未安装（xinyu pack install）"


CHECKS: tuple[Check, ...] = (
    cycles, pack_versions, step_sequence, step_order, step_states, step_tasks, duplicate_tasks, task_states,
    carried_tasks,
    chase_events, escalations, extensions, outbox,
)


def _packs(session: Session) -> list[tuple[str, str]]:
    """The stored pack versions the cycles run on (a version not installed is reported by pack_versions)."""
    return [(pack, version) for pack, version in _rows(session, """
            SELECT DISTINCT c.pack, c.pack_version FROM cycle c
            WHERE EXISTS (SELECT 1 FROM pack_version p WHERE p.pack_id = c.pack
                          AND CAST(p.version AS TEXT) = c.pack_version)""")]



def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _local_day(value: datetime | str) -> date:
    """A stored time (UTC; naive on SQLite) as its day in Asia/Shanghai."""
    from datetime import UTC

    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return local_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
