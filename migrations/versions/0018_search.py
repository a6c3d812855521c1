"""search across boards: the card_search index (issue 25)

The full-text objects (SQLite FTS5 table and triggers, PostgreSQL text search configuration,
tsvector column and GIN index) and the statement that fills the index are copied from
app/models/search.py and app/services/search_index.py, as a migration must keep working when
those change; tests/test_search_index.py checks the copies.

Revision ID: 0018_search
Revises: 0017_archive_indexes
Create Date: 2026-12-07 12:40:00

"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_search"
down_revision = "0017_archive_indexes"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

SEARCH_INDEX_SQLITE = [
    "CREATE VIRTUAL TABLE card_search_fts USING fts5(title, description, comments, checklist, labels, kind, people, documents, content='card_search', content_rowid='card_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "INSERT INTO card_search_fts(card_search_fts, rank) VALUES ('rank', 'bm25(10, 2, 1, 1, 5, 3, 3, 3)')",
    'CREATE TRIGGER card_search_ai AFTER INSERT ON card_search BEGIN INSERT INTO card_search_fts(rowid, title, description, comments, checklist, labels, kind, people, documents) VALUES (new.card_id, new.title, new.description, new.comments, new.checklist, new.labels, new.kind, new.people, new.documents); END',
    "CREATE TRIGGER card_search_ad AFTER DELETE ON card_search BEGIN INSERT INTO card_search_fts(card_search_fts, rowid, title, description, comments, checklist, labels, kind, people, documents) VALUES ('delete', old.card_id, old.title, old.description, old.comments, old.checklist, old.labels, old.kind, old.people, old.documents); END",
    "CREATE TRIGGER card_search_au AFTER UPDATE OF title, description, comments, checklist, labels, kind, people, documents ON card_search BEGIN INSERT INTO card_search_fts(card_search_fts, rowid, title, description, comments, checklist, labels, kind, people, documents) VALUES ('delete', old.card_id, old.title, old.description, old.comments, old.checklist, old.labels, old.kind, old.people, old.documents); INSERT INTO card_search_fts(rowid, title, description, comments, checklist, labels, kind, people, documents) VALUES (new.card_id, new.title, new.description, new.comments, new.checklist, new.labels, new.kind, new.people, new.documents); END",
]

SEARCH_INDEX_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS card_search_au",
    "DROP TRIGGER IF EXISTS card_search_ad",
    "DROP TRIGGER IF EXISTS card_search_ai",
    "DROP TABLE IF EXISTS card_search_fts",
]

PG_CONFIGURATION = "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'cergas_search' AND cfgnamespace = current_schema()::regnamespace) THEN CREATE TEXT SEARCH CONFIGURATION cergas_search (COPY = pg_catalog.simple); END IF; END $$"
PG_UNACCENT = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
SEARCH_INDEX_POSTGRESQL = [
    "ALTER TABLE card_search ADD COLUMN tsv tsvector",
    "CREATE INDEX ix_card_search_tsv ON card_search USING gin (tsv)",
]

SEARCH_INDEX_POSTGRESQL_DROP = [
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS cergas_search",
]

INSERT_SQLITE = """INSERT INTO card_search (card_id, board_id, title, description, comments, checklist, labels, kind, people, documents, archived) 
SELECT c.id AS card_id, c.board_id AS board_id, c.title AS title,
  coalesce(c.description, '') AS description,
  coalesce((SELECT group_concat(m.body, char(10)) FROM comments m WHERE m.card_id = c.id), '')
    AS comments,
  coalesce((SELECT group_concat(i.text, char(10)) FROM checklist_items i
    WHERE i.card_id = c.id), '') AS checklist,
  coalesce((SELECT group_concat(j.value, ' ') FROM json_each(c.labels) j), '') AS labels,
  replace(coalesce(c.type, ''), '-', ' ') AS kind,
  coalesce(u.name || ' ' || coalesce(u.nip, ''), '') AS people,
  coalesce((SELECT group_concat(a.name, char(10)) FROM attachments a
    WHERE a.card_id = c.id AND a.removed_at IS NULL), '') AS documents,
  c.archived_at IS NOT NULL AS archived
FROM cards c LEFT JOIN users u ON u.id = c.assignee_id
{where}"""

INSERT_POSTGRESQL = """
INSERT INTO card_search (card_id, board_id, title, description, comments, checklist, labels, kind, people, documents, archived, tsv)
SELECT s.*,
  setweight(to_tsvector('cergas_search', s.title), 'A')
  || setweight(to_tsvector('cergas_search', s.labels || ' ' || s.kind || ' ' || s.people || ' '
       || translate(s.documents, '._-/', '    ')), 'B')
  || setweight(to_tsvector('cergas_search', s.description), 'C')
  || setweight(to_tsvector('cergas_search', s.comments || ' ' || s.checklist), 'D')
FROM (
SELECT c.id AS card_id, c.board_id AS board_id, c.title AS title,
  coalesce(c.description, '') AS description,
  coalesce((SELECT string_agg(m.body, E'\\n') FROM comments m WHERE m.card_id = c.id), '')
    AS comments,
  coalesce((SELECT string_agg(i.text, E'\\n') FROM checklist_items i
    WHERE i.card_id = c.id), '') AS checklist,
  coalesce((SELECT string_agg(j, ' ') FROM json_array_elements_text(c.labels) j), '')
    AS labels,
  replace(coalesce(c.type, ''), '-', ' ') AS kind,
  coalesce(u.name || ' ' || coalesce(u.nip, ''), '') AS people,
  coalesce((SELECT string_agg(a.name, E'\\n') FROM attachments a
    WHERE a.card_id = c.id AND a.removed_at IS NULL), '') AS documents,
  c.archived_at IS NOT NULL AS archived
FROM cards c LEFT JOIN users u ON u.id = c.assignee_id
{where}) s"""


def upgrade():
    op.create_table(
        "card_search",
        sa.Column("card_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=200), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f("fk_card_search_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["cards.id"], name=op.f("fk_card_search_card_id_cards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_card_search")),
    )
    op.create_index("ix_card_search_board_id", "card_search", ["board_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        create_postgresql_configuration(bind)
        for statement in SEARCH_INDEX_POSTGRESQL:
            op.execute(statement)
        op.execute(INSERT_POSTGRESQL.format(where=""))
    else:
        for statement in SEARCH_INDEX_SQLITE:
            op.execute(statement)
        op.execute(INSERT_SQLITE.format(where=""))


def create_postgresql_configuration(bind):
    """`simple` with `unaccent` when the extension exists or can be created; without it, search
    works accent-sensitive and a notice is logged."""
    bind.execute(sa.text(PG_CONFIGURATION))
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except Exception as error:
        log.warning(
            "search: the PostgreSQL extension unaccent cannot be created (%s); search will "
            "match accented letters only as typed",
            str(error).splitlines()[0],
        )
    schema = bind.execute(sa.text(PG_UNACCENT)).scalar()
    if schema is not None:
        bind.execute(
            sa.text(
                "ALTER TEXT SEARCH CONFIGURATION cergas_search ALTER MAPPING FOR "
                "asciiword, asciihword, hword_asciipart, word, hword, hword_part "
                f'WITH "{schema}".unaccent, simple'
            )
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SEARCH_INDEX_SQLITE_DROP:
            op.execute(statement)
    op.drop_index("ix_card_search_board_id", table_name="card_search")
    op.drop_table("card_search")
    if op.get_bind().dialect.name == "postgresql":
        for statement in SEARCH_INDEX_POSTGRESQL_DROP:
            op.execute(statement)
