"""installed pack versions (immutable rows); existing schools' and cycles' packs adopted as version 1

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 13:20:00.000000

Every pack id a school or a cycle uses is installed as version 1 from the YAML file in settings.packs_dir,
and every cycle's pack_version (the pack's own label until now) becomes "1": the stored version it runs on.
"""
import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
import yaml
from alembic import op

import models._types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ADOPTED_BY = "升级（迁移 0012）"


def upgrade() -> None:
    table = op.create_table(
        'pack_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pack_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('installed_at', models._types.AwareDateTime(timezone=True), nullable=False),
        sa.Column('installed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('pack_id', 'content_hash'),
        sa.UniqueConstraint('pack_id', 'version'),
    )
    _adopt(table)


def _adopt(table: sa.Table) -> None:
    from xinyu.settings import get_settings

    bind = op.get_bind()
    used = {row[0] for row in bind.execute(sa.text("SELECT DISTINCT pack FROM school UNION SELECT DISTINCT pack FROM cycle"))}
    if not used:
        return
    packs_dir = get_settings().packs_dir
    now = datetime.now(UTC)
    rows = []
    for pack_id in sorted(used):
        path = packs_dir / f"{pack_id}.yaml"
        if not path.is_file():
            raise RuntimeError(f"迁移 0012：学校或周期使用政策包 {pack_id}，但 {packs_dir} 中没有 {pack_id}.yaml")
        text = path.read_text(encoding="utf-8")
        label = str((yaml.safe_load(text) or {}).get("version", ""))[:32]
        rows.append({"pack_id": pack_id, "version": 1, "label": label, "content": text,
                     "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(), "installed_at": now,
                     "installed_by": ADOPTED_BY, "source": str(path)[:500]})
    op.bulk_insert(table, rows)
    op.execute("UPDATE cycle SET pack_version = '1'")


def downgrade() -> None:
    # Cycles go back to the label of the version they ran on (what pack_version held before).
    op.execute("UPDATE cycle SET pack_version = COALESCE((SELECT p.label FROM pack_version p "
               "WHERE p.pack_id = cycle.pack AND CAST(p.version AS TEXT) = cycle.pack_version), pack_version)")
    op.drop_table('pack_version')
