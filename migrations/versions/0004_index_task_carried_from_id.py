"""index task.carried_from_id: finding the task a carried one became (completion, carry-over)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 22:11:28.924732
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_carried_from_id'), ['carried_from_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_carried_from_id'))
