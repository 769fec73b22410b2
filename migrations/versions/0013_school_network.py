"""the school network: boarding and dorms per school, a role holder's gender and a teacher's 专职/兼职

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 13:35:00.000000
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('boarding', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('dorms', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True))
        batch_op.add_column(sa.Column('tenure', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_column('tenure')
        batch_op.drop_column('gender')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('dorms')
        batch_op.drop_column('boarding')
