"""the meeting as held (time, place, host, recorder, attendees) and counted ledger reviews

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 10:30:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import models._types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('starts_at', models._types.AwareDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('host_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recorder_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_meeting_recorded_by_id_person', 'person', ['recorded_by_id'], ['id'])
        batch_op.create_foreign_key('fk_meeting_host_id_person', 'person', ['host_id'], ['id'])
        batch_op.create_foreign_key('fk_meeting_recorder_id_person', 'person', ['recorder_id'], ['id'])
    # Minutes recorded before: their author is whoever completed the meeting step's minutes task.
    op.execute("UPDATE meeting SET recorded_by_id = (SELECT MIN(t.completed_by_id) FROM task t "
               "WHERE t.origin_cycle_id = meeting.cycle_id AND t.step_key = 'meeting' AND t.kind = 'step' "
               "AND t.status = 'done') WHERE minutes IS NOT NULL")
    op.create_table(
        'meeting_attendee',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('attended', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id']),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('meeting_id', 'person_id'),
    )
    with op.batch_alter_table('meeting_attendee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendee_meeting_id'), ['meeting_id'], unique=False)
    # Reviews recorded before keep their typed figure in `changed`; added/updated stay NULL (not counted).
    with op.batch_alter_table('ledger_review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('added', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ledger_review', schema=None) as batch_op:
        batch_op.drop_column('updated')
        batch_op.drop_column('added')
    with op.batch_alter_table('meeting_attendee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendee_meeting_id'))
    op.drop_table('meeting_attendee')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_constraint('fk_meeting_recorder_id_person', type_='foreignkey')
        batch_op.drop_constraint('fk_meeting_host_id_person', type_='foreignkey')
        batch_op.drop_constraint('fk_meeting_recorded_by_id_person', type_='foreignkey')
        batch_op.drop_column('recorder_id')
        batch_op.drop_column('host_id')
        batch_op.drop_column('place')
        batch_op.drop_column('starts_at')
        batch_op.drop_column('recorded_by_id')
