"""Error pages and answers are Chinese (404, 405, 422, 500; HTML and JSON), and a 422 never echoes the input.
The API's documentation (/docs) is served from a package's files, behind sign-in, under our own CSP."""

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.app_fixtures import ClientFor

MARKER = "回显标记<b>x9~"  # "~" is in no token (base64url), so a random CSRF token never matches
ENGLISH = re.compile(r"Not Found|Method Not Allowed|Internal Server Error|Input should|Field required|valid integer")


def chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def test_unknown_page_and_api_are_404_in_chinese(client_for: ClientFor) -> None:
    client = client_for("leader")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert not ENGLISH.search(page.text) and "页面不存在" in page.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert chinese(api.json()["detail"]) and not ENGLISH.search(api.text)


def test_wrong_method_is_405_in_chinese(client_for: ClientFor) -> None:
    client = client_for("leader")
    for path in ("/tasks", "/api/me"):
        answer = client.delete(path)
        assert answer.status_code == 405, path
        assert not ENGLISH.search(answer.text) and chinese(answer.text), answer.text[:300]


def test_422_on_a_page_names_the_field_in_chinese_and_never_echoes_the_input(client_for: ClientFor) -> None:
    client = client_for("leader")
    answer = client.get("/tasks/" + MARKER.replace("<", "%3C").replace(">", "%3E"))
    assert answer.status_code == 422
    assert not ENGLISH.search(answer.text), answer.text[:500]
    assert "task_id" in answer.text and "整数" in answer.text
    assert "x9~" not in answer.text


def test_422_in_the_api_lists_fields_and_chinese_reasons_without_input(client_for: ClientFor) -> None:
    client = client_for("leader")
    answer = client.post("/api/tasks/1/complete", json={"values": MARKER, "extra": MARKER})
    assert answer.status_code == 422
    errors = answer.json()["detail"]
    assert errors and all(set(e) == {"loc", "msg", "type"} for e in errors), errors
    assert all(chinese(e["msg"]) for e in errors), errors
    assert {e["loc"][-1] for e in errors} >= {"values", "extra"}
    assert "x9~" not in answer.text and not ENGLISH.search(answer.text)
    not_json = client.post("/api/tasks/1/complete", content=b"{" + MARKER.encode(),
                           headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and "x9~" not in not_json.text and chinese(not_json.text)


def _boom() -> None:
    raise RuntimeError("内部细节 secret-detail")


def test_500_is_chinese_and_shows_no_detail(web_app: FastAPI, client_for: Callable[[str], TestClient]) -> None:
    web_app.add_api_route("/boom", _boom)
    web_app.add_api_route("/api/boom", _boom)
    client = TestClient(web_app, base_url="https://testserver", raise_server_exceptions=False)
    page = client.get("/boom")
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "服务器" in page.text and not ENGLISH.search(page.text) and "secret-detail" not in page.text
    api = client.get("/api/boom")
    assert api.status_code == 500 and chinese(api.json()["detail"]) and "secret-detail" not in api.text


def test_docs_need_sign_in_and_load_swagger_ui_from_our_own_files(web_app: FastAPI, client_for: ClientFor) -> None:
    anonymous = TestClient(web_app, base_url="https://testserver")
    for path in ("/docs", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"):
        assert anonymous.get(path, follow_redirects=False).status_code in (303, 401), path
    client = client_for("leader")
    docs = client.get("/docs")
    assert docs.status_code == 200 and "API" in docs.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", docs.text, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts), scripts
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    for src in re.findall(r'(?:src|href)="(/[^"]+)"', docs.text):
        asset = client.get(src)
        assert asset.status_code == 200, src
    bundle = client.get("/docs/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"] and "SwaggerUIBundle" in bundle.text
    assert client.get("/openapi.json").json()["info"]["title"] == "心育闭环 API"
