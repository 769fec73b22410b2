"""Roles of the school network (QD-T10, GZ-5.1) and the district: ASCII values, Chinese labels."""

from enum import StrEnum


class Role(StrEnum):
    leader = "leader"
    deputy = "deputy"
    health_vice_principal = "health_vice_principal"
    department_head = "department_head"
    grade_head = "grade_head"
    psych_teacher = "psych_teacher"
    homeroom = "homeroom"
    subject_teacher = "subject_teacher"
    class_psych_member = "class_psych_member"
    dorm_informant = "dorm_informant"
    health_committee = "health_committee"
    district_officer = "district_officer"
    district_admin = "district_admin"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def is_student(self) -> bool:
        """Student role holders are recorded but never told about other students (QD-T10)."""
        return self in STUDENT_ROLES

    @property
    def scope(self) -> str:
        """Where the role lives: district, school, grade or class."""
        return SCOPES.get(self, "school")


LABELS: dict[Role, str] = {
    Role.leader: "组长",
    Role.deputy: "副组长",
    Role.health_vice_principal: "心理健康副校长",
    Role.department_head: "部门负责人",
    Role.grade_head: "年级主任",
    Role.psych_teacher: "专职心理教师",
    Role.homeroom: "班主任",
    Role.subject_teacher: "任课教师",
    Role.class_psych_member: "心理委员",
    Role.dorm_informant: "宿舍心理信息员",
    Role.health_committee: "健康委员",
    Role.district_officer: "区县负责人",
    Role.district_admin: "区县管理员",
}

STUDENT_ROLES = frozenset({Role.class_psych_member, Role.dorm_informant, Role.health_committee})

SCOPES: dict[Role, str] = {
    Role.district_officer: "district",
    Role.district_admin: "district",
    Role.grade_head: "grade",
    Role.homeroom: "class",
    Role.subject_teacher: "class",
    Role.class_psych_member: "class",
    Role.health_committee: "class",
}

# Spellings a school's roster really uses, mapped to the role (labels and values are added below).
ALIASES: dict[str, Role] = {
    "校长": Role.leader,
    "领导小组组长": Role.leader,
    "心理健康工作领导小组组长": Role.leader,
    "总协调员": Role.deputy,
    "家校社协同育人工作总协调员": Role.deputy,
    "政教处主任": Role.department_head,
    "教导处主任": Role.department_head,
    "教务处主任": Role.department_head,
    "总务处主任": Role.department_head,
    "后勤处主任": Role.department_head,
    "心理辅导室主任": Role.department_head,
    "医务室负责人": Role.department_head,
    "年级组长": Role.grade_head,
    "心理教师": Role.psych_teacher,
    "心理健康教师": Role.psych_teacher,
    "学生心理委员": Role.class_psych_member,
    "心理信息员": Role.dorm_informant,
    "心理副校长": Role.health_vice_principal,
    "心理老师": Role.psych_teacher,
    "专职心理老师": Role.psych_teacher,
    "专职心理健康教师": Role.psych_teacher,
    "年级长": Role.grade_head,
    "任课老师": Role.subject_teacher,
    "科任教师": Role.subject_teacher,
    "心理委员（学生）": Role.class_psych_member,
    "宿舍心理委员": Role.dorm_informant,
    "兼职心理教师": Role.psych_teacher,
    "兼职心理老师": Role.psych_teacher,
    "兼职心理健康教师": Role.psych_teacher,
    "兼职心理健康教育教师": Role.psych_teacher,
    "专职心理健康教育教师": Role.psych_teacher,
    "区县教体局负责人": Role.district_officer,
    "区教体局负责人": Role.district_officer,
    "区县教育局负责人": Role.district_officer,
    "district officer": Role.district_officer,
    "coordinator": Role.deputy,
    "principal": Role.leader,
}


def parse_role(text: str) -> Role | None:
    key = text.strip().replace("\u3000", "")
    for role in Role:
        if key in (role.value, role.label) or key.lower() == role.value:
            return role
    return ALIASES.get(key) or ALIASES.get(key.lower())


def role_labels() -> list[str]:
    """The Chinese names a roster may use, in the order of QD-T10."""
    return [role.label for role in Role]


def role_label(value: str) -> str:
    try:
        return Role(value).label
    except ValueError:
        return value
