"""The scheduler's heartbeat: when each scheduled job last started and finished, and whether it went well.

Written by `xinyu serve` / `xinyu scheduler` around each job (xinyu/service/heartbeat.py), read by GET /healthz.
One row per job; numbers and times only.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class SchedulerHeartbeat(SQLModel, table=True):
    __tablename__ = "scheduler_heartbeat"

    job_id: str = Field(primary_key=True, max_length=32)
    last_started: datetime | None = aware_datetime()
    last_finished: datetime | None = aware_datetime()
    ok: bool | None = Field(default=None)  # the last finished run: None while none has finished
