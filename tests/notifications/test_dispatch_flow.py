"""The dispatch-outbox flow on Prefect's temporary API: the dispatcher's counts, and a second run sends nothing."""

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.notifications.helpers import email_row, queue, rows, sms_row
from xinyu.clock import SHANGHAI


def test_the_flow_sends_what_is_due_once(
    prefect_api: None, engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.dispatch import DispatchParams, dispatch_outbox_flow

    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    now = datetime(2026, 10, 9, 22, 30, tzinfo=SHANGHAI)
    queue(engine, [email_row(1, now=now), sms_row(2, now=now, not_before=datetime(2026, 10, 10, 7, tzinfo=SHANGHAI))])

    result = dispatch_outbox_flow(DispatchParams(at="2026-10-09T22:30"))
    assert (result["sent"], result["held"], result["email.sent"], result["sms.held"]) == (1, 1, 1, 1)
    assert dispatch_outbox_flow(DispatchParams(at="2026-10-09T22:35"))["sent"] == 0
    assert dispatch_outbox_flow(DispatchParams(at="2026-10-10T07:00"))["sms.sent"] == 1
    assert {r.status for r in rows(engine)} == {"sent"}
