"""the card holds the work: checklist items (with counts kept on the card for the board's
badge, and a board rule that a done column takes only finished checklists) and card templates

Revision ID: 0012_checklists_templates
Revises: 0011_sign_in
Create Date: 2026-12-07 06:58:23.175823

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0012_checklists_templates"
down_revision = "0011_sign_in"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "card_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("title_pattern", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("due_in_working_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_card_templates_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_card_templates_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_templates")),
    )
    with op.batch_alter_table("card_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_templates_board_id"), ["board_id"], unique=False)

    op.create_table(
        "checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_checklist_items_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["cards.id"],
            name=op.f("fk_checklist_items_card_id_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_checklist_items_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_checklist_items_done_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_items")),
    )
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checklist_items_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_checklist_items_card_id_position", ["card_id", "position"], unique=False
        )

    op.add_column(
        "boards",
        sa.Column(
            "checklist_required_for_done", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column(
        "cards", sa.Column("checklist_total", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "cards", sa.Column("checklist_done", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade():
    # Plain columns are dropped in place (SQLite 3.35+), never by copying the table.
    op.drop_column("cards", "checklist_done")
    op.drop_column("cards", "checklist_total")
    op.drop_column("boards", "checklist_required_for_done")
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_items_card_id_position")
        batch_op.drop_index(batch_op.f("ix_checklist_items_assignee_id"))

    op.drop_table("checklist_items")
    with op.batch_alter_table("card_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_templates_board_id"))

    op.drop_table("card_templates")
