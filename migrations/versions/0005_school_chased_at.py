"""school.chased_at: the latest clock the chase ran with, so a chase with an earlier day is refused

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models._types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chased_at', models._types.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('chased_at')
