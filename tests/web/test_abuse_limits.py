"""Abuse limits against a real running server (uvicorn in its own process, real HTTP): the failed-password
limit holds under concurrency and counts per person, and request bodies are capped before they are read."""

import re
import select
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, func
from sqlmodel import select as sql_select

from models import LoginAttempt, Person
from tests.web.live_server import live_server
from tests.web.world import PASSWORD, World
from xinyu.accounts import MAX_FAILURES_PER_LOGIN

MB = 1024 * 1024


@contextmanager
def running_server(engine: Engine, **env: str) -> Iterator[tuple[str, int]]:
    """The web app served for real in a child process; yields (base URL, pid)."""
    with live_server(engine.url.render_as_string(hide_password=False), env=env) as (base, process):
        yield base, process.pid


def _rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found, status
    return int(found.group(1)) * 1024


def _login_form(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    form = client.get("/login")
    assert form.status_code == 200
    return client


def _form_token(client: httpx.Client) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    return token.group(1)


def test_forty_concurrent_wrong_passwords_check_exactly_five(world: World, world_engine: Engine) -> None:
    """Half by email, half by phone of the same person, all at once: five are checked, 35 refused."""
    leader = world.accounts["leader"]
    with Session(world_engine) as session:
        person = session.get(Person, leader.person_id)
        assert person is not None
        person.phone = person.phone or "13912345678"
        phone = person.phone
        session.commit()
    with running_server(world_engine) as (base, _pid):
        clients = [_login_form(base) for _ in range(40)]
        tokens = [_form_token(client) for client in clients]
        start = threading.Barrier(len(clients))
        statuses: list[int] = []

        def guess(index: int) -> None:
            login = leader.login if index % 2 else phone
            start.wait()
            response = clients[index].post("/login", data={"login": login, "password": f"guess-{index}",
                                                           "next": "/", "csrf_token": tokens[index]})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(clients))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # The right password waits too now: the person's limit is spent, whichever name was typed.
        late = clients[0].post("/login", data={"login": leader.login, "password": PASSWORD, "next": "/",
                                                "csrf_token": tokens[0]})
        for client in clients:
            client.close()
    assert Counter(statuses) == {401: MAX_FAILURES_PER_LOGIN, 429: 40 - MAX_FAILURES_PER_LOGIN}
    assert late.status_code == 429
    with Session(world_engine) as session:
        checked = session.exec(sql_select(func.count()).select_from(LoginAttempt)).one()
        refused_ok = session.exec(sql_select(func.count()).select_from(LoginAttempt)
                                  .where(col(LoginAttempt.ok).is_(True))).one()
    assert (checked, refused_ok) == (MAX_FAILURES_PER_LOGIN, 0)  # one recorded attempt per password checked


def _send_big_body(base: str, path: str, size: int, *, chunked: bool) -> tuple[int, int]:
    """POST `size` bytes of JSON-ish data, stopping as soon as the server answers; (status, bytes sent)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
                 .encode())
    piece = b"[" + b"1," * (32 * 1024) + b"1]"
    sent = 0
    try:
        while sent < size:
            # With a declared length the answer needs no body: wait for it (a server that reads first never
            # answers here); a chunked body is refused when the server has counted past its cap.
            wait = 10 if sent == 0 and not chunked else 0
            readable, _, _ = select.select([sock], [], [], wait)
            if readable:
                break  # answered before the body was sent
            data = piece if not chunked else f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            sock.sendall(data)
            sent += len(piece)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        sock.settimeout(60)
        head = b""
        while b"\r\n" not in head:
            more = sock.recv(4096)
            if not more:
                break
            head += more
    except (BrokenPipeError, ConnectionResetError):
        head = head if "head" in locals() else b""
    finally:
        sock.close()
    status = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    assert status, head
    return int(status.group(1)), sent


def test_a_50_mb_body_is_refused_413_before_it_is_read(world_engine: Engine) -> None:
    """Six unauthenticated 50 MB JSON bodies (by Content-Length and chunked): 413, and the RSS barely moves."""
    with running_server(world_engine) as (base, pid):
        assert httpx.get(base + "/login").status_code == 200
        before = _rss_bytes(pid)
        answers = [_send_big_body(base, "/api/district/inbox/1/notice", 50 * MB, chunked=i % 2 == 1)
                   for i in range(6)]
        grown = _rss_bytes(pid) - before
        small = httpx.post(base + "/api/district/inbox/1/notice", json={"days": 5, "text": "x"})
    assert [status for status, _ in answers] == [413] * 6
    assert [sent for _, sent in answers[::2]] == [0, 0, 0], answers  # Content-Length: not a byte was needed
    assert all(sent < 20 * MB for _, sent in answers[1::2]), answers  # chunked: refused long before 50 MB
    assert grown < 20 * MB, f"RSS grew by {grown / MB:.0f} MB"
    assert small.status_code == 401  # a body under the cap reaches the app as before


def test_the_cap_is_a_setting(world_engine: Engine) -> None:
    with running_server(world_engine, XINYU_MAX_BODY_BYTES="2000") as (base, _pid):
        refused = httpx.post(base + "/api/district/inbox/1/notice", content=b"x" * 2001,
                             headers={"Content-Type": "application/json"})
        assert refused.status_code == 413 and "请求内容过大" in refused.json()["detail"]
        page = httpx.post(base + "/login", content=b"login=" + b"x" * 4000,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert page.status_code == 413 and "请求内容过大" in page.text
        chunked = httpx.post(base + "/login", content=iter([b"login=", b"x" * 1500, b"x" * 1500]),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert chunked.status_code == 413 and "请求内容过大" in chunked.text  # counted as read: the app's 413 page
        assert httpx.post(base + "/api/district/inbox/1/notice", json={"days": 5}).status_code == 401

