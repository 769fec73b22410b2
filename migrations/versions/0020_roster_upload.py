"""Rosters uploaded on the web, kept between the preview of a replacement and its confirmation

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 16:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models._types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'roster_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.Column('applied_at', models._types.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['district_id'], ['district.id']),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.ForeignKeyConstraint(['school_id'], ['school.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('roster_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_upload_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_upload_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_upload_created_at'))
        batch_op.drop_index(batch_op.f('ix_roster_upload_person_id'))
    op.drop_table('roster_upload')
