"""Policy packs: the rules of one policy text as validated data (DESIGN principle 2).

A pack names the steps of the monthly loop, their order, roles, due rules in working days,
evidence fields, the course rule, theme months, vacation months, and the clause of each rule.
An invalid pack is refused with the file and the path of the bad field.
"""

import calendar
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from xinyu.grades import STAGES
from xinyu.roles import Role
from xinyu.workdays import WorkCalendar

ACTIONS = ("ledger_review", "meeting_minutes", "course_check", "monthly_report", "crisis_parents_informed")
STEP_HOOKS = ("meeting_agenda",)


def _not_zero(n: int) -> int:
    if n == 0:
        raise ValueError("工作日序号从 1 起算（-1 为最后一个工作日），不能为 0")
    return n


WorkdayIndex = Annotated[
    int,
    Field(ge=-23, le=23, description="n-th working day of the month; -1 = last"),
    AfterValidator(_not_zero),
]


class PackError(ValueError):
    """A pack that cannot be used; the message names the file and the field."""


class FieldError(ValueError):
    """A cross-field check that failed: `path` leads from the validated model to the bad field."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


INT_LIMIT = 1_000_000_000  # an evidence count beyond this is a typo whatever the pack says
FILE_KINDS = ("image", "pdf", "doc")  # what a file field may accept: checked by content (xinyu/evidence_files/kinds.py)
FILE_MAX_MB = 50  # the largest per-file limit a pack may set (the web's upload cap must hold a form's files)


class EvidenceField(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["text", "int", "bool", "date", "datetime", "choice", "file", "students"]  # students: class list pick
    required: bool = False
    choices: tuple[str, ...] = ()
    accept: tuple[Literal[FILE_KINDS], ...] = Field(  # type: ignore[valid-type]
        default=(), description="type: file only; image (JPEG, PNG), pdf, doc (DOCX, XLSX)")
    max_mb: float | None = Field(default=None, gt=0, le=FILE_MAX_MB, description="type: file only; per file")
    max_files: int | None = Field(default=None, ge=1, le=10, description="type: file only; files in the field")
    min: int | None = Field(default=None, ge=-INT_LIMIT, le=INT_LIMIT,
                            description="type: int only; the smallest value accepted (default 0: a count)")
    max: int | None = Field(default=None, ge=-INT_LIMIT, le=INT_LIMIT,
                            description="type: int only; the largest value accepted")
    proposes: Literal["B"] | None = Field(default=None, description="type: students only; each pick proposes a "
                                                                    "ledger B entry to the psychology teacher")

    @model_validator(mode="before")
    @classmethod
    def _counts_start_at_zero(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") == "int" and data.get("min") is None:
            return {**data, "min": 0}
        return data

    @model_validator(mode="after")
    def _choices_only_for_choice(self) -> "EvidenceField":
        if (self.type == "file") != bool(self.accept):
            raise FieldError(("accept",), "accept 只用于且必须用于 type: file（image / pdf / doc）")
        if self.type != "file" and (self.max_mb is not None or self.max_files is not None):
            raise FieldError(("max_mb",), "max_mb/max_files 只用于 type: file")
        if (self.type == "choice") != bool(self.choices):
            raise FieldError(("choices",), "choices 只用于且必须用于 type: choice")
        if self.type != "int" and (self.min is not None or self.max is not None):
            raise FieldError(("min",), "min/max 只用于 type: int")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise FieldError(("max",), f"max（{self.max}）小于 min（{self.min}）")
        if self.proposes is not None and self.type != "students":
            raise FieldError(("proposes",), "proposes 只用于 type: students")
        return self

    @property
    def file_limits(self) -> tuple[int, int]:
        """A file field's (bytes per file, files): the pack's, else 10 MB and 1 file."""
        return int((self.max_mb or 10) * 1024 * 1024), self.max_files or 1

    @property
    def bounds(self) -> tuple[int, int]:
        """The accepted range of an int field: the pack's, else 0 to INT_LIMIT."""
        return (self.min if self.min is not None else 0, self.max if self.max is not None else INT_LIMIT)


class TaskTemplate(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(max_length=120)
    role: Role
    per: Literal["school", "class"] = "school"
    clause: str
    stages: tuple[str, ...] = ()
    after: str | None = Field(default=None, description="Created once every task of this template is done")
    blocks_step: bool = Field(default=True, description="Whether the step waits for this task")
    action: Literal[ACTIONS] | None = None  # type: ignore[valid-type]
    ledger: Literal["A", "B", "C", "D"] | None = None
    evidence: tuple[EvidenceField, ...] = ()
    responsible: str | None = Field(default=None, max_length=200,
                                    description="责任单位 as the text names it (HLJ-all); None: the role's label")

    @property
    def responsible_unit(self) -> str:
        return self.responsible or self.role.label

    @model_validator(mode="after")
    def _ledger_with_review(self) -> "TaskTemplate":
        if (self.action == "ledger_review") != (self.ledger is not None):
            raise FieldError(("ledger",), "ledger 只用于且必须用于 action: ledger_review")
        for index, stage in enumerate(self.stages):
            if stage not in STAGES:
                raise FieldError(("stages", index), f"学段 {stage} 应为 {'、'.join(STAGES)} 之一")
        return self


class StepRule(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    clause: str
    earliest: WorkdayIndex
    due: WorkdayIndex
    min_workdays_after_open: int = Field(default=1, ge=0, le=20)
    on_open: Literal[STEP_HOOKS] | None = None  # type: ignore[valid-type]
    ledgers_required: tuple[Literal["A", "B", "C", "D"], ...] = ()
    tasks: tuple[TaskTemplate, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> "StepRule":
        # Both counted from the same end of the month (positive: from the 1st; negative: from the last).
        if (self.earliest > 0) == (self.due > 0) and self.earliest > self.due:
            raise FieldError(("earliest",), f"步骤 {self.key} 的 earliest（{self.earliest}）晚于 due（{self.due}）")
        keys = [t.key for t in self.tasks]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise FieldError(("tasks", index, "key"), f"步骤 {self.key} 的任务 key {key} 重复")
        for index, template in enumerate(self.tasks):
            if template.after and template.after not in keys:
                raise FieldError(("tasks", index, "after"),
                                 f"任务 {template.key} 的 after 指向不存在的任务 {template.after}")
        reviewed = {t.ledger for t in self.tasks if t.ledger}
        missing = set(self.ledgers_required) - reviewed
        if missing:
            raise FieldError(("ledgers_required",),
                             f"ledgers_required 中的台账 {sorted(missing)} 没有对应的 ledger_review 任务")
        return self


class DateWindow(Strict):
    """Days of the year a task belongs to (JL-3 每年5月25日至6月25日), MM-DD to MM-DD inclusive, within one year."""

    start: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD, the first day")
    end: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD, the last day (inclusive)")

    @model_validator(mode="after")
    def _real_days(self) -> "DateWindow":
        for name in ("start", "end"):
            month, day = (int(part) for part in getattr(self, name).split("-"))
            if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
                raise FieldError((name,), f"{getattr(self, name)} 不是有效的日期（MM-DD）")
        if self.end < self.start:
            raise FieldError(("end",), f"end（{self.end}）早于 start（{self.start}）：窗口不能跨年")
        return self

    def months(self) -> tuple[int, ...]:
        return tuple(range(int(self.start[:2]), int(self.end[:2]) + 1))

    def part_in(self, year: int, month: int) -> tuple[date, date]:
        """(first, last) day of the window within one month of `year` (a month the window covers)."""
        last_day = calendar.monthrange(year, month)[1]
        first = date(year, month, 1) if int(self.start[:2]) < month else _day(year, self.start)
        last = date(year, month, last_day) if int(self.end[:2]) > month else _day(year, self.end)
        return first, last


def _day(year: int, month_day: str) -> date:
    month, day = int(month_day[:2]), int(month_day[3:])
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))  # 02-29 in a common year: the 28th


class ExtraTask(TaskTemplate):
    """A task added to a step in some months: theme months (QD-T7/T11), yearly screening (QD-3), or in a date
    window (JL-3 宣传月 05-25 to 06-25): then it opens on the window's first day in its month (not before) and is
    due on the window's last day within that month (xinyu/cycle/schedule.py)."""

    months: tuple[int, ...] = Field(min_length=1)
    step: str
    due_day: int | None = Field(default=None, ge=1, le=31, description="Calendar day of the month")
    window: DateWindow | None = Field(default=None, description="MM-DD start/end; `months` are the months it spans")

    @field_validator("months")
    @classmethod
    def _months(cls, months: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= m <= 12 for m in months):
            raise ValueError("月份应在 1–12 之间")
        return months

    @model_validator(mode="after")
    def _window_fits_months(self) -> "ExtraTask":
        if self.window is None:
            return self
        if self.due_day is not None:
            raise FieldError(("due_day",), "有 window 的任务截止于窗口在当月的最后一天，不能再设 due_day")
        if self.after is not None:
            raise FieldError(("after",), "有 window 的任务按日期开启，不能再设 after")
        if self.blocks_step:
            raise FieldError(("blocks_step",), "有 window 的任务可能晚于步骤截止才开启，须设 blocks_step: false")
        spanned = self.window.months()
        for index, month in enumerate(self.months):
            if month not in spanned:
                raise FieldError(("months", index), f"{month} 月不在窗口 {self.window.start}–{self.window.end} 内")
        missing = [m for m in spanned if m not in self.months]
        if missing:
            raise FieldError(("window",), f"窗口 {self.window.start}–{self.window.end} 跨及 {missing} 月，"
                                          f"但 months 中没有")
        return self


class CourseKind(Strict):
    label: str


class MonthlyRequirement(Strict):
    kind: str
    min: int = Field(ge=1, le=20)
    per: Literal["month", "fortnight"] = "month"


class SemesterRule(Strict):
    clause: str
    kinds: tuple[str, ...] = Field(min_length=1)
    min_periods: dict[str, int]
    max_periods_per_week: int = Field(default=1, ge=1, le=10)


class CourseRule(Strict):
    clause: str
    label: str = Field(default="“1+1”", min_length=1, max_length=20,
                       description="What the rule is called in task titles, e.g. “1+1” (QD-T5)")
    kinds: dict[str, CourseKind] = Field(min_length=1)
    monthly: tuple[MonthlyRequirement, ...] = Field(min_length=1)
    semester: SemesterRule | None = None
    rectification_workdays: int = Field(default=5, ge=1, le=30, description="Due of a shortfall's rectification")

    @model_validator(mode="after")
    def _kinds_known(self) -> "CourseRule":
        for index, requirement in enumerate(self.monthly):
            if requirement.kind not in self.kinds:
                raise FieldError(("monthly", index, "kind"), f"课程类型 {requirement.kind} 未在 kinds 中定义")
        for index, kind in enumerate(self.semester.kinds if self.semester else ()):
            if kind not in self.kinds:
                raise FieldError(("semester", "kinds", index), f"课程类型 {kind} 未在 kinds 中定义")
        return self


class Semester(Strict):
    name: str
    start: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD")
    end: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD; before start means next year")


class Vacation(Strict):
    """A school vacation: the chase pauses (REQUIREMENTS §7 "school vacations pause the chase")."""

    name: str
    start: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD")
    end: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD, inclusive; before start means next year")


class CalendarRule(Strict):
    vacation_months: tuple[int, ...] = ()
    vacations: tuple[Vacation, ...] = ()
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()


NOTIFY_TARGETS = ("assignee", *(r.value for r in Role if not r.is_student))


class Rung(Strict):
    """One rung of a chase ladder, counted in working days from the due date (QD-S1, QD-S2)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    at: int = Field(ge=-10, le=30, description="Working days after the due date; negative: before it")
    repeat: Literal["daily"] | None = Field(default=None, description="daily: again every working day")
    level: Literal["reminder", "school", "district"] = "reminder"
    notify: tuple[Literal[NOTIFY_TARGETS], ...] = Field(min_length=1)  # type: ignore[valid-type]
    channels: tuple[Literal["email", "sms", "robot"], ...] = ("email", "sms")
    clause: str

    @model_validator(mode="after")
    def _repeat_only_reminders(self) -> "Rung":
        if self.repeat and self.level != "reminder":
            raise FieldError(("repeat",), f"梯级 {self.key}：只有提醒（level: reminder）可以每日重复")
        return self


class QuietHours(Strict):
    """SMS is held from `start` until `end` (next morning); email is not held."""

    start: time = time(21, 0)
    end: time = time(8, 0)


class ChaseRule(Strict):
    clause: str
    quiet_hours: QuietHours = QuietHours()
    ladders: dict[str, tuple[Rung, ...]]
    ladder_for_kind: dict[str, str] = Field(default_factory=dict, description="Task kind → ladder name")

    @model_validator(mode="after")
    def _ladders(self) -> "ChaseRule":
        if "default" not in self.ladders:
            raise FieldError(("ladders", "default"), "必须定义 ladders.default")
        for name, rungs in self.ladders.items():
            keys = [r.key for r in rungs]
            for index, rung in enumerate(rungs):
                if rung.key in keys[:index]:
                    raise FieldError(("ladders", name, index, "key"), f"梯级 key {rung.key} 重复")
                if index and rung.at < rungs[index - 1].at:
                    raise FieldError(("ladders", name, index, "at"), "梯级应按 at 从小到大排列")
        for kind, name in self.ladder_for_kind.items():
            if name not in self.ladders:
                raise FieldError(("ladder_for_kind", kind), f"没有名为 {name} 的梯级")
        return self

    def ladder(self, task_kind: str) -> tuple[Rung, ...]:
        return self.ladders[self.ladder_for_kind.get(task_kind, "default")]


class CrisisRule(Strict):
    """The crisis fast path (GZ-5.2) and the level-by-level report (GZ-A2.2.7)."""

    clause: str
    relay_clause: str
    fast_path_levels: tuple[Literal["一般", "严重", "重大"], ...] = ("严重", "重大")
    relay: tuple[Role, ...] = Field(min_length=1, description="Told at once, class level first")
    district_levels: tuple[Literal["一般", "严重", "重大"], ...] = ("重大",)
    urgent_ignores_quiet_hours: bool = True
    handler_role: Role = Field(default=Role.psych_teacher, description="Who handles a case when nobody is named")
    referral_levels: tuple[Literal["一般", "严重", "重大"], ...] = Field(
        default=("严重", "重大"), description="Levels that need a referral to a hospital before closing (QD-4)")
    referral_clause: str = "QD-4"
    hotline: str | None = Field(default=None, pattern=r"^[0-9][0-9-]{2,19}$",
                                description="JN-5 24小时心理关爱热线: printed on every crisis notice and page")
    hotline_clause: str | None = None
    return_plan_required: bool = Field(default=False, description="HLJ-12: 返校复学 needs a return-to-class plan")
    return_plan_clause: str | None = None

    @model_validator(mode="after")
    def _clauses_named(self) -> "CrisisRule":
        if self.hotline and not self.hotline_clause:
            raise FieldError(("hotline_clause",), "设了 hotline 须注明依据条款 hotline_clause")
        if self.return_plan_required and not self.return_plan_clause:
            raise FieldError(("return_plan_clause",), "设了 return_plan_required 须注明依据条款 return_plan_clause")
        return self

    @field_validator("relay")
    @classmethod
    def _no_students(cls, relay: tuple[Role, ...]) -> tuple[Role, ...]:
        if any(role.is_student for role in relay):
            raise ValueError("学生角色不接收其他学生的危机信息（QD-T10）")
        return relay


WHOLE_SCHOOL_ROLES = (Role.leader, Role.deputy, Role.health_vice_principal, Role.department_head, Role.psych_teacher)


class LedgerReaders(Strict):
    """Who reads each ledger of a whole school (GZ-5.3 在做好保密工作的前提下: ledger C for few).

    A ledger not named here is read by the whole-school roles (xinyu.access.SCHOOL_WIDE); ledger C, when
    not named, by the school leader alone. A crisis case's handler always reads their own case."""

    clause: str = "GZ-5.3"
    A: tuple[Role, ...] = WHOLE_SCHOOL_ROLES
    B: tuple[Role, ...] = WHOLE_SCHOOL_ROLES
    C: tuple[Role, ...] = (Role.leader,)
    D: tuple[Role, ...] = WHOLE_SCHOOL_ROLES

    @field_validator("A", "B", "C", "D")
    @classmethod
    def _school_staff(cls, roles: tuple[Role, ...]) -> tuple[Role, ...]:
        if any(role.is_student or role.scope != "school" for role in roles):
            raise ValueError("台账的全校查看者只能是全校范围的教职工角色（学生、班级、年级、区县角色不可）")
        return roles

    def of(self, ledger: str) -> tuple[Role, ...]:
        return tuple(getattr(self, ledger))


class KeyStudentRule(Strict):
    """Ledger B 一生一案 (QD-2): who may mentor how many (GZ-5.1), the categories of disadvantage (JL-12)."""

    clause: str = "QD-2"
    max_key_students_per_mentor: int | None = Field(
        default=None, ge=1, le=100, description="GZ-5.1 一名教师挂点帮扶1至2名; None: no limit")
    mentor_clause: str | None = None
    categories: tuple[str, ...] = Field(default=("留守", "贫困", "流动", "单亲", "残疾", "丧亲"), min_length=1)
    categories_clause: str = "JL-12"
    protector: bool = Field(default=False, description="JN-5 隐形保护人: a staff member quietly assigned to a "
                                                       "key student (leader and psychology teachers only)")
    protector_clause: str | None = None

    @model_validator(mode="after")
    def _categories(self) -> "KeyStudentRule":
        for index, category in enumerate(self.categories):
            if not category.strip() or len(category) > 16 or "," in category:
                raise FieldError(("categories", index), f"类别“{category}”应为 1–16 个字且不含逗号")
            if category in self.categories[:index]:
                raise FieldError(("categories", index), f"类别“{category}”重复")
        if self.max_key_students_per_mentor is not None and not self.mentor_clause:
            raise FieldError(("mentor_clause",), "设了 max_key_students_per_mentor 须注明依据条款 mentor_clause")
        if self.protector and not self.protector_clause:
            raise FieldError(("protector_clause",), "设了 protector 须注明依据条款 protector_clause")
        return self


TierLevel = Literal["一级", "二级", "三级"]
TIER_LEVELS: tuple[TierLevel, ...] = ("一级", "二级", "三级")


class Tier(Strict):
    label: str = Field(min_length=1, max_length=8, description="e.g. 发展")
    serves: str = Field(min_length=1, max_length=40, description="who the tier is for, e.g. 全体学生")
    ledger: Literal["A", "B", "C", "D"]


class TierRule(Strict):
    """JN-3 “发展、预防、干预”三级: each tier is kept on one ledger; pages show "一级 发展 · A台账"."""

    clause: str
    levels: dict[TierLevel, Tier]

    @model_validator(mode="after")
    def _three_distinct(self) -> "TierRule":
        missing = [level for level in TIER_LEVELS if level not in self.levels]
        if missing:
            raise FieldError(("levels",), f"三级体系缺少 {'、'.join(missing)}")
        seen: dict[str, str] = {}
        for level in TIER_LEVELS:
            ledger = self.levels[level].ledger
            if ledger in seen:
                raise FieldError(("levels", level, "ledger"), f"{level}与{seen[ledger]}都对应{ledger}台账")
            seen[ledger] = level
        return self

    def of_ledger(self, ledger: str) -> str:
        """“一级 发展 · A台账” for a ledger with a tier, else “D台账”."""
        for level in TIER_LEVELS:
            tier = self.levels[level]
            if tier.ledger == ledger:
                return f"{level} {tier.label} · {ledger}台账"
        return f"{ledger}台账"


def tier_label(pack: "Pack", ledger: str) -> str:
    """The ledger's name as the pack's tiers show it (JN-3); empty when the pack has no tiers."""
    return pack.tiers.of_ledger(ledger) if pack.tiers else ""

class ScreeningMethod(Strict):
    grades: tuple[int, int] = Field(description="first and last grade (1–12), inclusive")
    method: Literal["rating", "online"] = Field(description="rating: 他评 (班主任、家长); online: 线上测评")

    @field_validator("grades")
    @classmethod
    def _grade_range(cls, grades: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= grades[0] <= grades[1] <= 12:
            raise ValueError("年级应为 1–12，且起始年级不大于结束年级")
        return grades


class ScreeningRule(Strict):
    """How each grade is screened (QD-3: 一到三年级他评，四年级起线上测评); the import takes the method from here."""

    clause: str
    methods: tuple[ScreeningMethod, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_grade_once(self) -> "ScreeningRule":
        seen: list[int] = []
        for index, rule in enumerate(self.methods):
            grades = range(rule.grades[0], rule.grades[1] + 1)
            if any(g in seen for g in grades):
                raise FieldError(("methods", index, "grades"), f"年级 {rule.grades} 与前面的规则重叠")
            seen.extend(grades)
        missing = sorted(set(range(1, 13)) - set(seen))
        if missing:
            raise FieldError(("methods",), f"年级 {missing} 没有测评方式")
        return self

    def method_for(self, grade: int) -> str:
        return next(r.method for r in self.methods if r.grades[0] <= grade <= r.grades[1])


class TalkCoverageRule(Strict):
    """QD-2 一生一谈一案一反馈, per class and semester: the share (percent) below which a figure shows red."""

    clause: str
    talk_target: int = Field(default=100, ge=1, le=100, description="students talked with / students")
    plan_target: int = Field(default=100, ge=1, le=100, description="key students with an active plan")
    feedback_target: int = Field(default=100, ge=1, le=100, description="key students whose family got feedback")


class ClassRoleRule(Strict):
    """Student role holders per class (QD-T10 心理委员 1-2 人 from grade 4; GZ-5.1 健康委员 男、女各2名)."""

    clause: str
    role: Role
    grades: tuple[int, int] = Field(default=(1, 12), description="first and last grade (1–12) the rule covers")
    min: int = Field(ge=0, le=20, description="fewest holders per class")
    max: int | None = Field(default=None, ge=1, le=20, description="most holders per class; None: no upper bound")
    per_gender: dict[Literal["男", "女"], int] = Field(default_factory=dict,
                                                     description="fewest holders of each gender per class")

    @field_validator("grades")
    @classmethod
    def _grade_range(cls, grades: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= grades[0] <= grades[1] <= 12:
            raise ValueError("年级应为 1–12，且起始年级不大于结束年级")
        return grades

    @model_validator(mode="after")
    def _consistent(self) -> "ClassRoleRule":
        if not self.role.is_student or self.role.scope != "class":
            raise FieldError(("role",),
                             f"{self.role.value} 不是班级学生角色（应为 class_psych_member 或 health_committee）")
        if self.max is not None and self.max < self.min:
            raise FieldError(("max",), f"max {self.max} 小于 min {self.min}")
        for gender, count in self.per_gender.items():
            if not 1 <= count <= 20:
                raise FieldError(("per_gender", gender), "每个性别的人数应为 1–20")
        if self.per_gender and sum(self.per_gender.values()) > self.min:
            raise FieldError(("min",), f"min {self.min} 小于各性别人数之和 {sum(self.per_gender.values())}")
        return self


class DormRule(Strict):
    """A boarding school names an informant per dorm (QD-T10 寄宿制学校每间宿舍设心理信息员1名)."""

    clause: str
    role: Literal[Role.dorm_informant] = Role.dorm_informant
    per_dorm: int = Field(default=1, ge=1, le=10)


class StaffingRule(Strict):
    """Psychology teachers per school against the roster (QD-T2): 专职 per school, 专兼职 per N classes."""

    clause: str
    full_time_min: int = Field(default=1, ge=0, le=50, description="fewest 专职 psychology teachers per school")
    classes_per_teacher: int | None = Field(default=None, ge=1, le=100,
                                            description="one 专兼职 teacher per this many classes; None: no ratio")
    ratio_due: date | None = Field(default=None, description="the ratio is required from this day (到2025年底)")


class NetworkRule(Strict):
    """The school network checked against the roster (xinyu/network); a pack without it checks nothing."""

    class_roles: tuple[ClassRoleRule, ...] = ()
    dorms: DormRule | None = None
    staffing: StaffingRule | None = None

    @model_validator(mode="after")
    def _one_rule_per_role(self) -> "NetworkRule":
        roles = [rule.role for rule in self.class_roles]
        for index, role in enumerate(roles):
            if role in roles[:index]:
                raise FieldError(("class_roles", index, "role"), f"角色 {role.value} 重复")
        return self

    def clauses(self) -> list[str]:
        rules: list[ClassRoleRule | DormRule | StaffingRule | None] = [*self.class_roles, self.dorms, self.staffing]
        return [rule.clause for rule in rules if rule is not None]
class MentorRule(Strict):
    """全员导师制 (JL-3b): every student of these grades has a mentor; coverage per class (xinyu/mentors)."""

    clause: str
    grades: tuple[int, ...] = Field(min_length=1, description="grades (1–12) whose every student needs a mentor")

    @field_validator("grades")
    @classmethod
    def _grades(cls, grades: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= g <= 12 for g in grades) or len(set(grades)) != len(grades):
            raise ValueError("年级应为 1–12 且不重复")
        return grades


class OversightRule(Strict):
    """District inspections (QD-S2 每年开展不少于三次专项巡查): the yearly minimum per school."""

    clause: str
    inspections_per_year: int = Field(ge=1, le=52, description="Inspections of each school per calendar year")


def _cited_clauses(node: object, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """(dotted path, clause ID) of every clause a pack part cites, in the pack's own order."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if name in ("clauses", "definitions"):
                continue
            value = getattr(node, name)
            if (name == "clause" or name.endswith("_clause")) and isinstance(value, str):
                found.append(((*path, name), value))
            else:
                found += _cited_clauses(value, (*path, name))
    elif isinstance(node, (tuple, list)):
        for index, item in enumerate(node):
            found += _cited_clauses(item, (*path, index))
    elif isinstance(node, dict):
        for key, item in node.items():
            found += _cited_clauses(item, (*path, str(key)))
    return found


TrainingCategory = Literal["专职心理教师", "兼职心理教师", "班主任", "教职工"]


class TrainingRule(Strict):
    """QD-T9: training hours (课时) per person per calendar year, by the highest category a person holds."""

    clause: str
    hours: dict[TrainingCategory, Annotated[int, Field(ge=1, le=200)]] = Field(min_length=1)


class Variant(Strict):
    steps: tuple[StepRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_steps(self) -> "Variant":
        keys = [s.key for s in self.steps]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise FieldError(("steps", index, "key"), f"步骤 key {key} 重复")
        return self


class Pack(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    version: str
    source: str
    calendar: CalendarRule = CalendarRule()
    semesters: tuple[Semester, ...] = Field(min_length=1)
    course_rule: CourseRule
    variants: dict[Literal["regular", "vacation"], Variant]
    extra_tasks: tuple[ExtraTask, ...] = ()
    chase: ChaseRule | None = Field(default=None, description="None: this pack's tasks are not chased")
    crisis: CrisisRule | None = None
    ledger_readers: LedgerReaders = LedgerReaders()
    key_students: KeyStudentRule = KeyStudentRule()
    screening: ScreeningRule
    talk_coverage: TalkCoverageRule
    network: NetworkRule | None = Field(default=None, description="None: the school network is not checked")
    oversight: OversightRule | None = Field(default=None, description="None: no yearly inspection minimum")
    tiers: TierRule | None = Field(default=None, description="JN-3 三级 (发展/预防/干预) mapped onto ledgers")
    training: TrainingRule | None = Field(default=None, description="None: training hours are not tracked")
    mentors: MentorRule | None = Field(default=None, description="None: no 全员导师制 coverage is checked")
    clauses: dict[str, str] = Field(default_factory=dict, description="Clause ID → the text it quotes")
    definitions: dict[str, object] = Field(default_factory=dict, description="YAML anchors only")
    _file: str | None = PrivateAttr(default=None)  # where it was loaded from, for errors found later

    @model_validator(mode="after")
    def _variants_and_extras(self) -> "Pack":
        self._check_student_fields()
        if "regular" not in self.variants:
            raise FieldError(("variants", "regular"), "必须定义 variants.regular")
        if self.calendar.vacation_months and "vacation" not in self.variants:
            raise FieldError(("variants", "vacation"),
                             f"calendar.vacation_months 为 {list(self.calendar.vacation_months)}，"
                             "必须定义 variants.vacation")
        for index, extra in enumerate(self.extra_tasks):
            for month in extra.months:
                variant = self.variants[self.variant_for_month(month)]
                if extra.step not in {s.key for s in variant.steps}:
                    raise FieldError(("extra_tasks", index, "step"),
                                     f"extra_tasks {extra.key}: {month} 月的周期没有步骤 {extra.step}")
                self._check_extra_keys(index, extra, month)
        self._check_ledger_reviewers()
        self._check_clauses_quoted()
        return self

    def cited(self) -> list[tuple[tuple[str | int, ...], str]]:
        """(dotted path, clause ID) of every clause this pack cites (any `clause` or `*_clause` field)."""
        return _cited_clauses(self, ())

    def _check_clauses_quoted(self) -> None:
        """Every clause ID the pack cites is quoted in `clauses` (the words of the text, never empty)."""
        for path, clause in self.cited():
            if not self.clauses.get(clause, "").strip():
                raise FieldError(path, f"条款 {clause} 未在 clauses 中引用原文")

    def _check_ledger_reviewers(self) -> None:
        """A ledger's review goes to a role that may read that ledger (ledger_readers, GZ-5.3)."""
        for variant_key, variant in self.variants.items():
            for step_index, step in enumerate(variant.steps):
                for task_index, template in enumerate(step.tasks):
                    readers = self.ledger_readers.of(template.ledger) if template.ledger else ()
                    if template.ledger and template.role not in readers:
                        raise FieldError(
                            ("variants", variant_key, "steps", step_index, "tasks", task_index, "role"),
                            f"{template.ledger}台账的更新任务 {template.key} 交给了{template.role.label}，"
                            f"但{template.role.label}无权查看{template.ledger}台账（ledger_readers."
                            f"{template.ledger}：{'、'.join(r.label for r in readers)}）")
        for index, extra in enumerate(self.extra_tasks):
            if extra.ledger and extra.role not in self.ledger_readers.of(extra.ledger):
                raise FieldError(("extra_tasks", index, "role"),
                                 f"{extra.ledger}台账的更新任务 {extra.key} 交给了{extra.role.label}，"
                                 f"但{extra.role.label}无权查看{extra.ledger}台账")

    def _check_student_fields(self) -> None:
        """A pick of students needs a class to pick from: only on a per-class task."""
        for name, variant in self.variants.items():
            for s_index, step in enumerate(variant.steps):
                for t_index, template in enumerate(step.tasks):
                    for f_index, field in enumerate(template.evidence):
                        if field.type == "students" and template.per != "class":
                            raise FieldError(("variants", name, "steps", s_index, "tasks", t_index, "evidence",
                                              f_index, "type"), "type: students 只用于 per: class 的任务")
        for index, extra in enumerate(self.extra_tasks):
            if any(f.type == "students" for f in extra.evidence) and extra.per != "class":
                raise FieldError(("extra_tasks", index, "per"), "type: students 只用于 per: class 的任务")

    def _check_extra_keys(self, index: int, extra: "ExtraTask", month: int) -> None:
        """An extra task's key must be new in its step that month, and its `after` must exist there."""
        others = [t.key for t in self.step(month, extra.step).tasks]
        others += [e.key for e in self.extra_tasks[:index] if e.step == extra.step and month in e.months]
        if extra.key in others:
            raise FieldError(("extra_tasks", index, "key"),
                             f"extra_tasks {extra.key}: {month} 月步骤 {extra.step} 已有同名任务")
        known = others + [e.key for e in self.extra_tasks if e.step == extra.step and month in e.months]
        if extra.after and extra.after not in known:
            raise FieldError(("extra_tasks", index, "after"), f"extra_tasks {extra.key}: after 指向 {month} 月"
                                                              f"步骤 {extra.step} 中不存在的任务 {extra.after}")

    def variant_for_month(self, month: int) -> Literal["regular", "vacation"]:
        return "vacation" if month in self.calendar.vacation_months else "regular"

    def steps_for(self, month: int) -> tuple[StepRule, ...]:
        return self.variants[self.variant_for_month(month)].steps

    def step(self, month: int, key: str) -> StepRule:
        for step in self.steps_for(month):
            if step.key == key:
                return step
        # A step renamed or removed while cycles made from the old pack are open: refuse by name (a bare
        # StopIteration here would end a caller's generator silently and skip cycles).
        raise PackError(f"政策包 {self.file} 无效：\n  variants.{self.variant_for_month(month)}.steps: 没有步骤 {key}，"
                        f"但已有的 {month} 月周期用到它（改名或删去步骤须等这些周期结束）")

    def templates_for(self, month: int, step_key: str) -> tuple[TaskTemplate, ...]:
        extras = tuple(e for e in self.extra_tasks if e.step == step_key and month in e.months)
        return self.step(month, step_key).tasks + extras

    def template(self, month: int, step_key: str, key: str) -> TaskTemplate:
        for template in self.templates_for(month, step_key):
            if template.key == key:
                return template
        where = f"variants.{self.variant_for_month(month)}.steps.{step_key}.tasks"
        raise PackError(f"政策包 {self.file} 无效：\n  {where}: "
                        f"没有任务 {key}，但已有的 {month} 月任务用到它（改名或删去任务须等这些周期结束）")

    def clause_text(self, clause_id: str) -> str:
        """The words of a clause as this pack quotes them; empty when the pack does not quote it."""
        return self.clauses.get(clause_id, "")

    @property
    def file(self) -> str:
        return self._file or f"{self.id}.yaml"

    def work_calendar(self) -> WorkCalendar:
        return WorkCalendar(self.calendar.extra_holidays, self.calendar.extra_workdays)


def _format_error(path: str | Path, error: ValidationError) -> str:
    items = error.errors()
    failed = [item["loc"] for item in items]
    lines = [f"政策包 {path} 无效："]
    for item in items:
        loc, message = tuple(item["loc"]), item["msg"]
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            loc, message = loc + cause.path, str(cause)
        elif item["type"] == "too_short" and any(other[:len(loc)] == loc != other for other in failed):
            continue  # pydantic also calls a tuple "too short" when its only item failed: that item is the error
        where = ".".join(str(part) for part in loc) or "(根)"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def parse_pack(text: str, source: str | Path) -> Pack:
    """A pack from its YAML text; `source` names it in errors (the file, or the stored version)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PackError(f"政策包 {source} 无法读取：{_yaml_problem(exc)}") from exc
    try:
        pack = Pack.model_validate(raw)
    except ValidationError as exc:
        raise PackError(_format_error(source, exc)) from exc
    pack._file = str(source)
    return pack


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """The YAML error in one line: what is wrong and where (line, column), without the parser's drawing."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"第 {mark.line + 1} 行第 {mark.column + 1} 列：{problem}" if mark is not None else problem


def read_pack_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"政策包 {path} 无法读取：{exc}") from exc


def load_pack_file(path: Path) -> Pack:
    """A pack file whose name is its id (the shipped packs' folder)."""
    pack = parse_pack(read_pack_text(path), path)
    if pack.id != path.stem:
        raise PackError(f"政策包 {path} 无效：\n  id: 应与文件名一致（{path.stem}），实为 {pack.id}")
    pack._file = str(path)
    return pack


@lru_cache(maxsize=32)
def _load_cached(path: Path, mtime: float) -> Pack:
    return load_pack_file(path)


def load_pack(pack_id: str, packs_dir: Path) -> Pack:
    path = packs_dir / f"{pack_id}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in packs_dir.glob("*.yaml"))
        raise PackError(f"没有政策包 {pack_id!r}（{packs_dir} 中有：{', '.join(known) or '无'}）")
    return _load_cached(path, path.stat().st_mtime)


def available_packs(packs_dir: Path) -> list[str]:
    return sorted(p.stem for p in packs_dir.glob("*.yaml"))
