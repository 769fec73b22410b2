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
