"""unit calendars: per-unit working hours, every-day units, extra days off and working days

Revision ID: 0006_unit_calendars
Revises: 0005_login_sessions
Create Date: 2026-11-28 03:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_unit_calendars'
down_revision = '0005_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit_calendars',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('every_day', sa.Boolean(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_unit_calendars_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_calendars_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_calendars'))
    )
    op.create_table('unit_calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_unit_calendar_days_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_calendar_days_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_calendar_days')),
    sa.UniqueConstraint('unit_id', 'day', name=op.f('uq_unit_calendar_days_unit_id'))
    )
    with op.batch_alter_table('unit_calendar_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_calendar_days_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('unit_calendar_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_calendar_days_unit_id'))

    op.drop_table('unit_calendar_days')
    op.drop_table('unit_calendars')
