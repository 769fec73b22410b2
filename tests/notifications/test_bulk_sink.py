"""The simulations' bulk sink (XINYU_OUTBOX_SINK=bulk): one file per channel, each message whole in it, the
same message the file sink writes; a bad address fails as it does there; a later run appends."""

import email
import json
import mailbox
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from notifications.channels.bulk import MBOX_FROM, EmailBulkSink
from notifications.channels.files import EmailFileSink
from notifications.dispatcher import dispatch
from notifications.outbox import message_row
from tests.notifications.helpers import email_row, envelope, outcomes, queue, rows, sms_row
from xinyu.clock import SHANGHAI
from xinyu.settings import Settings

NOW = datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)
SENDER = "心育闭环 <noreply@xinyu.local>"


def test_every_message_is_appended_whole_to_its_channels_file(engine: Engine, tmp_path: Path) -> None:
    queue(engine, [email_row(n, now=NOW) for n in range(1, 6)] + [sms_row(n, now=NOW) for n in range(1, 4)]
          + [message_row(dedupe_key="robot:1", channel="robot", address="https://qyapi.example/send?key=SECRET",
                         subject="三项逾期", body_text="### 三项逾期", now=NOW)]
          + [email_row(9, now=NOW, address="not an address")])
    bulk = Settings(outbox_dir=tmp_path / "bulk", outbox_sink="bulk")
    result = dispatch(engine, now=NOW, settings=bulk)
    assert (result.sent, result.failed) == (9, 1)
    assert sorted(p.name for p in (tmp_path / "bulk").iterdir()) == ["email.mbox", "robot.jsonl", "sms.jsonl"]

    mbox = mailbox.mbox(tmp_path / "bulk" / "email.mbox", create=False)
    assert [m["X-Xinyu-Dedupe-Key"] for m in mbox] == [f"test:{n}:email" for n in range(1, 6)]
    first = mbox[0]
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in first.walk() if not p.is_multipart()}
    assert parts == {"text/plain": "第1封", "text/html": "<p>第1封</p>"}
    assert str(email.header.make_header(email.header.decode_header(first["Subject"]))) == "心育工作提醒（1）"

    sms = [json.loads(line) for line in (tmp_path / "bulk" / "sms.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [s["to"] for s in sms] == ["13800000001", "13800000002", "13800000003"]
    assert all(s["template"] == "chase_digest" and "2" in s["text"] for s in sms)
    [robot] = map(json.loads, (tmp_path / "bulk" / "robot.jsonl").read_text(encoding="utf-8").splitlines())
    assert robot["to"] == "https://qyapi.example/send" and "SECRET" not in json.dumps(robot)
    assert [r.status for r in rows(engine)].count("failed") == 1

    queue(engine, [email_row(20, now=NOW)])
    dispatch(engine, now=NOW, settings=bulk)  # a later run appends
    assert len(mailbox.mbox(tmp_path / "bulk" / "email.mbox", create=False)) == 6


def test_an_email_is_the_file_sinks_message_in_mbox_form(tmp_path: Path) -> None:
    message = envelope("ok@school.example.cn", body_text="From here on\nline two")
    assert outcomes(EmailFileSink(tmp_path / "files", sender=SENDER), [message]) == [None]
    assert outcomes(EmailBulkSink(tmp_path / "bulk", sender=SENDER), [message]) == [None]
    [eml] = (tmp_path / "files").iterdir()
    written = (tmp_path / "bulk" / "email.mbox").read_bytes()
    assert written == MBOX_FROM + eml.read_bytes().replace(b"\r\n", b"\n") + b"\n"
    assert b"\nFrom " not in written  # the base64 body carries no line an mbox reader would split at
