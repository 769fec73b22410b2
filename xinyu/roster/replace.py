"""A staff roster as the whole roster of each school it names (`xinyu import FILE --replace [--preview]`).

plan → preview → apply, in the caller's transaction:

- the file is checked exactly as `xinyu import` checks it (any bad row: RosterError, nothing written);
- the preview compares, school by school, the roles people hold there with the roles the file gives them:
  who is added, whose roles change, who loses which roles (reads only: a preview changes nothing);
- apply writes the file as the importer does, then deletes the school's role assignments (school, grade and
  class scope) the file no longer lists. The Person stays, with their roles at other schools, their history,
  the tasks they did and the audit trail. Their open tasks at that school go to whoever now holds the task's
  role there (none: the task goes back to the role, and the leader stands in, as for a role nobody holds);
  their access to the school ends at once (xinyu.access reads roles per request). One audit row: counts, ids.

Only staff rosters replace: a student list never removes students (their ledgers, screenings and talks are
records the school keeps), so `--replace` with one is refused.
Student role holders (心理委员 …) are handled as staff are, but shown as 某同学: the preview may reach the
district's administrator, and students' names never go there.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlmodel import Session, col

from models import AuditEntry, District, Person, RoleAssignment, School, SchoolClass, Task
from xinyu.clock import now as clock_now
from xinyu.cycle.org_index import load_org_index
from xinyu.cycle.states import TaskStatus
from xinyu.grades import grade_label
from xinyu.roles import STUDENT_ROLES, Role
from xinyu.roster.bulk import chunked, custom_plans, fetch, update_by_id
from xinyu.roster.columns import Kind, map_columns
from xinyu.roster.errors import RosterError, RowError
from xinyu.roster.result import ImportResult
from xinyu.roster.staff import StaffPlan, plan_staff
from xinyu.roster.staff_write import write_staff
from xinyu.roster.tables import Table, read_table
from xinyu.roster.within import Within, kept_within
from xinyu.settings import get_settings

STUDENT_NAME = "某同学"
ROLE_ORDER = {role.value: index for index, role in enumerate(Role)}


@dataclass(frozen=True, order=True)
class Holding:
    """One role of a person at a school, by what people read: the role, and its grade and class if any."""

    role: str
    grade: int | None = None
    class_name: str | None = None

    def sort_key(self) -> tuple[int, int, str]:
        return ROLE_ORDER.get(self.role, 99), self.grade or 0, self.class_name or ""

    @property
    def label(self) -> str:
        label = Role(self.role).label
        if self.grade is None:
            return label
        return f"{label}（{grade_label(self.grade)}{self.class_name or ''}）"


@dataclass
class PersonChange:
    name: str  # 某同学 for a student role holder
    before: list[str]
    after: list[str]
    lost: list[str]
    person_id: int | None = None  # None: a person not on record yet

    @property
    def line(self) -> str:
        if not self.before:
            return f"{self.name}：{'、'.join(self.after)}"
        if not self.after:
            return f"{self.name}：{'、'.join(self.before)}"
        return f"{self.name}：{'、'.join(self.before)} → {'、'.join(self.after)}"


@dataclass
class SchoolChanges:
    district: str
    school: str
    school_id: int | None  # None: a school the file creates
    added: list[PersonChange] = field(default_factory=list)
    changed: list[PersonChange] = field(default_factory=list)
    withdrawn: list[PersonChange] = field(default_factory=list)
    unchanged: int = 0
    role_ids: list[int] = field(default_factory=list)  # the assignments to delete
    task_ids: list[int] = field(default_factory=list)  # open tasks of people who lose the task's role here

    @property
    def roles_lost(self) -> int:
        return len(self.role_ids)

    def counts(self) -> str:
        return (f"新增 {len(self.added)} 人，角色变化 {len(self.changed)} 人，撤销 {len(self.withdrawn)} 人"
                f"（共撤销角色任命 {self.roles_lost} 项），未变 {self.unchanged} 人；"
                f"改派进行中的任务 {len(self.task_ids)} 项")


@dataclass
class ReplaceReport:
    file: str
    schools: list[SchoolChanges]
    applied: bool = False
    result: ImportResult | None = None
    reassigned: dict[int, int | None] = field(default_factory=dict)  # task id → new assignee (None: the role)

    @property
    def roles_lost(self) -> int:
        return sum(s.roles_lost for s in self.schools)

    @property
    def people_withdrawn(self) -> int:
        return sum(len(s.withdrawn) for s in self.schools)

    def digest(self) -> str:
        """What the preview shows, as a fingerprint: a confirmation applies only what was previewed."""
        shown = [(s.district, s.school, s.school_id, [p.line for p in s.added], [p.line for p in s.changed],
                  [p.line for p in s.withdrawn], sorted(s.role_ids), sorted(s.task_ids)) for s in self.schools]
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:32]

    def lines(self) -> list[str]:
        """The preview (or, once applied, what was done), school by school: names, role labels, counts."""
        head = "已整体替换" if self.applied else "预览（未做任何修改）：整体替换"
        out = [f"{head} {self.file} 所列 {len(self.schools)} 所学校的名册"]
        for school in self.schools:
            new = "（新学校）" if school.school_id is None else ""
            out.append(f"{school.district} {school.school}{new}：{school.counts()}")
            for label, people in (("新增", school.added), ("角色变化", school.changed), ("撤销", school.withdrawn)):
                out.extend(f"  {label} {person.line}" for person in people)
        if self.applied and self.result is not None:
            out.append(self.result.summary())
        elif not self.applied:
            out.append("确认无误后，去掉 --preview 再运行一次即执行替换")
        return out


def plan_replace(
    session: Session, path: Path | str, *, pack: str | None = None, within: Within | None = None,
) -> tuple[Table, StaffPlan, ReplaceReport]:
    """Read and check the whole file, then compare it with the schools' roles on record; writes nothing."""
    table = read_table(Path(path))
    columns = map_columns(table)
    if columns.kind is not Kind.staff:
        raise RosterError([RowError(table.file, 1, "（表头）", "", refusal(columns.kind))])
    with kept_within(within, table, columns):
        plan = plan_staff(session, table, columns, pack=pack, default_pack=get_settings().default_pack)
    return table, plan, ReplaceReport(file=table.file, schools=_changes(session, plan))


def refusal(kind: Kind) -> str:
    return (f"是{kind.label}文件：只有教职工名单可以作为完整名册整体替换（学生名单不会删除学生，"
            "其测评、谈心等台账记录须保留；请不加 --replace 导入）")


def preview_replace(
    session: Session, path: Path | str, *, pack: str | None = None, within: Within | None = None,
) -> ReplaceReport:
    return plan_replace(session, path, pack=pack, within=within)[2]


def apply_replace(
    session: Session, path: Path | str, *, pack: str | None = None, within: Within | None = None,
    now: datetime | None = None, actor_id: int | None = None, expected: str | None = None,
) -> ReplaceReport:
    """Write the file, withdraw what it no longer lists, pass on open tasks, audit; never commits.

    `expected`: the digest of the preview a person confirmed; anything else changed since is refused."""
    with custom_plans(session):
        table, plan, report = plan_replace(session, path, pack=pack, within=within)
        if expected is not None and report.digest() != expected:
            raise RosterError([RowError(table.file, 0, "名册", "", "在预览之后已有变化（他人刚导入或修改过），"
                                        "请重新预览后再确认")])
        result = ImportResult(file=table.file, kind=Kind.staff, rows=len(table.rows))
        write_staff(session, plan, result, pack=pack, default_pack=get_settings().default_pack)
        role_ids = [i for s in report.schools for i in s.role_ids]
        for part in chunked(role_ids):
            session.execute(delete(RoleAssignment).where(col(RoleAssignment.id).in_(part)))
        session.flush()
        report.reassigned = _pass_on_tasks(session, report)
    report.applied, report.result = True, result
    _audit(session, report, at=now or clock_now(), actor_id=actor_id)
    return report


def _changes(session: Session, plan: StaffPlan) -> list[SchoolChanges]:
    """School by school (in the file's order): the roles on record against the roles in the file."""
    after: dict[tuple[str, str], dict[str, set[Holding]]] = defaultdict(lambda: defaultdict(set))
    for identity, role, district, school, grade, class_name in plan.roles:
        if school:
            after[(district, school)][identity].add(Holding(role.value, grade, class_name))
    school_ids = _schools_on_record(session, list(plan.schools))
    before: dict[int, dict[str, set[Holding]]] = defaultdict(lambda: defaultdict(set))
    assignment_ids: dict[tuple[int, str, Holding], int] = {}
    people: dict[str, tuple[int, str]] = {}  # identity → (person id, name)
    ids = sorted(school_ids.values())
    query = (select(col(RoleAssignment.id), col(RoleAssignment.school_id), col(RoleAssignment.role),
                    col(RoleAssignment.grade), col(SchoolClass.grade), col(SchoolClass.name),
                    col(Person.id), col(Person.identity), col(Person.name))
             .join(Person, col(Person.id) == col(RoleAssignment.person_id))
             .outerjoin(SchoolClass, col(SchoolClass.id) == col(RoleAssignment.class_id)))
    for part in chunked(ids):
        for ra_id, school_id, role, grade, class_grade, class_name, person_id, identity, name in fetch(
                session, query.where(col(RoleAssignment.school_id).in_(part))):
            holding = Holding(role, class_grade, class_name) if class_name is not None else Holding(role, grade)
            before[school_id][identity].add(holding)
            assignment_ids[(school_id, identity, holding)] = ra_id
            people[identity] = (person_id, name)
    changes = []
    for key in plan.schools:
        school_id = school_ids.get(key)
        found = SchoolChanges(district=key[0], school=key[1], school_id=school_id)
        held, wanted = before.get(school_id or 0, {}), after.get(key, {})
        for identity in sorted(set(held) | set(wanted), key=lambda i: _name(i, plan, people)):
            old, new = held.get(identity, set()), wanted.get(identity, set())
            if old == new:
                found.unchanged += 1
                continue
            lost = old - new
            found.role_ids.extend(assignment_ids[(school_id or 0, identity, h)] for h in lost)
            change = PersonChange(name=_name(identity, plan, people, old | new), before=_labels(old),
                                  after=_labels(new), lost=_labels(lost),
                                  person_id=people[identity][0] if identity in people else None)
            (found.added if not old else found.withdrawn if not new else found.changed).append(change)
        changes.append(found)
    _tasks_to_pass_on(session, changes, before, after, people)
    return changes


def _schools_on_record(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    query = (select(col(School.id), col(District.name), col(School.name))
             .join(District, col(District.id) == col(School.district_id)))
    found: dict[tuple[str, str], int] = {}
    wanted = set(keys)
    for part in chunked(sorted({name for _, name in keys})):
        for id_, district, name in fetch(session, query.where(col(School.name).in_(part))):
            if (district, name) in wanted:
                found[(district, name)] = id_
    return found


def _name(identity: str, plan: StaffPlan, people: dict[str, tuple[int, str]],
          holdings: set[Holding] | None = None) -> str:
    if holdings is not None and holdings and all(Role(h.role) in STUDENT_ROLES for h in holdings):
        return STUDENT_NAME
    if identity in plan.persons:
        return plan.persons[identity].name
    return people[identity][1] if identity in people else identity


def _labels(holdings: set[Holding]) -> list[str]:
    return [h.label for h in sorted(holdings, key=Holding.sort_key)]


def _tasks_to_pass_on(session: Session, changes: list[SchoolChanges],
                      before: dict[int, dict[str, set[Holding]]], after: dict[tuple[str, str], dict[str, set[Holding]]],
                      people: dict[str, tuple[int, str]]) -> None:
    """Open tasks at a school of people who no longer hold the task's role there (as OrgIndex.holds reads it)."""
    for school in changes:
        if school.school_id is None or not school.role_ids:
            continue
        losing = {people[i][0]: i for i, held in before[school.school_id].items()
                  if held - after.get((school.district, school.school), {}).get(i, set())}
        wanted = after.get((school.district, school.school), {})
        query = (select(col(Task.id), col(Task.role), col(Task.assignee_id), col(SchoolClass.grade),
                        col(SchoolClass.name))
                 .outerjoin(SchoolClass, col(SchoolClass.id) == col(Task.class_id))
                 .where(col(Task.school_id) == school.school_id, col(Task.status) == TaskStatus.open))
        for part in chunked(sorted(losing)):
            for task_id, role, assignee_id, grade, class_name in fetch(
                    session, query.where(col(Task.assignee_id).in_(part)).order_by(col(Task.id))):
                keeps = wanted.get(losing[assignee_id], set())
                if not any(h.role == role and (class_name is None or h.class_name is None
                                               or (h.grade, h.class_name) == (grade, class_name)) for h in keeps):
                    school.task_ids.append(task_id)


def _pass_on_tasks(session: Session, report: ReplaceReport) -> dict[int, int | None]:
    """Each such task to whoever holds its role in its scope now (the file's new homeroom teacher …), else nobody."""
    school_ids = [s.school_id for s in report.schools if s.school_id is not None and s.task_ids]
    if not school_ids:
        return {}
    org = load_org_index(session, school_ids)
    task_ids = [i for s in report.schools for i in s.task_ids]
    moved: dict[int, int | None] = {}
    for part in chunked(task_ids):
        for task_id, school_id, role, class_id in fetch(session, select(
                col(Task.id), col(Task.school_id), col(Task.role), col(Task.class_id)).where(col(Task.id).in_(part))):
            moved[task_id] = org.holder(school_id, role, class_id)
    update_by_id(session, Task, [{"id": task_id, "assignee_id": who} for task_id, who in moved.items()])
    return moved


def _audit(session: Session, report: ReplaceReport, *, at: datetime, actor_id: int | None) -> None:
    """Ids and counts only (no names): the schools, the withdrawn assignments and people, the moved tasks."""
    assert report.result is not None
    detail: dict[str, object] = {
        "kind": "staff", "rows": report.result.rows,
        **{entity: c.as_list() for entity, c in report.result.counts.items()},
        "schools": [s.school_id for s in report.schools if s.school_id is not None],
        "new_schools": sum(1 for s in report.schools if s.school_id is None),
        "added": sum(len(s.added) for s in report.schools),
        "changed": sum(len(s.changed) for s in report.schools),
        "withdrawn_people": sorted({p.person_id for s in report.schools for p in s.withdrawn if p.person_id}),
        "withdrawn_roles": sorted(i for s in report.schools for i in s.role_ids),
        "tasks_passed_on": {str(k): v for k, v in sorted(report.reassigned.items())},
    }
    text = json.dumps(detail, ensure_ascii=False)
    if len(text) > 2000:  # a whole district's file: the counts stay, the id lists are cut to fit
        detail["withdrawn_roles"] = report.roles_lost
        detail["withdrawn_people"] = report.people_withdrawn
        detail["tasks_passed_on"] = len(report.reassigned)
        text = json.dumps(detail, ensure_ascii=False)[:2000]
    session.add(AuditEntry(at=at, actor_id=actor_id, action="roster_replace", target=report.file[:96], detail=text))
    session.flush()
