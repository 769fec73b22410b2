"""training hours per person (QD-T9)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 14:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0016'
# The brief said "0011"; main already carries 0016 (the school network) on 0011, so this follows it to keep
# one head. The integrator renumbers at merge.
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'training_record',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', models._types.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_record_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_record_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_record_school_id'), ['school_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_record_school_id'))
        batch_op.drop_index(batch_op.f('ix_training_record_person_id'))
        batch_op.drop_index(batch_op.f('ix_training_record_held_on'))
    op.drop_table('training_record')
