"""record_revision and ledger timestamps: every version of a kept record; rows added or changed per month

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

STAMPED = {  # table: the timestamp columns it gains (a column it already had is only indexed)
    'ledger_a_screening': ('created_at', 'updated_at'),
    'ledger_b_key_student': ('created_at',),
    'ledger_d_talk': ('created_at', 'updated_at'),
}
INDEXED = {
    'ledger_a_screening': ('created_at', 'updated_at'),
    'ledger_b_key_student': ('created_at', 'updated_at'),
    'ledger_c_crisis': ('updated_at',),
    'ledger_d_talk': ('created_at', 'updated_at'),
}


def upgrade() -> None:
    op.create_table(
        'record_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['by_id'], ['person.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('record_revision', schema=None) as batch_op:
        batch_op.create_index('ix_record_revision_record', ['kind', 'record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_revision_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_revision_at'), ['at'], unique=False)
    for table, columns in STAMPED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, models._types.AwareDateTime(timezone=True), nullable=True))
    for table, columns in INDEXED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
    # Ledger B's plan status: a plan is active once all five QD-2 fields are filled; a closed plan stays closed.
    with op.batch_alter_table('ledger_b_key_student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False,
                                      server_default='draft'))
        batch_op.create_index(batch_op.f('ix_ledger_b_key_student_status'), ['status'], unique=False)
    filled = " AND ".join(f"COALESCE({c}, '') <> ''" for c in
                          ('family_situation', 'difficulties', 'study_plan', 'growth_advice', 'progression_path'))
    op.execute(f"UPDATE ledger_b_key_student SET status = CASE WHEN closed_on IS NOT NULL THEN 'closed' "
               f"WHEN {filled} THEN 'active' ELSE 'draft' END")


def downgrade() -> None:
    with op.batch_alter_table('ledger_b_key_student', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_b_key_student_status'))
        batch_op.drop_column('status')
    for table, columns in INDEXED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
    for table, columns in STAMPED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
    with op.batch_alter_table('record_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_revision_at'))
        batch_op.drop_index(batch_op.f('ix_record_revision_school_id'))
        batch_op.drop_index('ix_record_revision_record')
    op.drop_table('record_revision')
