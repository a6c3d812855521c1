"""archive, saved filters, calendar feeds (issue 25); RHK, feedback, dialogue notes (issue 27)

Revision ID: 0016_archive_views_rhk
Revises: 0015_outbox
Create Date: 2026-12-07 12:15:15.411060

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0016_archive_views_rhk"
down_revision = "0015_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feeds_user_id"), ["user_id"], unique=False)

    op.create_table(
        "performance_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_performance_feedback_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_performance_feedback_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_feedback")),
    )
    with op.batch_alter_table("performance_feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_performance_feedback_user_id_period", ["user_id", "period"], unique=False
        )

    op.create_table(
        "rhks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rhks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["rhks.id"], name=op.f("fk_rhks_parent_id_rhks"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rhks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rhks")),
    )
    with op.batch_alter_table("rhks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rhks_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_rhks_user_id_year", ["user_id", "year"], unique=False)

    op.create_table(
        "rhk_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rhk_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("aspect", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["rhk_id"], ["rhks.id"], name=op.f("fk_rhk_indicators_rhk_id_rhks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rhk_indicators")),
    )
    with op.batch_alter_table("rhk_indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rhk_indicators_rhk_id"), ["rhk_id"], unique=False)

    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_saved_filters_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_filters_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("user_id", "board_id", "name", name=op.f("uq_saved_filters_user_id")),
    )
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_filters_user_id"), ["user_id"], unique=False)

    op.create_table(
        "dialogue_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sprint_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_dialogue_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sprint_id"],
            ["sprints.id"],
            name=op.f("fk_dialogue_notes_sprint_id_sprints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_dialogue_notes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_notes")),
        sa.UniqueConstraint("sprint_id", "user_id", name=op.f("uq_dialogue_notes_sprint_id")),
    )
    with op.batch_alter_table("dialogue_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dialogue_notes_user_id"), ["user_id"], unique=False)

    # Not in batch mode: on SQLite that would copy `cards` (or `units`) into a new table and
    # drop the old one, and with foreign keys on, dropping it cascades (migration 0010 says
    # more). SQLite adds a column, even one with a REFERENCES clause, in place.
    op.add_column(
        "boards",
        sa.Column("archive_after_days", sa.Integer(), server_default="14", nullable=False),
    )
    op.add_column("cards", sa.Column("archived_at", sa.DateTime(), nullable=True))
    add_reference("cards", "archived_by_id", "users", "fk_cards_archived_by_id_users")
    add_reference("cards", "rhk_id", "rhks", "fk_cards_rhk_id_rhks")
    op.create_index(
        "ix_cards_board_id_archived_at", "cards", ["board_id", "archived_at"], unique=False
    )
    op.create_index(op.f("ix_cards_rhk_id"), "cards", ["rhk_id"], unique=False)
    add_reference("sprints", "goal_rhk_id", "rhks", "fk_sprints_goal_rhk_id_rhks")
    op.add_column(
        "units",
        sa.Column(
            "colleagues_see_competency", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )


def add_reference(table, column, target, name, ondelete=None):
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"], ondelete=ondelete)
    else:
        action = f" ON DELETE {ondelete}" if ondelete else ""
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id){action}"
        )


def drop_references(table, columns):
    """Drop columns that reference other tables: in place on PostgreSQL; on SQLite by copying
    the table with foreign keys off, so that the copy cascades to nothing."""
    if op.get_bind().dialect.name == "postgresql":
        for column, name in columns:
            op.drop_constraint(name, table, type_="foreignkey")
            op.drop_column(table, column)
        return
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys = OFF")
    op.execute("BEGIN")
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column, _name in columns:
            batch_op.drop_column(column)
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys = ON")
    op.execute("BEGIN")


def downgrade():
    op.drop_column("units", "colleagues_see_competency")
    drop_references("sprints", [("goal_rhk_id", "fk_sprints_goal_rhk_id_rhks")])
    op.drop_index(op.f("ix_cards_rhk_id"), table_name="cards")
    op.drop_index("ix_cards_board_id_archived_at", table_name="cards")
    drop_references(
        "cards",
        [("rhk_id", "fk_cards_rhk_id_rhks"), ("archived_by_id", "fk_cards_archived_by_id_users")],
    )
    op.drop_column("cards", "archived_at")
    op.drop_column("boards", "archive_after_days")

    with op.batch_alter_table("dialogue_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dialogue_notes_user_id"))

    op.drop_table("dialogue_notes")
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_filters_user_id"))

    op.drop_table("saved_filters")
    with op.batch_alter_table("rhk_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rhk_indicators_rhk_id"))

    op.drop_table("rhk_indicators")
    with op.batch_alter_table("rhks", schema=None) as batch_op:
        batch_op.drop_index("ix_rhks_user_id_year")
        batch_op.drop_index(batch_op.f("ix_rhks_parent_id"))

    op.drop_table("rhks")
    with op.batch_alter_table("performance_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_performance_feedback_user_id_period")

    op.drop_table("performance_feedback")
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_user_id"))

    op.drop_table("calendar_feeds")
