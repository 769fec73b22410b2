"""The scheduler's heartbeat: each job's last start and finish, read by GET /healthz

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 16:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models._types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scheduler_heartbeat',
        sa.Column('job_id', sa.String(length=32), nullable=False),
        sa.Column('last_started', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('last_finished', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('ok', sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint('job_id'),
    )


def downgrade() -> None:
    op.drop_table('scheduler_heartbeat')
