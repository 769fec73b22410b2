"""What an import did: created, updated and unchanged counts per entity."""

from dataclasses import dataclass, field

from xinyu.roster.columns import Kind

ENTITY_LABELS = {
    "districts": "区县",
    "schools": "学校",
    "classes": "班级",
    "persons": "人员",
    "roles": "角色任命",
    "students": "学生",
    "screenings": "测评记录",
}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_list(self) -> list[int]:
        return [self.created, self.updated, self.unchanged]


@dataclass
class ImportResult:
    file: str
    kind: Kind
    rows: int
    counts: dict[str, Counts] = field(default_factory=dict)

    def count(self, entity: str) -> Counts:
        return self.counts.setdefault(entity, Counts())

    @property
    def created(self) -> int:
        return sum(c.created for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    def summary(self) -> str:
        """Counts only: safe for logs and the audit trail (no names)."""
        parts = [
            f"{ENTITY_LABELS.get(entity, entity)} 新增 {c.created}、更新 {c.updated}、未变 {c.unchanged}"
            for entity, c in self.counts.items()
        ]
        return f"{self.file}（{self.kind.label}，{self.rows} 行）：" + "；".join(parts)
