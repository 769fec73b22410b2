"""SMS through the generic HTTP JSON gateway, against a real HTTP server on loopback."""

import pytest

from notifications.channels.base import Envelope
from notifications.channels.sms_http import HttpSmsGateway
from notifications.sms_templates import render_sms
from tests.notifications.helpers import envelope, kind, outcomes
from tests.notifications.servers import HttpAnswer, HttpServer

PARAMS = {"count": "3", "overdue": "1", "earliest": "10月13日", "link": "https://xinyu.example/my"}


def sms(number: str = "13800000000") -> Envelope:
    return envelope(number, channel="sms", subject="", body_text="", body_html=None, template="chase_digest",
                    params=PARAMS)


@pytest.mark.parametrize(("answer", "expected"), [
    ((200, {"ok": True}), "sent"),
    ((202, {}), "sent"),
    ((400, {"error": "invalid phone"}), "PermanentFailure"),
    ((500, {"error": "internal"}), "TemporaryFailure"),
    ((429, {"error": "slow down"}), "TemporaryFailure"),
    ((302, {}), "TemporaryFailure"),  # a status no rule expects: later, bounded by attempts
    ("drop", "TemporaryFailure"),
    ("hang", "TemporaryFailure"),
])
def test_each_answer_of_the_gateway_is_an_outcome(http_server: HttpServer, answer: HttpAnswer, expected: str) -> None:
    http_server.answer = lambda request: answer
    gateway = HttpSmsGateway(f"{http_server.base}/sms/send", timeout=0.3)
    [outcome] = outcomes(gateway, [sms()])
    assert kind(outcome) == expected


def test_the_gateway_gets_the_number_the_template_its_variables_and_the_text(http_server: HttpServer) -> None:
    outcomes(HttpSmsGateway(f"{http_server.base}/sms/send?token=t1"), [sms("13912345678")])
    [request] = http_server.requests
    assert (request.path, request.query) == ("/sms/send", {"token": "t1"})
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"phone": "13912345678", "template": "chase_digest", "params": PARAMS,
                              "text": render_sms("chase_digest", PARAMS)}


def test_every_request_of_a_message_carries_the_same_idempotency_key_and_only_its_own(http_server: HttpServer) -> None:
    http_server.answer = lambda request: "hang" if len(http_server.requests) == 1 else (200, {"ok": True})
    first, second = sms(), sms()
    gateway = HttpSmsGateway(f"{http_server.base}/sms/send", timeout=0.3)
    results = outcomes(gateway, [first, first, second])  # a timeout (the gateway may have it), its retry, another
    assert [kind(r) for r in results] == ["TemporaryFailure", "sent", "sent"]
    keys = [r.headers["idempotency-key"] for r in http_server.requests]
    assert keys[0] == keys[1] != keys[2] and first.dedupe_key not in keys[0]


def test_a_gateway_that_is_not_there_is_unreachable_not_an_attempt() -> None:
    from tests.notifications.servers import free_port

    [outcome] = outcomes(HttpSmsGateway(f"http://127.0.0.1:{free_port()}/sms"), [sms()])
    assert kind(outcome) == "Unreachable"
