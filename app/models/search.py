"""The search index of cards (issue 25): one row per card in `card_search` with the texts search
reads, aggregated from the card, its comments, checklist, labels, type, assignee and documents,
plus the database's own full-text index over them:

- SQLite: an FTS5 table `card_search_fts` with `card_search` as its external content, kept in
  step by three triggers on `card_search`; accents folded (`unicode61 remove_diacritics 2`),
  prefix indexes for the last word typed, bm25 weights stored as the table's default rank.
- PostgreSQL: a `tsv` tsvector column with a GIN index, filled by the same statement that fills
  the row, in the text search configuration `cergas_search` (`simple`, no stemming, which suits
  Indonesian, with `unaccent` when the extension can be created).

The engine's objects are not models (Alembic cannot describe them): they are created after the
table here (`create_all`, the tests) and by migration 0018 (the same statements, copied, and a
test checks the copy); `ENGINE_OBJECTS` names them for the schema comparison. The rows are
written only by `app/services/search_index.py`.
"""

import logging

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, event, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

log = logging.getLogger(__name__)

# The indexed texts, in the FTS5 table's column order (bm25 weights below follow it).
FIELDS = ("title", "description", "comments", "checklist", "labels", "kind", "people", "documents")


class CardSearch(db.Model):
    """What search reads of a card; `app/services/search_index.refresh` rewrites it."""

    __tablename__ = "card_search"
    __table_args__ = (Index("ix_card_search_board_id", "board_id"),)

    card_id: Mapped[int] = mapped_column(
        ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Every comment's body, one per line.
    comments: Mapped[str] = mapped_column(Text, default="")
    # Every checklist item's text, one per line.
    checklist: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[str] = mapped_column(Text, default="")
    # The card type, its hyphens as spaces ("surat keluar").
    kind: Mapped[str] = mapped_column(String(200), default="")
    # The assignee's name and NIP.
    people: Mapped[str] = mapped_column(Text, default="")
    # The file names of the documents on the card that are not removed, one per line.
    documents: Mapped[str] = mapped_column(Text, default="")
    # Whether the card is archived (a copy of `cards.archived_at IS NOT NULL`), so that a search
    # leaves archived cards out without reading the cards table (PostgreSQL's plan).
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


SQLITE_FTS = "card_search_fts"
# Objects of the full-text engines that are not in the models: the FTS5 table and its shadow
# tables (SQLite), the tsvector column and its index (PostgreSQL).
ENGINE_OBJECTS = frozenset(
    {
        SQLITE_FTS,
        f"{SQLITE_FTS}_data",
        f"{SQLITE_FTS}_idx",
        f"{SQLITE_FTS}_docsize",
        f"{SQLITE_FTS}_config",
        "tsv",
        "ix_card_search_tsv",
    }
)

# bm25 weights per field (FIELDS' order): the title first, then labels, then type, person and
# documents, then the description, then comments and checklist.
BM25_WEIGHTS = (10, 2, 1, 1, 5, 3, 3, 3)
_columns = ", ".join(FIELDS)
_new = ", ".join(f"new.{name}" for name in FIELDS)
_old = ", ".join(f"old.{name}" for name in FIELDS)
SEARCH_INDEX_SQLITE = [
    f"CREATE VIRTUAL TABLE {SQLITE_FTS} USING fts5({_columns}, content='card_search', "
    "content_rowid='card_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    # The same weights as the table's default rank (for ORDER BY rank in a shell).
    f"INSERT INTO {SQLITE_FTS}({SQLITE_FTS}, rank) "
    f"VALUES ('rank', 'bm25({', '.join(map(str, BM25_WEIGHTS))})')",
    f"CREATE TRIGGER card_search_ai AFTER INSERT ON card_search BEGIN "
    f"INSERT INTO {SQLITE_FTS}(rowid, {_columns}) VALUES (new.card_id, {_new}); END",
    f"CREATE TRIGGER card_search_ad AFTER DELETE ON card_search BEGIN "
    f"INSERT INTO {SQLITE_FTS}({SQLITE_FTS}, rowid, {_columns}) "
    f"VALUES ('delete', old.card_id, {_old}); END",
    # Only a change of the indexed texts re-indexes the row (not the `archived` flag).
    f"CREATE TRIGGER card_search_au AFTER UPDATE OF {_columns} ON card_search BEGIN "
    f"INSERT INTO {SQLITE_FTS}({SQLITE_FTS}, rowid, {_columns}) "
    f"VALUES ('delete', old.card_id, {_old}); "
    f"INSERT INTO {SQLITE_FTS}(rowid, {_columns}) VALUES (new.card_id, {_new}); END",
]
SEARCH_INDEX_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS card_search_au",
    "DROP TRIGGER IF EXISTS card_search_ad",
    "DROP TRIGGER IF EXISTS card_search_ai",
    f"DROP TABLE IF EXISTS {SQLITE_FTS}",
]

# The configuration lives in the current schema; created once (the tests drop and create the
# tables many times, a configuration survives that).
PG_CONFIGURATION = (
    "DO $$ BEGIN "
    "IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'cergas_search' "
    "AND cfgnamespace = current_schema()::regnamespace) THEN "
    "CREATE TEXT SEARCH CONFIGURATION cergas_search (COPY = pg_catalog.simple); "
    "END IF; END $$"
)
PG_UNACCENT = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
SEARCH_INDEX_POSTGRESQL = [
    "ALTER TABLE card_search ADD COLUMN tsv tsvector",
    "CREATE INDEX ix_card_search_tsv ON card_search USING gin (tsv)",
]
SEARCH_INDEX_POSTGRESQL_DROP = ["DROP TEXT SEARCH CONFIGURATION IF EXISTS cergas_search"]


def create_postgresql_configuration(connection) -> bool:
    """The text search configuration `cergas_search`: `simple` (no stemming: Indonesian words
    are kept as written), folding accents with `unaccent` when the extension exists or can be
    created here. Without it search still works, accent-sensitive, and a notice is logged.
    Returns whether accents are folded."""
    connection.execute(text(PG_CONFIGURATION))
    try:
        with connection.begin_nested():
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except Exception as error:  # no permission, or the contrib package is not installed
        log.warning(
            "search: the PostgreSQL extension unaccent cannot be created (%s); search will "
            "match accented letters only as typed",
            str(error).splitlines()[0],
        )
    schema = connection.execute(text(PG_UNACCENT)).scalar()
    if schema is None:
        return False
    connection.execute(
        text(
            "ALTER TEXT SEARCH CONFIGURATION cergas_search ALTER MAPPING FOR "
            "asciiword, asciihword, hword_asciipart, word, hword, hword_part "
            f'WITH "{schema}".unaccent, simple'
        )
    )
    return True


def create_engine_objects(connection) -> None:
    """The full-text objects of the connection's database (after `card_search` exists)."""
    if connection.dialect.name == "sqlite":
        for statement in SEARCH_INDEX_SQLITE:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        create_postgresql_configuration(connection)
        for statement in SEARCH_INDEX_POSTGRESQL:
            connection.exec_driver_sql(statement)


@event.listens_for(CardSearch.__table__, "after_create")
def _after_create(target, connection, **kw):
    create_engine_objects(connection)


@event.listens_for(CardSearch.__table__, "before_drop")
def _before_drop(target, connection, **kw):
    if connection.dialect.name == "sqlite":
        for statement in SEARCH_INDEX_SQLITE_DROP:
            connection.exec_driver_sql(statement)
