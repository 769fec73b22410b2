"""Every route of the web app, read from the app itself, and the concrete URLs to probe it with.

The access tests are data-driven: a route added tomorrow is covered without touching them, as long as its
path parameters have names this module knows (PARAM_KINDS, PARAM_VALUES); an unknown name fails loudly.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import create_engine, null, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import (
    CourseRecord,
    CrisisCase,
    Cycle,
    Escalation,
    EvidenceFile,
    Extension,
    KeyStudentPlan,
    KeyStudentProposal,
    Person,
    RoleAssignment,
    School,
    SchoolClass,
    Student,
    TalkRecord,
    Task,
)
from tests.conftest import memory_book
from tests.web.app_fixtures import world_copy  # noqa: F401  (the modules' copies of the world)
from tests.web.world import NOW, World
from web.app import create_app
from web.security import current_viewer
from xinyu.cycle import PackBook
from xinyu.evidence_files import LocalStore
from xinyu.evidence_files.stores import content_key
from xinyu.roles import STUDENT_ROLES

# Routes anyone may call (signing in, the OpenAPI document, the health check): everything else must depend on
# current_viewer.
PUBLIC = frozenset({
    ("GET", "/login"), ("POST", "/login"), ("GET", "/first-login"), ("POST", "/first-login"),
    ("GET", "/first-login/{token}"), ("POST", "/first-login/{token}"),
    ("GET", "/login/code"), ("POST", "/login/code"), ("POST", "/login/code/verify"),
    ("GET", "/openapi.json"), ("GET", "/healthz"),
})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PACKS = Path(__file__).resolve().parents[2] / "packs"

# Path parameter name → the kind of object it names (filled with an object of the school being probed).
PARAM_KINDS = {
    "sid": "school", "school_id": "school",
    "task_id": "task", "tid": "task",
    "case_id": "crisis", "crisis_id": "crisis",
    "rid": "course_record", "record_id": "course_record",
    "extension_id": "extension", "ext_id": "extension",
    "escalation_id": "escalation", "item_id": "escalation", "eid": "escalation", "iid": "escalation",
    "district_id": "district", "did": "district",
    "class_id": "class", "cid": "class",
    "file_id": "evidence_file",
    "plan_id": "key_student", "proposal_id": "proposal",
    "talk_id": "talk",
    "person_id": "person", "assignment_id": "role_assignment",
}
# Query parameters that name objects (by their alias): the sweeps try objects in and out of scope there too.
QUERY_KINDS = {"class": "class", "class_id": "class", "school": "school", "school_id": "school", "sid": "school",
               "task": "task", "task_id": "task", "district": "district", "district_id": "district"}
# Path parameters that are values, not objects.
PARAM_VALUES = {"month": "2026-10", "letter": "all", "token": "not-a-token"}
MONTHS = ("2026-09", "2026-10", "2026-11")

# Roles of the world and the school (key of SCHOOL_KEYS) each works at; officers work at none.
STAFF_SCHOOL = {"leader": "school", "psych": "school", "homeroom": "school", "other_leader": "other",
                "other_homeroom": "other", "foreign_leader": "foreign"}
OFFICERS = ("officer", "foreign_officer", "admin")  # district roles: the admin keeps schools, people, accounts
ROLES = (*STAFF_SCHOOL, *OFFICERS)


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    route: APIRoute

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def signed_in(self) -> bool:
        return _depends_on(self.route.dependant, current_viewer)

    @property
    def path_params(self) -> list[str]:
        return [p.name for p in self.route.dependant.path_params]

    @property
    def query_params(self) -> list[str]:
        return [p.alias or p.name for p in _all(self.route.dependant, "query_params")]

    @property
    def district(self) -> bool:
        return self.path.startswith(("/district", "/api/district"))

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def catalog(app: FastAPI) -> list[RouteInfo]:
    """Every (method, path) of the app's API routes (pages and /api/), HEAD left out."""
    found: dict[tuple[str, str], RouteInfo] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                found.setdefault((method, context.path), RouteInfo(method, context.path, route))
    return sorted(found.values(), key=lambda r: (r.path, r.method))


def collection_app() -> FastAPI:
    """The app as the tests are collected: enough to list its routes and schema, no database behind it."""
    return create_app(engine=create_engine("sqlite://"), book=memory_book(), clock=lambda: NOW)


def _depends_on(dependant: Dependant, target: object) -> bool:
    return any(d.call is target or _depends_on(d, target) for d in dependant.dependencies)


def _all(dependant: Dependant, kind: str) -> list[Any]:
    """The route's parameters of one kind (query_params, body_params), its dependencies' included."""
    return [*getattr(dependant, kind), *(p for d in dependant.dependencies for p in _all(d, kind))]


# ---- the world's objects, per school ----


@dataclass
class SchoolObjects:
    school_id: int
    district_id: int
    name: str
    ids: dict[str, list[int]] = field(default_factory=dict)  # kind → ids of this school
    class_of: dict[tuple[str, int], int | None] = field(default_factory=dict)  # (kind, id) → class id

    def first(self, kind: str, *, classes: set[int] | None = None, not_classes: set[int] | None = None) -> int | None:
        for object_id in self.ids.get(kind, []):
            class_id = self.class_of.get((kind, object_id))
            if classes is not None and class_id not in classes:
                continue
            if not_classes is not None and (class_id is None or class_id in not_classes):
                continue
            return object_id
        return None


@dataclass
class Targets:
    """What a probe can name: the world's schools (school, other, foreign) and their objects."""

    schools: dict[str, SchoolObjects]
    student_class: dict[str, int]  # student name → class id
    student_school: dict[str, int]
    staff_names: set[str]

    def school_of(self, role: str) -> SchoolObjects | None:
        key = STAFF_SCHOOL.get(role)
        return self.schools[key] if key else None


def load_targets(session: Session, world: World) -> Targets:
    keys = {"school": world.school_id, "other": world.other_school_id, "foreign": world.foreign_school_id}
    schools: dict[str, SchoolObjects] = {}
    for key, sid in keys.items():
        school = session.get(School, sid)
        assert school is not None
        objects = SchoolObjects(sid, school.district_id, school.name)
        objects.ids["school"] = [sid]
        objects.ids["district"] = [school.district_id]
        queries = {  # kind → (id, class id) of this school's objects, in id order
            "class": sa_select(col(SchoolClass.id), col(SchoolClass.id)).where(col(SchoolClass.school_id) == sid),
            "task": sa_select(col(Task.id), col(Task.class_id)).where(col(Task.school_id) == sid),
            "crisis": sa_select(col(CrisisCase.id), null()).where(col(CrisisCase.school_id) == sid),
            "course_record": sa_select(col(CourseRecord.id), col(CourseRecord.class_id))
            .where(col(CourseRecord.school_id) == sid),
            "extension": sa_select(col(Extension.id), null()).join(Task, col(Task.id) == col(Extension.task_id))
            .where(col(Task.school_id) == sid),
            "escalation": sa_select(col(Escalation.id), null()).where(col(Escalation.school_id) == sid),
            "evidence_file": sa_select(col(EvidenceFile.id), null()).where(col(EvidenceFile.school_id) == sid),
            "key_student": sa_select(col(KeyStudentPlan.id), col(Student.class_id))
            .join(Student, col(Student.id) == col(KeyStudentPlan.student_id))
            .where(col(KeyStudentPlan.school_id) == sid),
            "proposal": sa_select(col(KeyStudentProposal.id), col(KeyStudentProposal.class_id))
            .where(col(KeyStudentProposal.school_id) == sid),
            "talk": sa_select(col(TalkRecord.id), col(Student.class_id))
            .join(Student, col(Student.id) == col(TalkRecord.student_id)).where(col(TalkRecord.school_id) == sid),
            # staff of the school other than its leader (whose own account a probe must not disable)
            "person": sa_select(col(RoleAssignment.person_id), null()).where(
                col(RoleAssignment.school_id) == sid, col(RoleAssignment.role) == "psych_teacher"),
            "role_assignment": sa_select(col(RoleAssignment.id), null()).where(
                col(RoleAssignment.school_id) == sid, col(RoleAssignment.role) == "homeroom"),
        }
        for kind, query in queries.items():
            for object_id, class_id in session.execute(query.order_by(text("1"))):
                objects.ids.setdefault(kind, []).append(object_id)
                objects.class_of[(kind, object_id)] = class_id
        schools[key] = objects
    students = list(session.exec(select(Student.name, Student.class_id, SchoolClass.school_id)
                                 .join(SchoolClass, col(SchoolClass.id) == col(Student.class_id))))
    staff = set(session.exec(select(Person.name).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                             .where(col(RoleAssignment.role).not_in([r.value for r in STUDENT_ROLES]))))
    return Targets(schools=schools, student_class={n: c for n, c, _ in students},
                   student_school={n: s for n, _, s in students}, staff_names=staff)


def complete_world(session: Session, world: World) -> None:
    """Give every school of the world one object of each kind a route may name (extensions and escalations
    do not arise in the world's October), so that every probe has something real to aim at."""
    for sid in (world.school_id, world.other_school_id, world.foreign_school_id):
        school = session.get(School, sid)
        assert school is not None
        task = session.exec(select(Task).where(Task.school_id == sid, Task.status != "done")
                            .order_by(col(Task.id))).first() or \
            session.exec(select(Task).where(Task.school_id == sid).order_by(col(Task.id))).first()
        assert task is not None and task.id is not None, f"school {sid} has no task"
        if not session.exec(select(Extension.id).where(Extension.task_id == task.id)).first():
            session.add(Extension(task_id=task.id, requested_by_id=task.assignee_id, requested_at=NOW,
                                  reason="需要更多时间", workdays=3, previous_due=task.due,
                                  new_due=task.due + timedelta(days=5)))
        if not session.exec(select(Escalation.id).where(Escalation.school_id == sid)).first():
            session.add(Escalation(task_id=task.id, lineage_id=task.lineage_id or task.id, school_id=sid,
                                   district_id=school.district_id, reason="overdue", occasion=task.due.isoformat(),
                                   level="district", days_overdue=5, summary="逾期未完成",
                                   raised_at=NOW - timedelta(days=1)))
        if not session.exec(select(CrisisCase.id).where(CrisisCase.school_id == sid)).first():
            _open_crisis(session, sid)
        _key_student_objects(session, sid)
        student = session.exec(select(Student).where(Student.school_id == sid).order_by(col(Student.id))).first()
        if student is not None and not session.exec(select(TalkRecord.id).where(TalkRecord.school_id == sid)).first():
            session.add(TalkRecord(school_id=sid, student_id=student.id or 0, kind="谈心", held_on=NOW.date(),
                                   by_id=task.assignee_id, summary="谈心", created_at=NOW, updated_at=NOW))
    session.commit()


def world_files(session: Session, world: World, folder: Path) -> LocalStore:
    """One evidence file (a PNG) on the first task of each school of the world, in a store in `folder`: the
    task a probe picks first, so /tasks/{task_id}/files/{file_id} opens for those who see that task."""
    store = LocalStore(folder)
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    digest, key = content_key(data)
    store.put(key, data, "image/png")
    for sid in (world.school_id, world.other_school_id, world.foreign_school_id):
        task = session.exec(select(Task).where(Task.school_id == sid).order_by(col(Task.id))).first()
        if task is None or session.exec(select(EvidenceFile.id).where(EvidenceFile.school_id == sid)).first():
            continue
        session.add(EvidenceFile(task_id=task.id or 0, school_id=sid, field="photos", name="活动照片.png",
                                 content_type="image/png", size=len(data), sha256=digest, storage_key=key,
                                 uploaded_by_id=task.assignee_id, uploaded_at=NOW))
    session.commit()
    return store


def _key_student_objects(session: Session, sid: int) -> None:
    """A ledger B plan and a pending proposal (issue 12) in every school that has students."""
    students = list(session.exec(select(Student).where(Student.school_id == sid).order_by(col(Student.id))))
    planned = set(session.exec(select(KeyStudentPlan.student_id).where(KeyStudentPlan.school_id == sid)))
    free = [s for s in students if s.id not in planned]
    if not planned and free:
        student = free.pop(0)
        session.add(KeyStudentPlan(school_id=sid, student_id=student.id or 0, opened_on=NOW.date(), status="draft",
                                   reason="教师推荐", created_at=NOW, updated_at=NOW))
    if free and not session.exec(select(KeyStudentProposal.id).where(KeyStudentProposal.school_id == sid)).first():
        session.add(KeyStudentProposal(school_id=sid, student_id=free[-1].id or 0, class_id=free[-1].class_id,
                                       source="班级摸排", status="pending", created_at=NOW))


def _open_crisis(session: Session, sid: int) -> None:
    from xinyu.crisis.opening import open_crisis_case

    student = session.exec(select(Student).where(Student.school_id == sid)).first()
    if student is None:  # the world's foreign school has classes but no students yet
        class_id = session.exec(select(SchoolClass.id).where(SchoolClass.school_id == sid)).first()
        assert class_id is not None, f"school {sid} has no class"
        student = Student(school_id=sid, class_id=class_id, student_no="X0001", name="欧阳测试", gender="女")
        session.add(student)
        session.flush()
    handler = session.exec(select(RoleAssignment.person_id).where(RoleAssignment.school_id == sid)).first()
    cycle = session.exec(select(Cycle.id).where(Cycle.school_id == sid)).first()
    if student.id is None or handler is None or cycle is None:
        return  # nothing to hang a case on: routes naming a crisis case get no probe for this school
    open_crisis_case(session, school_id=sid, student_id=student.id, level="一般", handler_id=handler, by=handler,
                     now=NOW, book=PackBook(session.get_bind()))  # type: ignore[arg-type]


# ---- filling a route's path ----


class UnknownParameter(KeyError):
    pass


def fill(route: RouteInfo, pick: dict[str, int | None], values: dict[str, str] | None = None) -> str | None:
    """The route's path with each parameter filled: objects from `pick` (kind → id), values from PARAM_VALUES.
    None when the route names a kind of object `pick` has none of."""
    path = route.path
    for name in route.path_params:
        if name in PARAM_KINDS:
            value = pick.get(PARAM_KINDS[name])
            if value is None:
                return None
            text_value = str(value)
        elif values and name in values:
            text_value = values[name]
        elif name in PARAM_VALUES:
            text_value = PARAM_VALUES[name]
        else:
            raise UnknownParameter(f"{route.label}: path parameter '{name}' is unknown to tests/web/routes_catalog.py "
                                   "(add it to PARAM_KINDS or PARAM_VALUES)")
        path = path.replace("{" + name + "}", text_value)
    return path


def kinds_of(route: RouteInfo) -> set[str]:
    return {PARAM_KINDS[n] for n in route.path_params if n in PARAM_KINDS}


def picks(objects: SchoolObjects, **class_filter: set[int]) -> dict[str, int | None]:
    """One object of each kind from a school (optionally only those of some classes / not of them)."""
    return {kind: objects.first(kind, **class_filter) for kind in objects.ids}


# ---- copies of the world ----


def minimal_instance(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value valid under a JSON schema (pydantic's): required fields only, shortest strings."""
    if "$ref" in schema:
        return minimal_instance(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], defs)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal_instance(props[name], defs) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal_instance(schema.get("items", {}), defs) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        if schema.get("format") == "date":
            return "2026-10-20"
        if schema.get("format") == "date-time":
            return "2026-10-20T10:00:00+08:00"
        return "测" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return True
    return None


def json_body(route: RouteInfo) -> Any:
    """A minimal valid JSON body for an API write, so a refusal is the access check's and not validation's."""
    body = route.route.body_field
    if body is None:
        return None
    from pydantic import TypeAdapter

    schema = TypeAdapter(body.field_info.annotation).json_schema()  # type: ignore[arg-type]
    return minimal_instance(schema, schema.get("$defs", {}))


# Forms that read their fields from the raw form (nothing declared to introspect): a valid value, so that a
# refusal comes from the access check and not from the form's validation.
FORM_HINTS = {"/decision": {"decision": "approve", "note": "同意"}}


def form_body(route: RouteInfo) -> dict[str, str]:
    """Form fields of an HTML write, required ones filled with a plausible value."""
    fields: dict[str, str] = {k: v for suffix, hint in FORM_HINTS.items() if route.path.endswith(suffix)
                              for k, v in hint.items()}
    for param in _all(route.route.dependant, "body_params"):
        name = param.alias or param.name
        if name != "csrf_token" and param.field_info.is_required():
            fields[name] = "1"
    return fields
