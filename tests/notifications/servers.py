"""Real servers on loopback for the channel tests: an SMTP server (aiosmtpd) and an HTTP server (stdlib).

Both decide their answer from the request, so one server plays success and every kind of failure:
SMTP by the recipient's local part, HTTP by a function the test sets.
"""

import asyncio
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# Recipient local part → the server's answer to RCPT.
SMTP_REPLIES = {
    "bad": "550 5.1.1 mailbox unavailable",
    "busy": "451 4.3.0 try again later",
    "odd": "333 an answer no client expects",
}


@dataclass
class SmtpRecorder:
    """What the SMTP server saw: every message parsed, connections by peer, most transactions at once."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    peers: set[tuple[str, int]] = field(default_factory=set)
    deliveries: Counter[str] = field(default_factory=Counter)  # by X-Xinyu-Dedupe-Key
    in_data: int = 0
    most_at_once: int = 0
    data_delay: float = 0.0
    on_delivery: Callable[[int], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        local = address.split("@")[0]
        kind = next((k for k in ("bad", "busy", "odd", "drop", "slow") if local.startswith(k)), "ok")
        if kind == "drop":
            assert server.transport is not None
            server.transport.close()
            return "250 OK"
        if kind == "slow":
            await asyncio.sleep(1.5)
        if kind in SMTP_REPLIES:
            return SMTP_REPLIES[kind]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.in_data += 1
        self.most_at_once = max(self.most_at_once, self.in_data)
        try:
            if self.data_delay:
                await asyncio.sleep(self.data_delay)
            data = envelope.original_content or b""
            parsed = BytesParser(policy=policy.default).parsebytes(data)
            assert isinstance(parsed, EmailMessage)
            with self.lock:
                self.raw.append(data)
                self.messages.append(parsed)
                assert session.peer is not None
                self.peers.add(tuple(session.peer))  # type: ignore[arg-type]
                self.deliveries[str(parsed["X-Xinyu-Dedupe-Key"])] += 1
                total = sum(self.deliveries.values())
            if self.on_delivery:
                self.on_delivery(total)
            return "250 2.0.0 queued"
        finally:
            self.in_data -= 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.recorder = SmtpRecorder()
        # aiosmtpd's readiness check connects to the port it was given, so it cannot be 0.
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?tls=none"


@dataclass
class HttpRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


# An answer: (status, JSON body), or "drop" (close without answering), or "hang" (answer too late).
HttpAnswer = tuple[int, Any] | str


class HttpServer:
    """ThreadingHTTPServer on loopback; `answer` decides each response from the request."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []
        self.answer: Callable[[HttpRequest], HttpAnswer] = lambda request: (200, {"errcode": 0})
        self.hung_up = threading.Event()  # a hanging answer holds its connection until this (or 1.5 s)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = HttpRequest("POST", parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                      {k.lower(): v for k, v in self.headers.items()}, body)
                outer.requests.append(request)
                answer = outer.answer(request)
                if answer == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if answer == "hang":  # past any client's timeout in these tests; then hang up
                    outer.hung_up.wait(1.5)
                    self.close_connection = True
                    return
                assert not isinstance(answer, str)
                status, payload = answer
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> "HttpServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hung_up.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"
