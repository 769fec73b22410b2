"""schemathesis against the app's OpenAPI schema, signed in (session cookie + X-CSRF-Token) as a school leader,
a homeroom teacher and a district officer: no operation answers 500, and every answer matches the schema it documents.

One test per (role, operation), the operations read from the app's schema when the tests are collected. Each
draws its cases from three schemathesis strategies: valid data, invalid data (expect 4xx), and valid data
aimed at real objects of the role's school (so the fuzzing reaches past "not found"). Bounded for CI: a fixed
number of examples per operation, derandomized (the same cases on every run). One app over one copy of the
world per module; the fuzzed writes change it, which is fine for these checks.

(schemathesis' own pytest integration, `from_fixture(...).parametrize()`, trips over pytest 9.2 here, so the
strategies are driven with Hypothesis directly.)
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlmodel import Session

from tests.web.app_fixtures import sign_in
from tests.web.routes_catalog import (
    PARAM_KINDS,
    STAFF_SCHOOL,
    Targets,
    catalog,
    collection_app,
    complete_world,
    load_targets,
    world_copy,
)
from tests.web.world import NOW, World
from web.app import create_app
from web.security import CSRF_HEADER, SESSION_COOKIE
from xinyu.cycle import PackBook

ROLES = ("leader", "homeroom", "officer")

EXAMPLES = 25


def _operations(app: FastAPI) -> list[str]:
    labels = []
    for result in schemathesis.openapi.from_dict(app.openapi()).get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation whose schema schemathesis cannot read
        labels.append(result.ok().label)
    return sorted(labels)


ROUTES = catalog(collection_app())  # the routes and operations as they are when the tests are collected
OPERATIONS = _operations(collection_app())


@dataclass
class Fuzz:
    app: FastAPI
    schema: schemathesis.BaseSchema
    world: World
    targets: Targets
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def signed_in(self, role: str) -> dict[str, str]:
        """The headers a signed-in browser's API calls carry: the session cookie and the CSRF token."""
        if role not in self.headers:
            with TestClient(self.app, base_url="https://testserver") as client:
                sign_in(client, self.world.accounts[role].login)
                cookie = client.cookies.get(SESSION_COOKIE)
                assert cookie
                self.headers[role] = {"Cookie": f"{SESSION_COOKIE}={cookie}", CSRF_HEADER: client.headers[CSRF_HEADER]}
        return self.headers[role]


@pytest.fixture(scope="module")
def fuzz(world_template: tuple[str, World], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    url, world = world_template
    with world_copy(url, tmp_path_factory.mktemp("fuzz")) as engine:
        with Session(engine) as session:
            complete_world(session, world)  # extensions, escalations, crisis cases in every school to aim at
            targets = load_targets(session, world)
        app = create_app(engine=engine, book=PackBook(engine), clock=lambda: NOW, base_url="https://testserver")
        yield Fuzz(app, schemathesis.openapi.from_asgi("/openapi.json", app), world, targets)


def real_objects(fuzz: Fuzz, role: str, operation: schemathesis.APIOperation) -> dict[str, int]:
    """Path parameters naming objects of the role's school (an officer: the first school of the district)."""
    school = fuzz.targets.schools[STAFF_SCHOOL.get(role, "school")]
    found = {}
    for param in operation.path_parameters:
        kind = PARAM_KINDS.get(param.name)
        ids = school.ids.get(kind, []) if kind else []
        if ids:
            found[param.name] = ids[0]
    return found


def test_the_schema_documents_the_api_and_only_the_api() -> None:
    """Every /api/ route is in the schema (so it is fuzzed here) with a tag; pages are not."""
    undocumented = [r.label for r in ROUTES if r.api and not r.route.include_in_schema]
    untagged = [r.label for r in ROUTES if r.api and not r.route.tags]
    pages = [r.label for r in ROUTES if not r.api and r.route.include_in_schema]
    assert not (undocumented or untagged or pages), (undocumented, untagged, pages)
    assert {r.label for r in ROUTES if r.api} == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_api_never_fails_and_keeps_its_schema(fuzz: Fuzz, role: str, label: str) -> None:
    operation = fuzz.schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is no longer in the schema"
    headers = fuzz.signed_in(role)
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if aimed := real_objects(fuzz, role, operation):
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=aimed))

    @given(case=st.one_of(strategies))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def call(case: Case) -> None:
        response = case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])
        assert response.status_code != 401, "the signed-in session was not accepted"

    call()
