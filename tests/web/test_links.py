"""The links of messages are the web app's routes: each name in xinyu.links is a GET page of the app,
at the path the messages use; no message writes a path of its own."""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine
from starlette.routing import NoMatchFound

from web.app import create_app
from xinyu.links import ROUTES, link, path

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(engine=create_engine("sqlite://"))


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_link_is_a_page_of_the_app(app: FastAPI, name: str) -> None:
    params = {p: f"7{i}" for i, p in enumerate(re.findall(r"\{(\w+)\}", ROUTES[name]))}
    try:
        registered = app.url_path_for(name, **params)
    except NoMatchFound:
        pytest.fail(f"the web app has no route named {name!r}: messages would link to a page that is gone")
    assert str(registered) == path(name, **params)
    assert "GET" in route_methods(name), f"{name} is not a page one can open"


def route_methods(name: str) -> set[str]:
    """The methods of the route of that name (FastAPI keeps included routers' routes in their routers)."""
    import importlib
    import pkgutil

    import web.routes as package

    found: set[str] = set()
    for info in pkgutil.iter_modules(package.__path__):
        for route in importlib.import_module(f"web.routes.{info.name}").router.routes:
            if getattr(route, "name", None) == name:
                found |= set(getattr(route, "methods", ()) or ())
    return found


def test_a_link_is_under_the_base_url() -> None:
    assert link("task_page", base_url="https://xinyu.example.cn/xy/", task_id=12) == \
        "https://xinyu.example.cn/xy/tasks/12"


# A path written by hand: next to the base URL (`f"{base_url}/tasks/…"`, `{{ base_url }}/inbox/…`), or any
# literal path of the app's pages (and the two that never existed, /my and /inbox).
HAND_WRITTEN = re.compile(r"base_url\s*(\}\}|\})?\s*(\)|\.rstrip\([^)]*\))?\s*\}?/[a-z]")
SEGMENTS = "|".join(sorted({p.split("/")[1] for p in ROUTES.values()} | {"my", "inbox", "login"}))
APP_PATH = re.compile(rf"(?<![\w.\-/])/({SEGMENTS})\b")


def test_no_message_writes_a_path_by_hand() -> None:
    offenders = []
    for folder in ("xinyu", "notifications", "flows"):
        for file in sorted((ROOT / folder).rglob("*")):
            if file.suffix in (".py", ".j2") and file.name != "links.py":
                for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
                    if HAND_WRITTEN.search(line) or APP_PATH.search(line):
                        offenders.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "paths written by hand into messages (use xinyu.links):\n" + "\n".join(offenders)
