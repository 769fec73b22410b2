"""Group robots (WeCom, DingTalk) against a real HTTP server on loopback: errcodes, signing, limits."""

import base64
import hashlib
import hmac
import time

import pytest

from notifications.channels.base import Envelope
from notifications.channels.robot import RobotChannel
from tests.notifications.helpers import envelope, kind, outcomes
from tests.notifications.servers import HttpAnswer, HttpServer


def robot_message(url: str, body: str = "本周逾期 3 项，请各班主任及时处理。") -> Envelope:
    return envelope(url, channel="robot", subject="心育工作提醒", body_text=body, body_html=None)


def wecom(server: HttpServer) -> str:
    return f"{server.base}/cgi-bin/webhook/send?key=693a91f6-7xxx"


def dingtalk(server: HttpServer, secret: str | None = None) -> str:
    return f"{server.base}/robot/send?access_token=abc123" + (f"&secret={secret}" if secret else "")


CASES = [  # (provider, answer, expected)
    ("wecom", (200, {"errcode": 0, "errmsg": "ok"}), "sent"),
    ("wecom", (200, {"errcode": 93000, "errmsg": "invalid webhook url"}), "PermanentFailure"),
    ("wecom", (200, {"errcode": 45009, "errmsg": "api freq out of limit"}), "TemporaryFailure"),
    ("wecom", (200, {"errcode": 77777, "errmsg": "new"}), "TemporaryFailure"),  # unknown code
    ("wecom", (500, {}), "TemporaryFailure"),
    ("wecom", "drop", "TemporaryFailure"),
    ("wecom", "hang", "TemporaryFailure"),
    ("dingtalk", (200, {"errcode": 0, "errmsg": "ok"}), "sent"),
    ("dingtalk", (200, {"errcode": 310000, "errmsg": "keywords not in content"}), "PermanentFailure"),
    ("dingtalk", (200, {"errcode": 300001, "errmsg": "token is not exist"}), "PermanentFailure"),
    ("dingtalk", (200, {"errcode": 130101, "errmsg": "send too fast"}), "TemporaryFailure"),
    ("dingtalk", (200, {"errcode": 88888, "errmsg": "new"}), "TemporaryFailure"),  # unknown code
    ("dingtalk", (500, {}), "TemporaryFailure"),
    ("dingtalk", "drop", "TemporaryFailure"),
    ("dingtalk", "hang", "TemporaryFailure"),
]


@pytest.mark.parametrize(("provider", "answer", "expected"), CASES)
def test_each_answer_of_a_robot_is_an_outcome(
    http_server: HttpServer, provider: str, answer: HttpAnswer, expected: str
) -> None:
    http_server.answer = lambda request: answer
    url = wecom(http_server) if provider == "wecom" else dingtalk(http_server)
    [outcome] = outcomes(RobotChannel(timeout=0.3), [robot_message(url)])
    assert kind(outcome) == expected
    if outcome is not None and isinstance(answer, tuple) and answer[1].get("errcode"):
        assert str(answer[1]["errcode"]) in outcome.reason  # the provider's code is what gets recorded


def test_wecom_gets_a_markdown_message_at_its_webhook(http_server: HttpServer) -> None:
    outcomes(RobotChannel(), [robot_message(wecom(http_server))])
    [request] = http_server.requests
    assert (request.path, request.query) == ("/cgi-bin/webhook/send", {"key": "693a91f6-7xxx"})
    assert request.json() == {"msgtype": "markdown",
                              "markdown": {"content": "**心育工作提醒**\n本周逾期 3 项，请各班主任及时处理。"}}


def test_dingtalk_is_signed_as_documented_and_the_secret_stays_home(http_server: HttpServer) -> None:
    secret = "SEC0123456789abcdef"
    outcomes(RobotChannel(), [robot_message(dingtalk(http_server, secret))])
    [request] = http_server.requests
    assert "secret" not in request.query and request.query["access_token"] == "abc123"
    stamp = request.query["timestamp"]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert request.query["sign"] == expected.decode()
    assert abs(int(stamp) / 1000 - time.time()) < 600  # the wall clock, which DingTalk checks
    assert request.json() == {"msgtype": "markdown", "markdown": {
        "title": "心育工作提醒", "text": "#### 心育工作提醒\n\n本周逾期 3 项，请各班主任及时处理。"}}


def test_without_a_secret_dingtalk_is_not_signed(http_server: HttpServer) -> None:
    outcomes(RobotChannel(), [robot_message(dingtalk(http_server))])
    assert set(http_server.requests[0].query) == {"access_token"}


def test_a_long_message_is_cut_to_the_providers_limit(http_server: HttpServer) -> None:
    outcomes(RobotChannel(), [robot_message(wecom(http_server), body="逾期事项" * 2000)])
    content = http_server.requests[0].json()["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("…")


def test_past_twenty_a_minute_a_robot_waits(http_server: HttpServer) -> None:
    results = outcomes(RobotChannel(), [robot_message(wecom(http_server)) for _ in range(21)])
    assert [kind(r) for r in results] == ["sent"] * 20 + ["Deferred"]
    assert len(http_server.requests) == 20


def test_a_webhook_of_neither_provider_is_refused(http_server: HttpServer) -> None:
    [outcome] = outcomes(RobotChannel(), [robot_message(f"{http_server.base}/hooks/abc")])
    assert kind(outcome) == "PermanentFailure" and http_server.requests == []
