"""One-time login codes by SMS for staff with a phone and no email

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 16:30:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('expires_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('used_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_code_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_code_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_code_created_at'))
        batch_op.drop_index(batch_op.f('ix_login_code_person_id'))
    op.drop_table('login_code')
