"""What a run of the loop did, district by district: the counts an operator reads beside the run in Prefect's UI.

Every row a run writes carries the run's clock (`now`): a step's `opened_at`, a task's `created_at`, a rung's
`fired_at`, a district inbox item's `raised_at`, an outbox row's `created_at`. So the counts of a run at `now`
are the rows stamped `now`, grouped by the school's district (a message by its recipient's district; a post to
a group robot has no recipient and is counted in the total only). Runs are idempotent: a second run at the
same time writes nothing, and these counts are still those of the time (what the first run did).
No Prefect here: flows/report.py publishes them.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import ChaseEvent, Cycle, District, Escalation, OutboxMessage, RoleAssignment, School, Step, Task
from xinyu.links import link


@dataclass
class DistrictRun:
    district_id: int | None  # None: the total row
    district: str
    steps_opened: int = 0
    tasks_created: int = 0
    reminders: int = 0
    escalations: int = 0  # ladder rungs above a reminder (school or district level)
    district_inbox: int = 0  # items raised in the district's inbox
    messages_queued: int = 0


COLUMNS = {"district": "区县", "steps_opened": "开启步骤", "tasks_created": "新建任务", "reminders": "提醒",
           "escalations": "升级", "district_inbox": "区县待办", "messages_queued": "排队消息"}
TOTAL = "合计"


def district_names(session: Session) -> dict[int, str]:
    """School id → its district's name (the runs' tags)."""
    rows = session.exec(select(School.id, District.name).join(District, col(District.id) == col(School.district_id)))
    return {school_id: name for school_id, name in rows if school_id is not None}


def district_counts(session: Session, *, now: datetime) -> list[DistrictRun]:
    """One row per district where the run at `now` did something, by name, then the total of every district."""
    by_district: dict[int, DistrictRun] = {}
    names = dict(session.exec(select(District.id, District.name)).all())

    def add(field: str, rows: Any) -> None:
        for district_id, count in rows:
            row = by_district.setdefault(district_id, DistrictRun(district_id, names.get(district_id, "?")))
            setattr(row, field, getattr(row, field) + count)

    district = col(School.district_id)
    add("steps_opened", session.exec(
        select(district, func.count()).select_from(Step).join(Cycle, col(Cycle.id) == col(Step.cycle_id))
        .join(School, col(School.id) == col(Cycle.school_id)).where(col(Step.opened_at) == now).group_by(district)))
    add("tasks_created", session.exec(
        select(district, func.count()).select_from(Task).join(School, col(School.id) == col(Task.school_id))
        .where(col(Task.created_at) == now).group_by(district)))
    rungs = (select(district, func.count()).select_from(ChaseEvent)
             .join(School, col(School.id) == col(ChaseEvent.school_id)).where(col(ChaseEvent.fired_at) == now))
    add("reminders", session.exec(rungs.where(col(ChaseEvent.level) == "reminder").group_by(district)))
    add("escalations", session.exec(rungs.where(col(ChaseEvent.level) != "reminder").group_by(district)))
    add("district_inbox", session.exec(
        select(col(Escalation.district_id), func.count()).where(col(Escalation.raised_at) == now)
        .group_by(col(Escalation.district_id))))
    home = (select(col(RoleAssignment.person_id), func.min(col(RoleAssignment.district_id)).label("district_id"))
            .group_by(col(RoleAssignment.person_id)).subquery())
    add("messages_queued", session.exec(
        select(home.c.district_id, func.count()).select_from(OutboxMessage)
        .join(home, home.c.person_id == col(OutboxMessage.recipient_id))
        .where(col(OutboxMessage.created_at) == now).group_by(home.c.district_id)))

    rows = sorted(by_district.values(), key=lambda r: r.district)
    total = DistrictRun(None, TOTAL)
    for row in rows:
        for field in COLUMNS:
            if field != "district":
                setattr(total, field, getattr(total, field) + getattr(row, field))
    total.messages_queued = session.exec(
        select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.created_at) == now)).one()
    return [*rows, total]


def table(rows: list[DistrictRun]) -> list[dict[str, Any]]:
    """The rows under their Chinese column names, in column order."""
    return [{label: asdict(row)[field] for field, label in COLUMNS.items()} for row in rows]


def board_link(district_id: int, month: str, *, base_url: str | None = None) -> str:
    """The district board of `month` (web/routes/board.py), under XINYU_BASE_URL."""
    return link("district_board_page", base_url=base_url) + "?" + urlencode({"district": district_id, "month": month})


def markdown(rows: list[DistrictRun], *, title: str, month: str, base_url: str | None = None,
             most: int = 30) -> str:
    """The run's description: a title and a link to each district's board (up to `most` of them)."""
    lines = [f"**{title}**", ""]
    districts = [r for r in rows if r.district_id is not None]
    lines += [f"- [{r.district} · {month} 区县看板]({board_link(r.district_id, month, base_url=base_url)})"
              for r in districts[:most] if r.district_id is not None]
    if len(districts) > most:
        lines.append(f"- … 另有 {len(districts) - most} 个区县")
    return "\n".join(lines)
