"""recurring cards: rules on the unit's working-day calendar and the days they made a card for
(UNIQUE per recurrence and day: exactly once)

Revision ID: 0013_recurrences
Revises: 0012_checklists_templates
Create Date: 2026-12-07 07:21:40.553011

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0013_recurrences"
down_revision = "0012_checklists_templates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=True),
        sa.Column("on_holiday", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("paused_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("problem", sa.String(length=500), nullable=True),
        sa.Column("problem_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_recurrences_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["column_id"],
            ["board_columns.id"],
            name=op.f("fk_recurrences_column_id_board_columns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_recurrences_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_recurrences_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["card_templates.id"],
            name=op.f("fk_recurrences_template_id_card_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurrences")),
    )
    op.create_index(op.f("ix_recurrences_board_id"), "recurrences", ["board_id"], unique=False)

    op.create_table(
        "recurrence_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recurrence_id", sa.Integer(), nullable=False),
        sa.Column("occurs_on", sa.Date(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["cards.id"],
            name=op.f("fk_recurrence_occurrences_card_id_cards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recurrence_id"],
            ["recurrences.id"],
            name=op.f("fk_recurrence_occurrences_recurrence_id_recurrences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurrence_occurrences")),
        sa.UniqueConstraint(
            "recurrence_id", "occurs_on", name="uq_recurrence_occurrences_recurrence_id_occurs_on"
        ),
    )


def downgrade():
    op.drop_table("recurrence_occurrences")
    op.drop_index(op.f("ix_recurrences_board_id"), table_name="recurrences")
    op.drop_table("recurrences")
