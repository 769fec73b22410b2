"""The rows a dispatcher may claim, indexed in id order (partial: queued and sending only)

A claim takes the oldest ready messages (ORDER BY id LIMIT n). Through the full indexes it read every sent
message before them: 0.5 s a claim in the third month of a 1,500-school year on PostgreSQL.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 12:45:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

CLAIMABLE = "status IN ('queued', 'sending')"  # as models/outbox.py CLAIMABLE_SQL (a migration keeps its own copy)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite finds them by ix_outbox_ready (models/outbox.py)
        op.create_index("ix_outbox_claimable", "outbox", ["id"], unique=False, postgresql_where=sa.text(CLAIMABLE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_outbox_claimable", table_name="outbox")
