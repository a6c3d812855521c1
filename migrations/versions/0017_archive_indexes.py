"""archive indexes (issue 25): a column's unarchived cards, the unarchived cards by due date

Revision ID: 0017_archive_indexes
Revises: 0016_archive_views_rhk
Create Date: 2026-12-07 12:40:00

A partial index on cards(column_id) WHERE archived_at IS NULL: a move counts and shifts the
unarchived cards of two columns, and a done column may keep tens of thousands of archived ones.
A partial index on cards(due_date, column_id, board_id, id) WHERE archived_at IS NULL: the
overdue filter of search reads the open cards' due dates, columns and boards from it alone.
(Plain create_index, no batch: SQLite must not copy `cards`.)
"""

from alembic import op
import sqlalchemy as sa

revision = "0017_archive_indexes"
down_revision = "0016_archive_views_rhk"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_cards_column_id_open",
        "cards",
        ["column_id"],
        unique=False,
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_index(
        "ix_cards_open_due",
        "cards",
        ["due_date", "column_id", "board_id", "id"],
        unique=False,
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_cards_open_due", table_name="cards")
    op.drop_index("ix_cards_column_id_open", table_name="cards")
