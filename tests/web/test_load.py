"""The web app under concurrent signed-in users, served for real (uvicorn over TCP in its own process).

64 requests at once used to hang the server for good: the session check (`current_viewer`, an `async def`)
checked a connection out of SQLAlchemy's pool on the event loop itself, and blocked it while the pool's
connections were held by requests that needed the loop to finish. No timing is asserted: every request must
answer, the server must answer again afterwards, and SIGTERM must stop it while requests are in flight.
"""

import asyncio
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.app_fixtures import world_copy
from tests.web.live_server import live_server
from tests.web.world import NOW, PASSWORD, World

CONCURRENT = 64
PATIENCE = 60.0  # seconds a request may take before it counts as hung (the fixed server takes well under 1 s)
STOP_PATIENCE = 30.0  # seconds SIGTERM may take to stop the server (it gives requests in flight 10 s)


def sign_in_over_http(base: str, login: str) -> str:
    """The session cookie of a sign-in through the login form."""
    with httpx.Client(base_url=base, timeout=PATIENCE) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text[:300]
        answer = client.post("/login", data={"login": login, "password": PASSWORD, "next": "/",
                                             "csrf_token": token.group(1)})
        assert answer.status_code == 303, answer.text[:300]
        cookie = client.cookies.get("xinyu_session")
        assert cookie, "no session cookie"
        return cookie


def pages_of(world: World) -> list[tuple[str, str]]:
    """(account, page): my tasks for staff of several roles, the school board, the district inbox."""
    school = world.school_id
    return [("homeroom", "/tasks"), ("psych", "/tasks"), ("leader", "/tasks"), ("other_homeroom", "/tasks"),
            ("leader", f"/schools/{school}/board"), ("officer", "/district/inbox")]


async def burst(base: str, plan: list[tuple[str, str]], count: int) -> list[str]:
    """`count` requests at once, each on its own connection; what each got (status code, or the error)."""
    async def one(n: int) -> str:
        cookie, path = plan[n % len(plan)]
        async with httpx.AsyncClient(base_url=base, timeout=PATIENCE, cookies={"xinyu_session": cookie}) as client:
            try:
                return str((await client.get(path)).status_code)
            except httpx.HTTPError as exc:
                return f"{path}: {type(exc).__name__}"

    return list(await asyncio.gather(*(one(n) for n in range(count))))


@pytest.fixture
def served(world_template: tuple[str, World], world: World, tmp_path: Path) -> Iterator[
        tuple[str, subprocess.Popen[bytes], list[tuple[str, str]]]]:
    """The served app on a copy of the world, and (cookie, page) pairs of users signed in over HTTP."""
    with world_copy(world_template[0], tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        with live_server(url, clock=NOW.isoformat()) as (base, process):
            cookies: dict[str, str] = {}
            plan = []
            for account, page in pages_of(world):
                if account not in cookies:
                    cookies[account] = sign_in_over_http(base, world.accounts[account].login)
                plan.append((cookies[account], page))
            yield base, process, plan


def test_64_signed_in_users_at_once_all_get_their_page_and_the_server_answers_afterwards(
        served: tuple[str, subprocess.Popen[bytes], list[tuple[str, str]]]) -> None:
    base, _process, plan = served
    got = asyncio.run(burst(base, plan, CONCURRENT))
    assert got == ["200"] * CONCURRENT, f"{sum(g != '200' for g in got)} of {CONCURRENT} failed: {sorted(set(got))}"
    cookie, path = plan[0]
    after = httpx.get(base + path, cookies={"xinyu_session": cookie}, timeout=30.0)
    assert after.status_code == 200


def test_sigterm_stops_the_server_while_64_requests_are_in_flight(
        served: tuple[str, subprocess.Popen[bytes], list[tuple[str, str]]]) -> None:
    base, process, plan = served
    stop = threading.Event()

    def load() -> None:  # waves of 64 requests until the server is gone
        while not stop.is_set():
            asyncio.run(burst(base, plan, CONCURRENT))

    waves = threading.Thread(target=load, daemon=True)
    waves.start()
    stop.wait(3.0)  # requests are in flight, continuously
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=STOP_PATIENCE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"SIGTERM did not stop the server within {STOP_PATIENCE:.0f} s")
    finally:
        stop.set()
    assert code == 0
    waves.join(timeout=2 * PATIENCE)
