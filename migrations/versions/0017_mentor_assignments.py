"""全员导师制 (JL-3b): a student's mentor, kept with its history

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 14:05:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mentor_assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('mentor_id', sa.Integer(), nullable=False),
        sa.Column('assigned_on', sa.Date(), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['mentor_id'], ['person.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.ForeignKeyConstraint(['student_id'], ['student.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('mentor_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_assignment_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_assignment_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_assignment_mentor_id'), ['mentor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mentor_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_assignment_mentor_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_assignment_student_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_assignment_school_id'))
    op.drop_table('mentor_assignment')
