"""sign-in lifetimes: login sessions end after an idle time and a maximum age, API tokens get an
optional expiry and a last use; the per-account lock-out columns go (failed logins are now
counted per account, address and pair by app/services/ratelimit.py, which slows an attacker
without locking the owner out)

Revision ID: 0009_sign_in_lifetimes
Revises: 0008_board_plugin_version
Create Date: 2026-12-06 21:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_sign_in_lifetimes'
down_revision = '0008_board_plugin_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('user_agent', sa.String(length=200), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('address', sa.String(length=64), server_default='', nullable=False)
        )
    # A session from before this revision was last seen, as far as we know, when it started.
    op.execute("UPDATE login_sessions SET last_seen_at = created_at")
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=sa.DateTime(), nullable=False)

    # Not in batch mode: on SQLite that would copy `users` into a new table and drop the old
    # one, and with foreign keys on, dropping it deletes (cascades to) or refuses every row
    # that points at a user. SQLite 3.35+ drops a plain column in place.
    op.drop_column('users', 'locked_until')
    op.drop_column('users', 'first_failed_login_at')
    op.drop_column('users', 'failed_logins')


def downgrade():
    op.add_column(
        'users', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False)
    )
    op.add_column('users', sa.Column('first_failed_login_at', sa.DateTime(), nullable=True))
    op.add_column('users', sa.Column('locked_until', sa.DateTime(), nullable=True))

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('user_agent')
        batch_op.drop_column('last_seen_at')

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('last_used_at')
