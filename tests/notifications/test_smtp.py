"""Email over SMTP against a real server on loopback (aiosmtpd): outcomes, content, reuse, concurrency."""

import asyncio

import pytest

from notifications.channels.base import TemporaryFailure
from notifications.channels.smtp import SmtpChannel, SmtpServer, parse_smtp_url
from notifications.email_mime import message_id
from tests.notifications.helpers import envelope, kind, outcomes
from tests.notifications.servers import SmtpServer as FakeSmtp

SENDER = "心育闭环 <noreply@xinyu.example>"


def channel_for(server: FakeSmtp, *, pool_size: int = 1, timeout: float = 5.0) -> SmtpChannel:
    return SmtpChannel.from_url(server.url, sender=SENDER, pool_size=pool_size, timeout=timeout)


@pytest.mark.parametrize(("address", "expected", "reason"), [
    ("ok@school.example.cn", "sent", None),
    ("bad@school.example.cn", "PermanentFailure", "550"),   # unknown mailbox: never again
    ("busy@school.example.cn", "TemporaryFailure", "451"),  # greylisting, full queue: later
    ("odd@school.example.cn", "TemporaryFailure", "333"),   # a code no rule covers: later, bounded by attempts
    ("drop@school.example.cn", "TemporaryFailure", "连接"),  # the server hung up mid-transaction
    ("slow@school.example.cn", "TemporaryFailure", "连接"),  # no answer within the timeout
    ("not an address", "PermanentFailure", "地址无效"),
])
def test_each_answer_of_the_server_is_an_outcome_and_the_connection_carries_on(
    smtp_server: FakeSmtp, address: str, expected: str, reason: str | None
) -> None:
    channel = channel_for(smtp_server, timeout=0.5)
    first, after = outcomes(channel, [envelope(address), envelope("ok@school.example.cn")])
    assert kind(first) == expected
    if reason:
        assert first is not None and reason in first.reason
    assert after is None  # the next message on the same channel still goes
    assert len(smtp_server.recorder.messages) == (2 if expected == "sent" else 1)


def test_a_server_that_is_not_there_is_a_temporary_failure(smtp_server: FakeSmtp) -> None:
    channel = SmtpChannel(SmtpServer("127.0.0.1", 1, starttls=False), sender=SENDER, timeout=1)
    [outcome] = outcomes(channel, [envelope("ok@school.example.cn")])
    # Temporary, and more: not reached at all, so not an attempt (tests/faults/io_faults.py: a day down)
    assert isinstance(outcome, TemporaryFailure) and kind(outcome) == "Unreachable"


def test_the_mail_has_text_and_html_a_readable_chinese_subject_and_a_message_id_from_the_dedupe_key(
    smtp_server: FakeSmtp,
) -> None:
    message = envelope("ok@school.example.cn", subject="【逾期】十月“1+1”课程核查尚未完成（3个班级）",
                       body_text="李老师：\n请于10月20日前完成。",
                       body_html="<p>李老师：</p><p>请于<b>10月20日</b>前完成。</p>")
    assert outcomes(channel_for(smtp_server), [message]) == [None]
    [mail] = smtp_server.recorder.messages
    assert mail["Subject"] == message.subject
    assert mail["From"].addresses[0].display_name == "心育闭环"
    assert mail["From"].addresses[0].addr_spec == "noreply@xinyu.example"
    assert mail["To"] == "ok@school.example.cn"
    assert mail["X-Xinyu-Dedupe-Key"] == message.dedupe_key
    assert mail["Message-ID"] == message_id(message.dedupe_key, "xinyu.example")
    assert mail["Date"].datetime == message.created_at
    assert mail.get_content_type() == "multipart/alternative"
    text, html = (part for part in mail.iter_parts())
    assert (text.get_content_type(), text.get_content()) == ("text/plain", message.body_text)
    assert (html.get_content_type(), html.get_content()) == ("text/html", message.body_html)
    raw = smtp_server.recorder.raw[0]
    assert raw.isascii()  # 7-bit clean: no server needs 8BITMIME or SMTPUTF8 for it


def test_a_resend_is_recognisable_the_same_message_id_and_bytes(smtp_server: FakeSmtp) -> None:
    message = envelope("ok@school.example.cn")
    outcomes(channel_for(smtp_server), [message])
    outcomes(channel_for(smtp_server), [message])
    first, second = smtp_server.recorder.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert smtp_server.recorder.raw[0] == smtp_server.recorder.raw[1]


def test_a_text_only_message_is_a_single_part(smtp_server: FakeSmtp) -> None:
    outcomes(channel_for(smtp_server), [envelope("ok@school.example.cn", body_html=None)])
    [mail] = smtp_server.recorder.messages
    assert mail.get_content_type() == "text/plain" and "本月还有 2 项" in mail.get_content()


def test_a_pool_reuses_its_connections_and_sends_on_them_at_once(smtp_server: FakeSmtp) -> None:
    smtp_server.recorder.data_delay = 0.02  # so transactions overlap when they run concurrently
    channel = channel_for(smtp_server, pool_size=4)
    messages = [envelope(f"ok{n}@school.example.cn") for n in range(60)]

    async def run() -> None:
        await channel.open()
        try:
            await asyncio.gather(*(channel.deliver(m) for m in messages))
        finally:
            await channel.close()

    asyncio.run(run())
    recorder = smtp_server.recorder
    assert len(recorder.messages) == 60
    assert len(recorder.peers) <= 4  # 60 messages over at most 4 connections
    assert recorder.most_at_once > 1


def test_a_connection_the_server_closed_is_opened_again(smtp_server: FakeSmtp) -> None:
    channel = channel_for(smtp_server)

    async def run() -> list[str]:
        await channel.open()
        await channel.deliver(envelope("ok1@school.example.cn"))
        for client in channel._idle:  # the server (or a NAT box) drops the idle connection
            assert client.transport is not None
            client.transport.close()
        await asyncio.sleep(0)
        await channel.deliver(envelope("ok2@school.example.cn"))
        await channel.close()
        return [str(m["To"]) for m in smtp_server.recorder.messages]

    assert asyncio.run(run()) == ["ok1@school.example.cn", "ok2@school.example.cn"]
    assert len(smtp_server.recorder.peers) == 2


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.cn", SmtpServer("mail.example.cn", 587)),
    ("smtp://u%40x:p%3Aw@mail.example.cn:2525?tls=starttls",
     SmtpServer("mail.example.cn", 2525, starttls=True, username="u@x", password="p:w")),
    ("smtp://127.0.0.1:1025?tls=none", SmtpServer("127.0.0.1", 1025, starttls=False)),
    ("smtps://u:p@smtp.exmail.qq.com", SmtpServer("smtp.exmail.qq.com", 465, implicit_tls=True, starttls=False,
                                                  username="u", password="p")),
    ("smtps://relay.example.cn:10465?verify=false",
     SmtpServer("relay.example.cn", 10465, implicit_tls=True, starttls=False, verify_certificates=False)),
])
def test_smtp_urls(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.cn", "smtp://mail.example.cn?tls=ssl", "smtp:///nohost"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="XINYU_SMTP_URL"):
        parse_smtp_url(url)
