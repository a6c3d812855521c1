"""board hot paths: card positions without an index, so shifting the positions of a column (every
move does) rewrites no index entries and PostgreSQL updates those rows in place (HOT updates,
with room left in each page of `cards`); events indexed by (board_id, id), so a board's newest
event is one index probe

Revision ID: 0007_board_hot_paths
Revises: 0006_unit_calendars
Create Date: 2026-11-28 10:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_board_hot_paths'
down_revision = '0006_unit_calendars'
branch_labels = None
depends_on = None

# Percentage of each table page PostgreSQL fills on insert; the rest takes the new versions of
# rows whose positions shift.
FILLFACTOR = 70


def upgrade():
    op.drop_index('ix_cards_column_position', table_name='cards')
    op.create_index('ix_cards_column_id', 'cards', ['column_id'], unique=False)
    op.drop_index('ix_events_board_id', table_name='events')
    op.create_index('ix_events_board_id_id', 'events', ['board_id', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE cards SET (fillfactor = {FILLFACTOR})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE cards RESET (fillfactor)')
    op.drop_index('ix_events_board_id_id', table_name='events')
    op.create_index('ix_events_board_id', 'events', ['board_id'], unique=False)
    op.drop_index('ix_cards_column_id', table_name='cards')
    op.create_index('ix_cards_column_position', 'cards', ['column_id', 'position'], unique=False)
