"""QD-S1: SMS queued in the quiet hours (21:00–08:00) wait in the outbox until 08:00; email goes at once.
The real dispatcher sends to a real SMTP server and a local SMS gateway."""

from datetime import datetime

from pytest_bdd import scenarios, then

from tests.features.support import Db, SchoolRef, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)
from tests.features.test_chase_steps import person, queued_to
from xinyu.clock import as_local

scenarios("催办与督办/短信免打扰时段.feature")

CHANNELS = {"封待发邮件": "email", "条待发短信": "sms"}


@then(step_text("{who}有一{kind}，可于 {at:At} 发送"))
def _(db: Db, school: SchoolRef, who: str, kind: str, at: datetime) -> None:
    with db() as session:
        queued = queued_to(session, person(session, school, who).id or 0, CHANNELS[kind])
        assert [as_local(m.not_before) for m in queued if m.not_before] == [at], queued
