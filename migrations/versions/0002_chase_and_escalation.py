"""chase and escalation: the ladder's log, the district inbox, extensions, outbox claims and holds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:34:48.488609
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chase_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('lineage_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('rung', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('occasion', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('offset', sa.Integer(), nullable=False),
    sa.Column('fired_at', models._types.AwareDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lineage_id', 'rung', 'occasion')
    )
    with op.batch_alter_table('chase_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chase_event_fired_at'), ['fired_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chase_event_lineage_id'), ['lineage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chase_event_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chase_event_task_id'), ['task_id'], unique=False)

    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('lineage_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('occasion', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('days_overdue', sa.Integer(), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('raised_at', models._types.AwareDateTime(timezone=True), nullable=True),
    sa.Column('notified_at', models._types.AwareDateTime(timezone=True), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('acknowledged_at', models._types.AwareDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('notice_task_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', models._types.AwareDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], ),
    sa.ForeignKeyConstraint(['notice_task_id'], ['task.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lineage_id', 'reason', 'occasion')
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_lineage_id'), ['lineage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_raised_at'), ['raised_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_task_id'), ['task_id'], unique=False)

    op.create_table('extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', models._types.AwareDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('workdays', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', models._types.AwareDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('previous_due', sa.Date(), nullable=False),
    sa.Column('new_due', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_extension_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('district', schema=None) as batch_op:
        batch_op.add_column(sa.Column('robot_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('not_before', models._types.AwareDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', models._types.AwareDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.alter_column('address',
               existing_type=sa.VARCHAR(length=254),
               type_=sqlmodel.sql.sqltypes.AutoString(length=500),
               existing_nullable=False)
        batch_op.create_index('ix_outbox_ready', ['status', 'channel', 'not_before'], unique=False)

    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('robot_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lineage_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalation_level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('acknowledged_at', models._types.AwareDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('crisis_case_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_task_lineage_id'), ['lineage_id'], unique=False)
        batch_op.create_foreign_key('fk_task_crisis_case_id', 'ledger_c_crisis', ['crisis_case_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_task_crisis_case_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_task_lineage_id'))
        batch_op.drop_column('crisis_case_id')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('lineage_id')

    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('robot_url')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_ready')
        batch_op.alter_column('address',
               existing_type=sqlmodel.sql.sqltypes.AutoString(length=500),
               type_=sa.VARCHAR(length=254),
               existing_nullable=False)
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('not_before')
        batch_op.drop_column('params')
        batch_op.drop_column('template')

    with op.batch_alter_table('district', schema=None) as batch_op:
        batch_op.drop_column('robot_url')

    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_task_id'))
        batch_op.drop_index(batch_op.f('ix_extension_status'))

    op.drop_table('extension')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_task_id'))
        batch_op.drop_index(batch_op.f('ix_escalation_status'))
        batch_op.drop_index(batch_op.f('ix_escalation_school_id'))
        batch_op.drop_index(batch_op.f('ix_escalation_raised_at'))
        batch_op.drop_index(batch_op.f('ix_escalation_lineage_id'))
        batch_op.drop_index(batch_op.f('ix_escalation_district_id'))

    op.drop_table('escalation')
    with op.batch_alter_table('chase_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chase_event_task_id'))
        batch_op.drop_index(batch_op.f('ix_chase_event_school_id'))
        batch_op.drop_index(batch_op.f('ix_chase_event_lineage_id'))
        batch_op.drop_index(batch_op.f('ix_chase_event_fired_at'))

    op.drop_table('chase_event')
