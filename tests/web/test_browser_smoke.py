"""The browser stack works: Debian Chromium opens pages from a live server and renders Chinese with a CJK font."""

from __future__ import annotations

import subprocess

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from tests.web.browser import PHONE, LiveServer, screenshot_dir
from tests.web.conftest import PageFactory

TITLE = "心育闭环"
PAGE = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{TITLE}</title>
<style>body {{ font-family: sans-serif; font-size: 32px; margin: 24px }}</style></head>
<body><h1 id="title">{TITLE}</h1><p>月度心理筛查 → 台账A–D更新 → 领导小组专题会议</p></body></html>"""


async def home(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


async def set_cookie(request: Request) -> PlainTextResponse:
    response = PlainTextResponse("set")
    response.set_cookie("sid", "abc", secure=True, httponly=True, samesite="lax")
    return response


async def echo_cookie(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.cookies.get("sid", "none"))


APP = Starlette(routes=[Route("/", home), Route("/set", set_cookie), Route("/echo", echo_cookie)])


def chinese_font_families() -> set[str]:
    """Every family fontconfig (and so Chromium) knows that covers Chinese, in all its localised names."""
    listing = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True).stdout
    return {name.strip() for line in listing.splitlines() for name in line.split(",") if name.strip()}


def test_chromium_renders_chinese_with_a_cjk_font(page_factory: PageFactory) -> None:
    page = page_factory(viewport=PHONE)
    with LiveServer(APP) as server:
        page.goto(server.url + "/")
        assert page.title() == TITLE
        assert page.inner_text("#title") == TITLE
        page.screenshot(path=screenshot_dir() / "smoke-chinese.png", full_page=True)

    # Ask Chromium (DevTools protocol) which platform fonts drew the heading. Without a CJK font the
    # characters are drawn as a Latin font's .notdef boxes (e.g. DejaVu Sans), which fails here.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#title"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    used = {font["familyName"]: font["glyphCount"] for font in fonts}
    assert sum(used.values()) == len(TITLE)
    assert set(used) <= chinese_font_families(), f"{TITLE} drawn with {used}: no CJK font (run scripts/ensure-browser)"


def test_secure_cookie_round_trips_over_http_on_localhost(page_factory: PageFactory) -> None:
    """`LiveServer.url` is http://localhost:PORT because Chromium keeps `Secure` cookies there over plain http."""
    page = page_factory()
    with LiveServer(APP) as server:
        assert server.url.startswith("http://localhost:")
        page.goto(server.url + "/set")
        page.goto(server.url + "/echo")
        assert page.inner_text("body") == "abc"
    assert [(c["name"], c["secure"], c["httpOnly"]) for c in page.context.cookies()] == [("sid", True, True)]
