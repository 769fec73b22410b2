"""evidence_file: files given as a task's evidence (the bytes live in the file store)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'evidence_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('removed_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_file_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_school_id'), ['school_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_file_school_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_file_task_id'))
    op.drop_table('evidence_file')
