"""ledger B's 隐形保护人 (JN-5) and a crisis case's return-to-class plan (HLJ-12)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 13:30:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_b_key_student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protector_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ledger_b_key_student_protector_id_person', 'person', ['protector_id'], ['id'])
    with op.batch_alter_table('ledger_c_crisis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_plan', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ledger_c_crisis', schema=None) as batch_op:
        batch_op.drop_column('return_plan')
    with op.batch_alter_table('ledger_b_key_student', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ledger_b_key_student_protector_id_person', type_='foreignkey')
        batch_op.drop_column('protector_id')
