"""`xinyu dispatch --at`: counts per channel and outcome in Chinese, and the messages that failed for good."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from notifications.report import destination
from tests.notifications.helpers import email_row, queue, sms_row
from tests.notifications.servers import SmtpServer
from xinyu.cli import main
from xinyu.clock import SHANGHAI
from xinyu.settings import Settings


def test_dispatch_reports_per_channel_and_names_what_failed_for_good(
    engine: Engine, db_url: str, smtp_server: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    evening = datetime(2026, 10, 9, 22, 30, tzinfo=SHANGHAI)
    queue(engine, [email_row(1, now=evening), email_row(2, now=evening, address="bad@school.example.cn"),
                   email_row(3, now=evening, address="busy@school.example.cn"),
                   sms_row(4, now=evening, not_before=evening + timedelta(hours=8, minutes=30))])
    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("XINYU_SMTP_URL", smtp_server.url)

    assert main(["dispatch", "--at", "2026-10-09T22:30"]) == 0
    out = capsys.readouterr().out
    assert "发件箱 · 2026-10-09 22:30（北京时间）" in out
    email = next(line for line in out.splitlines() if line.startswith("邮件"))
    sms = next(line for line in out.splitlines() if line.startswith("短信"))
    assert email.split()[1:5] == ["1", "1", "1", "0"] and f"smtp://127.0.0.1:{smtp_server.port}" in email
    assert sms.split()[1:5] == ["0", "0", "0", "1"] and "outbox" in sms
    assert "永久失败" in out and "#2 邮件 bad@school.example.cn：收件人被拒：550" in out


def test_where_messages_go_is_shown_without_credentials(tmp_path: Path) -> None:
    config = Settings(outbox_dir=tmp_path, smtp_url="smtps://mailer:s3cret@smtp.exmail.qq.com:465",
                      sms_url="aliyun://LTAIkey:sEcReT@dysmsapi.aliyuncs.com?sign_name=x", robot_webhooks=True)
    shown = [destination(channel, config) for channel in ("email", "sms", "robot")]
    assert shown == ["smtps://smtp.exmail.qq.com:465", "aliyun://dysmsapi.aliyuncs.com", "各校群机器人 webhook"]
    assert destination("email", Settings(outbox_dir=tmp_path)) == f"文件 {tmp_path}/"


def test_an_unreachable_server_counts_its_emails_once_under_retry_not_as_held(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    evening = datetime(2026, 10, 9, 22, 30, tzinfo=SHANGHAI)
    queue(engine, [*(email_row(n, now=evening) for n in range(1, 8)),
                   sms_row(8, now=evening, not_before=evening + timedelta(hours=8, minutes=30))])
    monkeypatch.setenv("XINYU_DATABASE_URL", db_url)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("XINYU_SMTP_URL", SmtpServer().url)  # its port, nobody listening
    for at in ("2026-10-09T22:30", "2026-10-09T22:35"):  # the second run: the deferred emails are due again
        assert main(["dispatch", "--at", at]) == 0
        out = capsys.readouterr().out
        email = next(line for line in out.splitlines() if line.startswith("邮件"))
        sms = next(line for line in out.splitlines() if line.startswith("短信"))
        assert email.split()[1:5] == ["0", "7", "0", "0"], out  # 稍后重试 7, 静默时段暂缓 0
        assert sms.split()[1:5] == ["0", "0", "0", "1"], out  # the SMS in quiet hours is the one held
