"""Write a validated staff roster: what exists is loaded per district in a few queries, the rest is bulk-inserted."""

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session, col

from models import District, Person, RoleAssignment, School, SchoolClass
from xinyu.grades import STAGE_RANK
from xinyu.roster.bulk import chunked, fetch, insert_plain, insert_returning, update_by_id
from xinyu.roster.result import ImportResult

if TYPE_CHECKING:
    from xinyu.roster.staff import StaffPlan


def write_staff(
    session: Session, plan: "StaffPlan", result: ImportResult, *, pack: str | None, default_pack: str
) -> None:
    """Upsert the plan: ids of new rows come back from bulk INSERT … RETURNING, never row by row."""
    district_ids = _write_districts(session, plan, result)
    school_ids = _write_schools(session, plan, district_ids, result, pack=pack, default_pack=default_pack)
    class_ids = _write_classes(session, plan, school_ids, result)
    person_ids = _write_persons(session, plan, result)
    _write_roles(session, plan, district_ids, school_ids, class_ids, person_ids, result)


def _write_districts(session: Session, plan: "StaffPlan", result: ImportResult) -> dict[str, int]:
    names = sorted(plan.districts)
    ids: dict[str, int] = {}
    for part in chunked(names):
        query = select(col(District.id), col(District.name)).where(col(District.name).in_(part))
        ids.update({name: id_ for id_, name in fetch(session, query)})
    new = [{"name": name} for name in names if name not in ids]
    ids.update({name: id_ for id_, name in insert_returning(session, District, new, "name")})
    counts = result.count("districts")
    counts.created, counts.unchanged = len(new), len(names) - len(new)
    return ids


def _write_schools(
    session: Session,
    plan: "StaffPlan",
    district_ids: dict[str, int],
    result: ImportResult,
    *,
    pack: str | None,
    default_pack: str,
) -> dict[tuple[str, str], int]:
    by_id = {id_: name for name, id_ in district_ids.items()}
    existing = {}
    for part in chunked(sorted(by_id)):
        query = select(col(School.id), col(School.district_id), col(School.name), col(School.stage), col(School.pack))
        found = fetch(session, query.where(col(School.district_id).in_(part)))
        for id_, district_id, name, stage, school_pack in found:
            existing[(by_id[district_id], name)] = (id_, stage, school_pack)
    ids: dict[tuple[str, str], int] = {}
    new, changed = [], []
    for key, school in plan.schools.items():
        stage = school.stage or ""  # empty only for a school on record (_check_stages)
        wanted_pack = school.pack or pack
        if key not in existing:
            new.append({"district_id": district_ids[key[0]], "name": key[1], "stage": stage,
                        "pack": wanted_pack or default_pack})
            continue
        id_, old_stage, old_pack = existing[key]
        ids[key] = id_
        # A roster may list part of a school (one new homeroom teacher): it may raise the stage, never lower it.
        change: dict[str, object] = {}
        if STAGE_RANK.get(stage, 0) > STAGE_RANK.get(old_stage, 0):
            change["stage"] = stage
        if wanted_pack and wanted_pack != old_pack:
            change["pack"] = wanted_pack
        if change:
            changed.append({"id": id_, **change})
    for id_, district_id, name in insert_returning(session, School, new, "district_id", "name"):
        ids[(by_id[district_id], name)] = id_
    update_by_id(session, School, changed)
    counts = result.count("schools")
    counts.created, counts.updated = len(new), len(changed)
    counts.unchanged = len(plan.schools) - len(new) - len(changed)
    return ids


def _write_classes(
    session: Session, plan: "StaffPlan", school_ids: dict[tuple[str, str], int], result: ImportResult
) -> dict[tuple[str, str, int, str], int]:
    existing: dict[tuple[int, int, str], tuple[int, str]] = {}
    for part in chunked(sorted(set(school_ids.values()))):
        query = select(
            col(SchoolClass.id), col(SchoolClass.school_id), col(SchoolClass.grade), col(SchoolClass.name),
            col(SchoolClass.stage),
        )
        for id_, school_id, grade, name, stage in fetch(session, query.where(col(SchoolClass.school_id).in_(part))):
            existing[(school_id, grade, name)] = (id_, stage)
    new, changed = [], []
    for (district, school, grade, name), stage in plan.classes.items():
        key = (school_ids[(district, school)], grade, name)
        if key not in existing:
            new.append({"school_id": key[0], "grade": grade, "name": name, "stage": stage})
        elif existing[key][1] != stage:
            changed.append({"id": existing[key][0], "stage": stage})
    for id_, school_id, grade, name in insert_returning(session, SchoolClass, new, "school_id", "grade", "name"):
        existing[(school_id, grade, name)] = (id_, "")
    update_by_id(session, SchoolClass, changed)
    counts = result.count("classes")
    counts.created, counts.updated = len(new), len(changed)
    counts.unchanged = len(plan.classes) - len(new) - len(changed)
    return {
        (district, school, grade, name): existing[(school_ids[(district, school)], grade, name)][0]
        for (district, school, grade, name) in plan.classes
    }


def _write_persons(session: Session, plan: "StaffPlan", result: ImportResult) -> dict[str, int]:
    identities = sorted(plan.persons)
    existing: dict[str, tuple[int, str, str | None, str | None]] = {}
    for part in chunked(identities):
        query = select(col(Person.id), col(Person.identity), col(Person.name), col(Person.email), col(Person.phone))
        for id_, identity, name, email, phone in fetch(session, query.where(col(Person.identity).in_(part))):
            existing[identity] = (id_, name, email, phone)
    new, changed = [], []
    for identity in identities:
        person = plan.persons[identity]
        if identity not in existing:
            new.append({"identity": identity, "name": person.name, "email": person.email, "phone": person.phone})
            continue
        id_, name, email, phone = existing[identity]
        # An empty cell keeps what is known; a filled one replaces it.
        change = {k: v for k, v, old in (("name", person.name, name), ("email", person.email, email),
                                         ("phone", person.phone, phone)) if v and v != old}
        if change:
            changed.append({"id": id_, **change})
    ids = {identity: row[0] for identity, row in existing.items()}
    ids.update({identity: id_ for id_, identity in insert_returning(session, Person, new, "identity")})
    update_by_id(session, Person, changed)
    counts = result.count("persons")
    counts.created, counts.updated = len(new), len(changed)
    counts.unchanged = len(identities) - len(new) - len(changed)
    return ids


def _write_roles(
    session: Session,
    plan: "StaffPlan",
    district_ids: dict[str, int],
    school_ids: dict[tuple[str, str], int],
    class_ids: dict[tuple[str, str, int, str], int],
    person_ids: dict[str, int],
    result: ImportResult,
) -> None:
    existing: dict[tuple[int, str, str], tuple[int, str | None, str | None]] = {}
    for part in chunked(sorted(set(district_ids.values()))):
        query = select(col(RoleAssignment.id), col(RoleAssignment.person_id), col(RoleAssignment.role),
                       col(RoleAssignment.scope_key), col(RoleAssignment.gender), col(RoleAssignment.tenure))
        rows = fetch(session, query.where(col(RoleAssignment.district_id).in_(part)))
        existing.update({(person_id, role, scope_key): (id_, gender, tenure)
                         for id_, person_id, role, scope_key, gender, tenure in rows})
    new, changed = [], []
    for key in plan.roles:
        identity, role, district, school, grade, class_name = key
        gender, tenure = plan.role_attrs.get(key, (None, None))
        row: dict[str, object] = {"person_id": person_ids[identity], "role": role.value,
                                  "district_id": district_ids[district], "school_id": None, "grade": None,
                                  "class_id": None, "scope_key": f"d{district_ids[district]}"}
        if school:
            row["school_id"] = school_ids[(district, school)]
            row["scope_key"] = f"s{row['school_id']}"
        if grade is not None:
            row["grade"] = grade
            row["scope_key"] = f"s{row['school_id']}/g{grade}"
        if class_name is not None and grade is not None:
            row["class_id"] = class_ids[(district, school, grade, class_name)]
            row["scope_key"] = f"c{row['class_id']}"
        known = existing.get((row["person_id"], row["role"], row["scope_key"]))  # type: ignore[arg-type]
        if known is None:
            new.append({**row, "gender": gender, "tenure": tenure})
            continue
        # An empty cell keeps what is known; a filled one replaces it.
        change = {k: v for k, v, old in (("gender", gender, known[1]), ("tenure", tenure, known[2])) if v and v != old}
        if change:
            changed.append({"id": known[0], **change})
    insert_plain(session, RoleAssignment, new)
    update_by_id(session, RoleAssignment, changed)
    counts = result.count("roles")
    counts.created, counts.updated = len(new), len(changed)
    counts.unchanged = len(plan.roles) - len(new) - len(changed)
