"""The schedules of the embedded way of running, kept in the app's own database by APScheduler.

The cron expressions are those of the deployments in `prefect.yaml` (the Prefect-server way of running);
tests/test_scheduler.py holds the two together.

Missed runs. Every flow is a reconciler that reads the clock when it runs, so a late run does the right
thing and a second run is a no-op. `coalesce` makes a backlog one run, and APScheduler then judges only
the latest missed time against `misfire_grace_time`. Six hours lets a restart during the working day
catch up the 07:00 or 16:00 advance (and dispatch, whose latest miss is never more than 5 minutes old)
at once; a machine that comes back after a longer outage waits for the next scheduled run rather than
firing on start, at whatever hour someone brings it back. A skipped open-month costs nothing: advance
opens a school's month when it finds it missing.

One `serve` per database: APScheduler 3 does not share a job store between schedulers; running on
several machines is what the Prefect deployments are for.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect

from xinyu.clock import SHANGHAI
from xinyu.db import make_engine

logger = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"  # not in the models' metadata: migrations/env.py leaves it alone
MISFIRE_GRACE = timedelta(hours=6)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": int(MISFIRE_GRACE.total_seconds())}

# Same expressions as prefect.yaml, read in Asia/Shanghai. Keep the day of week `*`: APScheduler 3's
# from_crontab counts it from Monday = 0, cron from Sunday = 0.
OPEN_MONTH_CRON = "10 0 1 * *"
ADVANCE_CRONS = ("0 7 * * *", "0 16 * * *")
DISPATCH_EVERY = timedelta(minutes=5)


def open_month_trigger() -> BaseTrigger:
    return CronTrigger.from_crontab(OPEN_MONTH_CRON, timezone=SHANGHAI)


def advance_trigger() -> BaseTrigger:
    return OrTrigger([CronTrigger.from_crontab(cron, timezone=SHANGHAI) for cron in ADVANCE_CRONS])


def dispatch_trigger() -> BaseTrigger:
    return IntervalTrigger(seconds=int(DISPATCH_EVERY.total_seconds()), timezone=SHANGHAI)


@dataclass(frozen=True)
class Schedule:
    job_id: str
    func: str  # textual reference: what the job store keeps
    name: str  # the flow's name, in APScheduler's log lines
    label: str  # for people, in `serve`'s first line
    trigger: Callable[[], BaseTrigger]


SCHEDULES = (
    Schedule("open_month", "xinyu.service.jobs:open_month_job", "open-month", "开启月度周期", open_month_trigger),
    Schedule("advance", "xinyu.service.jobs:advance_job", "advance-cycles", "推进月度闭环", advance_trigger),
    Schedule("dispatch", "xinyu.service.jobs:dispatch_job", "dispatch-outbox", "发送消息", dispatch_trigger),
)


def build_scheduler(database_url: str, *, blocking: bool) -> BaseScheduler:
    """A scheduler over the app's database with the three jobs added (not started)."""
    # The app's engine: SQLite's 30 s busy timeout while a flow writes, pre-ping on PostgreSQL.
    store = SQLAlchemyJobStore(engine=make_engine(database_url), tablename=JOBSTORE_TABLE)
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(jobstores={"default": store}, executors={"default": ThreadPoolExecutor(len(SCHEDULES))},
                                job_defaults=JOB_DEFAULTS, timezone=SHANGHAI)
    now = datetime.now(SHANGHAI)
    for schedule in SCHEDULES:
        trigger = schedule.trigger()
        scheduler.add_job(schedule.func, trigger, id=schedule.job_id, name=schedule.name, replace_existing=True,
                          next_run_time=_next_run(_stored(store, schedule.job_id), trigger, now))
    return scheduler


def _stored(store: SQLAlchemyJobStore, job_id: str) -> Job | None:
    if not inspect(store.engine).has_table(JOBSTORE_TABLE):
        return None
    try:
        return store.lookup_job(job_id)
    except Exception:  # a job whose function no longer imports: replaced below
        logger.warning("stored job %s could not be read; scheduling it afresh", job_id)
        return None


def _next_run(stored: Job | None, trigger: BaseTrigger, now: datetime) -> datetime | None:
    # Replacing a job would otherwise reset its next run to the future and drop a run missed while we
    # were down; keep the stored one while the schedule is unchanged, for coalescing and the grace time.
    if stored is not None and stored.next_run_time is not None and _same(stored.trigger, trigger):
        return stored.next_run_time
    return trigger.get_next_fire_time(None, now)


def _same(a: BaseTrigger, b: BaseTrigger) -> bool:
    def key(trigger: BaseTrigger) -> str:
        # An interval trigger's repr carries its start date, which is the time of each build.
        return f"{trigger} {trigger.timezone}" if isinstance(trigger, IntervalTrigger) else repr(trigger)

    return key(a) == key(b)


@dataclass(frozen=True)
class Upcoming:
    label: str
    at: datetime  # local time
    catch_up: bool  # a missed run, within the grace time: it runs as soon as the scheduler starts


def upcoming(scheduler: BaseScheduler, now: datetime | None = None) -> Iterator[Upcoming]:
    """When each job runs next, as the scheduler will see it (before or after it starts)."""
    now = now or datetime.now(SHANGHAI)
    labels = {s.job_id: s.label for s in SCHEDULES}
    for job in scheduler.get_jobs():
        if job.next_run_time is None:
            continue
        latest_missed = None
        at: datetime | None = job.next_run_time
        while at is not None and at <= now:
            latest_missed, at = at, job.trigger.get_next_fire_time(at, now)
        if latest_missed is not None and now - latest_missed <= MISFIRE_GRACE:
            yield Upcoming(labels.get(job.id, job.name), latest_missed.astimezone(SHANGHAI), True)
        elif at is not None:
            yield Upcoming(labels.get(job.id, job.name), at.astimezone(SHANGHAI), False)
