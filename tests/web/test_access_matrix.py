"""Each role tries the other roles' pages and API calls and is refused (403/404), writes included, with nothing
written; nobody reads a student name outside their scope (a district officer: none at all); signed out, every
route sends to the login page (pages) or answers 401 (API).

Data-driven: the routes are read from the app (tests/web/routes_catalog.py), so a route added by any area is
covered as soon as it exists. One app over one copy of the world serves the whole module: the probes are
refusals, and every write probe checks that the database did not change.
"""

import hashlib
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from tests.web.app_fixtures import sign_in
from tests.web.routes_catalog import (
    MONTHS,
    OFFICERS,
    PUBLIC,
    QUERY_KINDS,
    ROLES,
    STAFF_SCHOOL,
    WRITES,
    RouteInfo,
    SchoolObjects,
    Targets,
    catalog,
    collection_app,
    complete_world,
    fill,
    form_body,
    json_body,
    kinds_of,
    load_targets,
    picks,
    world_copy,
    world_files,
)
from tests.web.world import NOW, World
from web.app import create_app
from xinyu.cycle import PackBook

ROUTES = catalog(collection_app())  # the routes as they are when the tests are collected
SIGNED_IN = [r for r in ROUTES if r.signed_in]
GETS = [r for r in SIGNED_IN if r.method == "GET"]
REFUSED = {403, 404}
# Officers may see their district's schools as counts and due dates, never these (issue: ledgers, crisis records,
# meeting minutes, task detail).
OFFICER_DENIED = re.compile(r"/(ledgers|crisis|meeting)|^/(api/)?tasks/\{")
# Tables a refused request may still touch: the audit log (reads and refusals are audited), the session's last use.
UNWATCHED = frozenset({"audit_log", "web_session", "login_attempt"})


# ---- the module's world, app and clients ----


@dataclass
class Matrix:
    app: FastAPI
    engine: Engine
    world: World
    targets: Targets
    clients: dict[str, TestClient]

    def client(self, role: str) -> TestClient:
        if role not in self.clients:
            client = TestClient(self.app, base_url="https://testserver")
            sign_in(client, self.world.accounts[role].login)
            self.clients[role] = client
        return self.clients[role]


@pytest.fixture(scope="module")
def matrix(world_template: tuple[str, World], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    url, world = world_template
    with world_copy(url, tmp_path_factory.mktemp("matrix")) as engine:
        with Session(engine) as session:
            complete_world(session, world)
            files = world_files(session, world, tmp_path_factory.mktemp("matrix-files"))
            targets = load_targets(session, world)
        app = create_app(engine=engine, book=PackBook(engine), clock=lambda: NOW, base_url="https://testserver",
                         file_store=files)
        found = Matrix(app, engine, world, targets, {})
        yield found
        for client in found.clients.values():
            client.close()


# ---- what a role must be refused ----


def _district_of(role: str, t: Targets) -> int:
    home = t.school_of(role)
    if home is not None:
        return home.district_id
    return t.schools["foreign" if role == "foreign_officer" else "school"].district_id


def _outside(role: str, t: Targets) -> list[tuple[str, SchoolObjects]]:
    """Schools out of the role's scope: staff see their own school only, officers their district's."""
    if role in OFFICERS:
        return [(k, s) for k, s in t.schools.items() if s.district_id != _district_of(role, t)]
    return [(k, s) for k, s in t.schools.items() if k != STAFF_SCHOOL[role]]


def _homes(role: str, t: Targets) -> list[SchoolObjects]:
    """Schools in the role's scope."""
    if role in OFFICERS:
        return [s for s in t.schools.values() if s.district_id == _district_of(role, t)]
    return [t.schools[STAFF_SCHOOL[role]]]


def denial_probes(route: RouteInfo, role: str, t: Targets) -> list[tuple[str, str]]:
    """(url, why) the role must be refused on this route."""
    kinds = kinds_of(route)
    found: dict[str, str] = {}

    def add(pick: dict[str, int | None], why: str) -> None:
        url = fill(route, pick)
        if url is not None:
            found.setdefault(url, why)

    if kinds:
        for key, school in _outside(role, t):
            add(picks(school), f"objects of the {key} school")
            if len(kinds) > 1:  # an id of one's own school beside another school's object: no mix-ups
                for home in _homes(role, t):
                    mixed = picks(school)
                    mixed.update(school=home.school_id, district=home.district_id)
                    add(mixed, f"own school id, object of the {key} school")
    if route.district and role not in OFFICERS:
        add(picks(_homes(role, t)[0]), "a district route, not an officer")
    if role in OFFICERS and not route.district and OFFICER_DENIED.search(route.path):
        for home in _homes(role, t):
            add(picks(home), "an officer on a school's ledgers, crisis records, meeting or task detail")
    if role == "homeroom":
        home = t.schools["school"]
        mine = {c for c in [_ACCOUNT_CLASSES.get(role)] if c is not None}
        if "crisis" in kinds and not route.path.startswith("/crisis-alerts/"):  # the relay's own page: its
            add(picks(home), "a crisis record: only its handler and the school leader")  # rule in test_message_pages
        if kinds & {"task", "class", "course_record", "key_student", "proposal"}:
            add(picks(home, not_classes=mine), "another class of the own school")
    if "extension" in kinds and "decision" in route.path and route.method in WRITES and role in STAFF_SCHOOL \
            and role not in ("leader", "other_leader", "foreign_leader"):
        add(picks(_homes(role, t)[0]), "deciding an extension: only the school leader")
    return list(found.items())


_ACCOUNT_CLASSES: dict[str, int | None] = {}  # role → the class of the world's account (homeroom teachers)


def forbidden_names(role: str, t: Targets) -> set[str]:
    """Names this role must never read: students outside its scope (all of them for officers), and the
    schools of another district."""
    if role in OFFICERS:
        students = set(t.student_class)
    elif role.endswith("homeroom"):
        mine = _ACCOUNT_CLASSES[role]
        students = {n for n, c in t.student_class.items() if c != mine}
    else:
        home = t.schools[STAFF_SCHOOL[role]].school_id
        students = {n for n, s in t.student_school.items() if s != home}
    district = _district_of(role, t)
    schools = {s.name for s in t.schools.values() if s.district_id != district}
    return (students - t.staff_names) | schools


def body_text(response: Response) -> str:
    """Everything a person could read in a response: pages, JSON, and the text inside XLSX downloads."""
    content = response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))
    text = content.decode("utf-8", "replace")
    if "json" in response.headers.get("content-type", ""):
        try:
            return json.dumps(response.json(), ensure_ascii=False)
        except ValueError:
            return text
    return html.unescape(text)


def leaked(response: Response, names: set[str]) -> list[str]:
    text = body_text(response)
    return sorted(n for n in names if n in text)


def snapshot(engine: Engine) -> dict[str, str]:
    """A digest of every watched table's rows."""
    digests = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in UNWATCHED:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def send(client: TestClient, route: RouteInfo, url: str) -> Response:
    if route.method == "GET":
        return client.get(url, follow_redirects=False)
    if route.api:
        return client.request(route.method, url, json=json_body(route), follow_redirects=False)
    token = client.headers.get("X-CSRF-Token", "")
    return client.request(route.method, url, data={**form_body(route), "csrf_token": token}, follow_redirects=False)


@pytest.fixture(scope="module", autouse=True)
def _account_classes(world_template: tuple[str, World]) -> None:
    _ACCOUNT_CLASSES.update({role: a.class_id for role, a in world_template[1].accounts.items()})


# ---- the tests ----


def test_every_route_but_signing_in_needs_a_signed_in_viewer() -> None:
    open_routes = {(r.method, r.path) for r in ROUTES if not r.signed_in}
    assert open_routes <= PUBLIC, f"routes that do not depend on current_viewer: {sorted(open_routes - PUBLIC)}"
    assert len(SIGNED_IN) > 0


@pytest.mark.parametrize("route", SIGNED_IN, ids=lambda r: r.label)
def test_signed_out_goes_to_login(matrix: Matrix, route: RouteInfo) -> None:
    url = fill(route, picks(matrix.targets.schools["school"]))
    assert url is not None, "the world has no object this route names"
    with TestClient(matrix.app, base_url="https://testserver") as anonymous:
        before = snapshot(matrix.engine) if route.method in WRITES else None
        response = send(anonymous, route, url)
    if route.api:
        assert response.status_code == 401, (url, response.status_code, response.text[:300])
    else:
        assert response.status_code == 303, (url, response.status_code, response.text[:300])
        assert response.headers["location"].startswith("/login"), response.headers["location"]
    if before is not None:
        assert snapshot(matrix.engine) == before, f"{route.label} signed out changed the database"


@pytest.mark.parametrize("route", SIGNED_IN, ids=lambda r: r.label)
def test_wrong_roles_are_refused(matrix: Matrix, route: RouteInfo) -> None:
    """Every role, on objects outside its scope: 403/404, no forbidden name in the answer, nothing written."""
    failures: list[str] = []
    probes = 0
    for role in ROLES:
        client = matrix.client(role)
        names = forbidden_names(role, matrix.targets)
        for url, why in denial_probes(route, role, matrix.targets):
            probes += 1
            before = snapshot(matrix.engine) if route.method in WRITES else None
            response = send(client, route, url)
            if response.status_code not in REFUSED:
                failures.append(f"{role} {route.method} {url} ({why}): {response.status_code} "
                                f"{response.text[:160]!r}")
            if found := leaked(response, names):
                failures.append(f"{role} {route.method} {url}: names out of scope in the answer: {found}")
            if before is not None and (after := snapshot(matrix.engine)) != before:
                changed = sorted(k for k in after if after[k] != before.get(k))
                failures.append(f"{role} {route.method} {url} ({why}): the database changed: {changed}")
    assert not failures, f"{len(failures)} of {probes} probes failed:\n" + "\n".join(failures)


def sweep_urls(route: RouteInfo, role: str, t: Targets) -> list[str]:
    """The GET route filled with in-scope objects (each school of an officer's district), each month."""
    urls: dict[str, None] = {}
    for home in _homes(role, t):
        mine = _ACCOUNT_CLASSES.get(role)
        pick = picks(home, classes={mine}) if mine is not None else picks(home)
        pick = {k: v if v is not None else picks(home).get(k) for k, v in pick.items()}
        for month in MONTHS if "month" in route.path_params else (None,):
            url = fill(route, pick, {"month": month} if month else None)
            if url is None:
                continue
            urls[url] = None
            if "month" in route.query_params:
                urls.update({f"{url}?month={m}": None for m in MONTHS})
            for param in route.query_params:  # ids in the query: in scope, another class, another school
                if param in QUERY_KINDS:
                    for school in t.schools.values():
                        for chosen in (picks(school), picks(school, not_classes={mine} if mine else set())):
                            if (value := chosen.get(QUERY_KINDS[param])) is not None:
                                urls[f"{url}?{param}={value}"] = None
    return list(urls)


@pytest.mark.parametrize("role", ROLES)
def test_no_name_out_of_scope_anywhere(matrix: Matrix, role: str) -> None:
    """Every page, API answer and download the role can open: no student outside its scope (an officer: no
    student at all), no school of another district."""
    client = matrix.client(role)
    names = forbidden_names(role, matrix.targets)
    failures: list[str] = []
    opened = 0
    for route in GETS:
        for url in sweep_urls(route, role, matrix.targets):
            response = client.get(url, follow_redirects=False)
            assert response.status_code < 500, (url, response.text[:500])
            opened += response.status_code == 200
            if found := leaked(response, names):
                failures.append(f"{url} ({response.status_code}): {found}")
    assert not failures, f"{role} read names out of scope:\n" + "\n".join(failures)
    assert opened > 0, f"{role} could open nothing at all"


def _student_of(t: Targets, school: SchoolObjects, skip: int) -> str:
    names = [n for n, s in sorted(t.student_school.items()) if s == school.school_id and n not in t.staff_names]
    return names[skip]


def _evidence(detail: dict[str, Any], text: str) -> dict[str, Any]:
    """Evidence for a task's form: every text field says `text`, the others a plausible value."""
    plain = {"int": 1, "bool": True, "date": "2026-10-20", "students": []}
    return {f["name"]: text if f["type"] == "text" else f["choices"][0] if f["type"] == "choice" else plain[f["type"]]
            for f in detail["fields"] if f["type"] != "file"}


def test_every_page_opens_for_someone(matrix: Matrix) -> None:
    """The control for the refusals above: filled the same way, every GET route answers 200 to some role in
    scope, so a refusal means a refusal and not a malformed URL."""
    def opens(response: Response) -> bool:  # a page, or a redirect onwards (the home page) that is not to login
        return response.status_code == 200 or (response.status_code == 303
                                               and not response.headers["location"].startswith("/login"))

    closed = []
    for route in GETS:
        if not any(opens(matrix.client(role).get(url, follow_redirects=False))
                   for role in ROLES for url in sweep_urls(route, role, matrix.targets)):
            closed.append(route.label)
    assert not closed, f"no role could open these routes with in-scope objects: {closed}"


def test_a_student_name_typed_into_a_notice_never_reaches_an_officer(matrix: Matrix) -> None:
    """An officer's 督办 text naming a student (by mistake): no page, answer or download shows it to officers.
    Near the end of the module: it writes (a notice and the school's task)."""
    notice = next((r for r in SIGNED_IN if r.api and r.method == "POST" and r.path.endswith("/notice")), None)
    assert notice is not None, "the inbox's notice route (督办) is missing"
    school = matrix.targets.schools["school"]
    name = _student_of(matrix.targets, school, 0)
    url = fill(notice, picks(school))
    assert url is not None
    body = {**json_body(notice), "text": f"请督促落实{name}同学的谈心记录"}
    officer = matrix.client("officer")
    response = officer.post(url, json=body)
    assert response.status_code == 200, response.text
    assert name not in body_text(response)
    for route in GETS:
        for url in sweep_urls(route, "officer", matrix.targets):
            shown = officer.get(url, follow_redirects=False)
            assert name not in body_text(shown), f"{url} shows the student named in the notice"


def test_student_names_typed_by_staff_never_reach_officers(matrix: Matrix) -> None:
    """Free text a leader types (a course topic, a reason for more time, task evidence, meeting minutes) may
    name a student by mistake: officers' pages, answers and downloads never show it. Writes: last in the module."""
    school = matrix.targets.schools["school"]
    name = _student_of(matrix.targets, school, 1)
    leader = matrix.client("leader")
    sid = school.school_id
    written: dict[str, int] = {}
    options = leader.get(f"/api/schools/{sid}/courses/options")
    if options.status_code == 200:
        choice = options.json()
        written["course topic"] = leader.post(f"/api/schools/{sid}/courses", json={
            "class_id": choice["classes"][0]["class_id"], "kind": choice["kinds"][0]["key"],
            "held_on": choice["latest"], "topic": f"关注{name}的情绪"}).status_code
    details = [leader.get(f"/api/tasks/{task['id']}").json()
               for task in leader.get("/api/tasks", params={"scope": "all"}).json()["tasks"]
               if task["status"] in ("open", "overdue")]
    for detail in (d for d in details if d["may_ask"]):
        written["reason for more time"] = leader.post(f"/api/tasks/{detail['task']['id']}/extensions", json={
            "days": 2, "reason": f"{name}家长未到校"}).status_code
        if written["reason for more time"] == 200:
            break
    for detail in (d for d in details if d["may_act"] and any(f["type"] == "text" for f in d["fields"])):
        written["task evidence"] = leader.post(f"/api/tasks/{detail['task']['id']}/complete", json={
            "values": _evidence(detail, f"已约谈{name}")}).status_code
        if written["task evidence"] == 200:
            break
    written["meeting minutes"] = leader.post(f"/api/schools/{sid}/meetings/2026-10/minutes", json={
        "held_on": "2026-10-20", "minutes": f"讨论了{name}的情况", "decisions": ""}).status_code
    assert sum(status in (200, 201) for status in written.values()) >= 3, f"too few writes went through: {written}"
    for role in OFFICERS:
        officer = matrix.client(role)
        for route in GETS:
            for url in sweep_urls(route, role, matrix.targets):
                shown = officer.get(url, follow_redirects=False)
                assert name not in body_text(shown), f"{role}: {url} shows a student named in {written}"
