"""district inspections (QD-S2): the visits and their findings, each with a rectification task

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 13:40:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inspection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('inspector_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['district_id'], ['district.id']),
        sa.ForeignKeyConstraint(['inspector_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_held_on'), ['held_on'], unique=False)
    op.create_table(
        'inspection_finding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('workdays', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('closed_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('inspection_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_finding_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_finding_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_finding_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_finding_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inspection_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_finding_status'))
        batch_op.drop_index(batch_op.f('ix_inspection_finding_task_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_finding_school_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_finding_inspection_id'))
    op.drop_table('inspection_finding')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_held_on'))
        batch_op.drop_index(batch_op.f('ix_inspection_district_id'))
    op.drop_table('inspection')
