"""Keeping the search index (`card_search`, app/models/search.py) current.

`refresh(card_ids, people=...)` rewrites the index rows of those cards (and of the cards assigned
to those people) from the stored data, in the current transaction. Nobody has to remember to call
it for ordinary writes: every ORM flush that creates, changes or removes something indexed (a
card's title, description, type, labels, assignee, board or archiving; a comment; a checklist
item's text; a document's name or removal; a person's name or NIP) notes the cards concerned,
and the notes are refreshed just before that transaction commits (`before_commit`), so the
index changes with the data, in the same transaction, whichever path wrote it (page, API, CLI,
import, plugin helper, template, recurrence). Statements that bypass the ORM (bulk
`update(User)` of the staff import) call `note_people` / `note_cards` themselves; the periodic
archiving sets the rows' `archived` flag itself. A rolled-back transaction drops its notes.

`rebuild()` (`cergas search reindex`, migration 0018) writes every row again.
"""

from collections.abc import Iterable

from sqlalchemy import bindparam, event, inspect, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Attachment, Card, ChecklistItem, Comment, User
from app.models.search import FIELDS

_CARDS = "cergas_search_cards"
_PEOPLE = "cergas_search_people"
# What each indexed model contributes, by attribute.
_CARD_ATTRS = (
    "title",
    "description",
    "type",
    "labels",
    "assignee",
    "assignee_id",
    "board_id",
    "archived_at",
)
_WATCHED = {
    Comment: ("body", "card_id"),
    ChecklistItem: ("text", "card_id"),
    Attachment: ("name", "removed_at", "card_id"),
}
_PERSON_ATTRS = ("name", "nip")
_CHUNK = 500

# The rows of `card_search`, aggregated per card (`{where}`: which cards). Copied into migration
# 0018 (tests/test_search_index.py checks the copy).
SELECT_SQLITE = """
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
SELECT_POSTGRESQL = """
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
{where}"""
_COLUMNS = "card_id, board_id, " + ", ".join(FIELDS) + ", archived"
INSERT_SQLITE = f"INSERT INTO card_search ({_COLUMNS}) {SELECT_SQLITE}"
# Weights: A the title; B labels, type, person, documents (file names split at . _ - /);
# C the description; D comments and checklist.
INSERT_POSTGRESQL = f"""
INSERT INTO card_search ({_COLUMNS}, tsv)
SELECT s.*,
  setweight(to_tsvector('cergas_search', s.title), 'A')
  || setweight(to_tsvector('cergas_search', s.labels || ' ' || s.kind || ' ' || s.people || ' '
       || translate(s.documents, '._-/', '    ')), 'B')
  || setweight(to_tsvector('cergas_search', s.description), 'C')
  || setweight(to_tsvector('cergas_search', s.comments || ' ' || s.checklist), 'D')
FROM ({SELECT_POSTGRESQL}) s"""


def refresh(card_ids: Iterable[int] = (), *, people: Iterable[int] = (), session=None) -> None:
    """Rewrite the index rows of these cards and of the cards assigned to these people, in the
    current transaction. Cards that no longer exist lose their row."""
    session = session if session is not None else db.session()
    postgresql = session.get_bind().dialect.name == "postgresql"
    insert = INSERT_POSTGRESQL if postgresql else INSERT_SQLITE
    card_ids = sorted({int(each) for each in card_ids if each is not None})
    people = sorted({int(each) for each in people if each is not None})
    ids = bindparam("ids", expanding=True)
    for start in range(0, len(card_ids), _CHUNK):
        chunk = card_ids[start : start + _CHUNK]
        session.execute(
            text("DELETE FROM card_search WHERE card_id IN :ids").bindparams(ids), {"ids": chunk}
        )
        session.execute(
            text(insert.format(where="WHERE c.id IN :ids")).bindparams(ids), {"ids": chunk}
        )
    for start in range(0, len(people), _CHUNK):
        chunk = people[start : start + _CHUNK]
        assigned = "SELECT id FROM cards WHERE assignee_id IN :ids"
        session.execute(
            text(f"DELETE FROM card_search WHERE card_id IN ({assigned})").bindparams(ids),
            {"ids": chunk},
        )
        session.execute(
            text(insert.format(where="WHERE c.assignee_id IN :ids")).bindparams(ids),
            {"ids": chunk},
        )


def rebuild(connection=None) -> int:
    """Every card's row again (after a restore, or when in doubt); returns the number of rows.
    On SQLite the FTS5 index is rebuilt from the rows and optimised."""
    conn = connection if connection is not None else db.session()
    dialect = conn.get_bind().dialect.name if connection is None else connection.dialect.name
    conn.execute(text("DELETE FROM card_search"))
    if dialect == "postgresql":
        conn.execute(text(INSERT_POSTGRESQL.format(where="")))
    else:
        conn.execute(text(INSERT_SQLITE.format(where="")))
        conn.execute(text("INSERT INTO card_search_fts(card_search_fts) VALUES ('optimize')"))
    return conn.execute(text("SELECT count(*) FROM card_search")).scalar()


def reindex() -> int:
    """`cergas search reindex`: rebuild the whole index in one write transaction; returns the
    number of cards indexed."""
    from app.services.tx import write_transaction

    with write_transaction():
        count = rebuild()
    return count


def note_cards(session: Session, card_ids: Iterable[int]) -> None:
    """Have these cards' rows refreshed before `session` commits."""
    session.info.setdefault(_CARDS, set()).update(card_ids)


def note_people(session: Session, user_ids: Iterable[int]) -> None:
    """Have the rows of the cards assigned to these people refreshed before `session` commits
    (their name or NIP changed)."""
    session.info.setdefault(_PEOPLE, set()).update(user_ids)


def _changed(obj, attrs) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attrs)


@event.listens_for(Session, "after_flush")
def _note_flushed(session, flush_context):
    cards: set[int] = set()
    people: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Card):
            cards.add(obj.id)
        elif type(obj) in _WATCHED:
            cards.add(obj.card_id)
    for obj in session.dirty:
        if isinstance(obj, Card):
            if _changed(obj, _CARD_ATTRS):
                cards.add(obj.id)
        elif type(obj) in _WATCHED:
            if _changed(obj, _WATCHED[type(obj)]):
                cards.add(obj.card_id)
                # A comment or item moved to another card leaves the first one too.
                history = inspect(obj).attrs.card_id.history
                cards.update(each for each in history.deleted or () if each is not None)
        elif isinstance(obj, User) and _changed(obj, _PERSON_ATTRS):
            people.add(obj.id)
    for obj in session.deleted:
        if type(obj) in _WATCHED:
            cards.add(obj.card_id)
    if cards:
        note_cards(session, cards)
    if people:
        note_people(session, people)


@event.listens_for(Session, "before_commit")
def _refresh_noted(session):
    # The commit flushes only after this event: flush here, so this flush's changes are noted.
    if session.new or session.dirty or session.deleted:
        session.flush()
    if not (session.info.get(_CARDS) or session.info.get(_PEOPLE)):
        return
    cards = session.info.pop(_CARDS, set())
    people = session.info.pop(_PEOPLE, set())
    refresh(cards, people=people, session=session)


@event.listens_for(Session, "after_rollback")
def _forget_noted(session):
    session.info.pop(_CARDS, None)
    session.info.pop(_PEOPLE, None)
