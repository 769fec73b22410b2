"""Tasks the system itself creates from other work: meeting decisions, "1+1" rectifications,
and steps a month never reached. Their evidence forms live here, next to each other."""

from xinyu.packs import EvidenceField, TaskTemplate
from xinyu.roles import Role

DECISION = TaskTemplate(
    key="decision",
    title="落实领导小组会议决定",
    role=Role.leader,
    clause="QD-S1b",
    blocks_step=False,
    evidence=(EvidenceField(name="result", label="落实情况", type="text", required=True),),
)

RECTIFICATION = TaskTemplate(
    key="rectification",
    title="“1+1”课程整改",
    role=Role.homeroom,
    per="class",
    clause="QD-T5",
    blocks_step=False,
    evidence=(
        EvidenceField(name="measure", label="整改措施", type="text", required=True),
        EvidenceField(name="made_up_on", label="补开日期", type="date", required=True),
    ),
)

MISSED_STEP = TaskTemplate(
    key="missed_step",
    title="补做上月未开启的步骤",
    role=Role.deputy,
    clause="QD-G4",
    blocks_step=False,
    evidence=(EvidenceField(name="note", label="补做情况说明", type="text", required=True),),
)

SYSTEM_TEMPLATES: dict[str, TaskTemplate] = {t.key: t for t in (DECISION, RECTIFICATION, MISSED_STEP)}

NOTICE = TaskTemplate(
    key="notice",
    title="落实区县督办通知",
    role=Role.leader,
    clause="QD-S2",
    blocks_step=False,
    evidence=(EvidenceField(name="measures", label="整改落实情况", type="text", required=True),),
)

CRISIS_PARENTS = TaskTemplate(
    key="crisis_parents",
    title="当日记录危机个案家长通报情况",
    role=Role.psych_teacher,
    clause="GZ-5.2",
    blocks_step=False,
    action="crisis_parents_informed",
    evidence=(
        EvidenceField(name="informed_at", label="通报时间", type="datetime", required=True),
        EvidenceField(name="method", label="通报方式", type="choice", required=True, choices=("面谈", "电话", "微信")),
        EvidenceField(name="note", label="情况说明", type="text"),
    ),
)

# QD-S2 对督查发现的问题进行通报并督促学校抓好整改: a finding of a district inspection (xinyu/inspections/).
INSPECTION = TaskTemplate(
    key="inspection",
    title="落实专项巡查整改",
    role=Role.leader,
    clause="QD-S2",
    blocks_step=False,
    responsible="学校（心理健康教育工作领导小组组长）",
    evidence=(
        EvidenceField(name="measures", label="整改落实情况", type="text", required=True),
        EvidenceField(name="proof", label="整改佐证材料", type="file", accept=("image", "pdf", "doc"), max_files=5),
    ),
)

SYSTEM_TEMPLATES.update({t.key: t for t in (NOTICE, CRISIS_PARENTS, INSPECTION)})

# Titles people type (a meeting decision, a district notice): replaced by these where they leave the school.
FREE_TEXT_TITLES: dict[str, str] = {"decision": DECISION.title, "notice": NOTICE.title,
                                    "inspection": INSPECTION.title}

# Tasks outside the monthly steps, and what the step column shows for them.
SYSTEM_STEP_LABELS: dict[str, str] = {"crisis": "危机干预（快速通道）", "notice": "区县督办",
                                     "inspection": "专项巡查整改"}
