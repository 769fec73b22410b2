"""crisis_action, district_hospital; ledger C gains who opened it, the certificate's issuer, the outcome's note

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'crisis_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('hospital', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column('created_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['by_id'], ['person.id']),
        sa.ForeignKeyConstraint(['case_id'], ['ledger_c_crisis.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('crisis_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_action_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_action_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_action_at'), ['at'], unique=False)
    op.create_table(
        'district_hospital',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('created_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['district_id'], ['district.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('district_id', 'name'),
    )
    with op.batch_alter_table('district_hospital', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_district_hospital_district_id'), ['district_id'], unique=False)
    with op.batch_alter_table('ledger_c_crisis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('certificate_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('outcome_note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
        batch_op.create_foreign_key('fk_ledger_c_crisis_opened_by_id_person', 'person', ['opened_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('ledger_c_crisis', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ledger_c_crisis_opened_by_id_person', type_='foreignkey')
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('certificate_by')
        batch_op.drop_column('opened_by_id')
    with op.batch_alter_table('district_hospital', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_district_hospital_district_id'))
    op.drop_table('district_hospital')
    with op.batch_alter_table('crisis_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_action_at'))
        batch_op.drop_index(batch_op.f('ix_crisis_action_school_id'))
        batch_op.drop_index(batch_op.f('ix_crisis_action_case_id'))
    op.drop_table('crisis_action')
