"""board plugin version: every change to a plugin's switch or settings on a board bumps it, so a
card move checked on its read can confirm under the board lock that the plugins which may refuse
it are as it read them

Revision ID: 0008_board_plugin_version
Revises: 0007_board_hot_paths
Create Date: 2026-12-06 18:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_board_plugin_version'
down_revision = '0007_board_hot_paths'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('board_plugins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('board_plugins', schema=None) as batch_op:
        batch_op.drop_column('version')
