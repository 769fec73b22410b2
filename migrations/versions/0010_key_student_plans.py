"""ledger B 一生一案: reason, categories, parents informed, closing reason, author; proposals from the class

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:30:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_b_key_student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('categories', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('parents_informed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ledger_b_key_student_created_by_id_person', 'person', ['created_by_id'],
                                    ['id'])
    op.create_table(
        'ledger_b_proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('class_id', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('decline_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('created_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['class_id'], ['school_class.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['person.id']),
        sa.ForeignKeyConstraint(['plan_id'], ['ledger_b_key_student.id']),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['person.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.ForeignKeyConstraint(['student_id'], ['student.id']),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('ledger_b_proposal', schema=None) as batch_op:
        for column in ('school_id', 'student_id', 'class_id', 'status', 'created_at'):
            batch_op.create_index(batch_op.f(f'ix_ledger_b_proposal_{column}'), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ledger_b_proposal', schema=None) as batch_op:
        for column in ('school_id', 'student_id', 'class_id', 'status', 'created_at'):
            batch_op.drop_index(batch_op.f(f'ix_ledger_b_proposal_{column}'))
    op.drop_table('ledger_b_proposal')
    with op.batch_alter_table('ledger_b_key_student', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ledger_b_key_student_created_by_id_person', type_='foreignkey')
        for column in ('created_by_id', 'close_reason', 'parents_informed_on', 'categories', 'reason'):
            batch_op.drop_column(column)
