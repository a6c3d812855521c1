"""A move checked on the request's own read (app/services/moves.py): it leaves exactly
what the general path leaves, and whenever something its checks relied on changed between the
read and the lock, the general path decides under the lock instead. On a SQLite file (so that
another connection can write in between) and on PostgreSQL (one pipeline)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import Card, Event
from app.services import cards, moves
from app.services.errors import Conflict, Invalid, Vetoed
from cergas.plugin import Veto, hookimpl
from tests.conftest import database_for, get_user, head_with_board, make_app
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg

DUE = (date.today() + timedelta(days=10)).isoformat()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return database_for(request.param, f"sqlite:///{tmp_path}/cergas.db")


def postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def at_the_lock(monkeypatch, before=None, after=None) -> None:
    """Run `before()` where the move takes the lock (SQLite: its premise check, the first
    statement of the write transaction; PostgreSQL: the pipeline), and `after(held)` with
    whether the premises held."""

    def wrap(name, held_of):
        real = getattr(moves, name)

        def wrapped(*args, **kwargs):
            if before:
                before()
            answer = real(*args, **kwargs)
            if after:
                after(held_of(answer))
            return answer

        monkeypatch.setattr(moves, name, wrapped)

    wrap("check_premises", lambda row: row is not None)
    wrap("try_move", lambda outcome: outcome.moved or outcome.noop)


@pytest.fixture
def premises_held(monkeypatch):
    """For every move checked on its read, in order: whether its premises held under the lock."""
    seen: list[bool] = []
    at_the_lock(monkeypatch, after=seen.append)
    return seen


def meanwhile(monkeypatch, *statements: str, **params) -> None:
    """Commit `statements` from another connection after the request has read the card and
    just before it takes the lock, as a colleague's write would."""

    def write():
        with db.engine.begin() as other:
            for sql in statements:
                other.execute(text(sql), params)

    at_the_lock(monkeypatch, before=write)


def new_cards(org, count, column=None, **data):
    staff = get_user("staff", org)
    made = []
    for number in range(count):
        fields = {"title": f"Nota dinas {number + 1}", "due_date": DUE, **data}
        made.append(cards.create_card(staff, org.board_id, fields, column_id=column).card.id)
    return made


def positions(column_id) -> list[int]:
    return db.session.scalars(
        select(Card.position).where(Card.column_id == column_id).order_by(Card.position)
    ).all()


def moved_events(card_id) -> list[dict]:
    return db.session.scalars(
        select(Event.data).where(Event.card_id == card_id, Event.kind == "moved")
    ).all()


def row_of(card_id) -> dict:
    """The card's row as another connection reads it."""
    with db.engine.connect() as other:
        return dict(
            other.execute(select(Card.__table__).where(Card.id == card_id)).mappings().one()
        )


def test_a_move_writes_what_the_general_path_writes(app, org, premises_held):
    with app.app_context():
        staff = get_user("staff", org)
        first, second, third = new_cards(org, 3)
        result = cards.move_card(staff, second, org.doing)
        assert premises_held == [True]
        card = result.card
        assert (card.column_id, card.position, card.version) == (org.doing, 0, 2)
        assert card.first_active_at is not None and card.done_at is None
        # The answer is the committed row, every column of it, without reading it again.
        assert {c.key: getattr(card, c.key) for c in Card.__table__.columns} == row_of(second)
        assert moved_events(second) == [
            {
                "from_column": "Backlog",
                "to_column": "Dikerjakan",
                "from_column_id": org.backlog,
                "to_column_id": org.doing,
                "position": 0,
            }
        ]
        db.session.expire_all()
        assert positions(org.backlog) == [0, 1] and positions(org.doing) == [0]
        assert [db.session.get(Card, i).position for i in (first, third)] == [0, 1]

        done = cards.move_card(staff, second, org.done).card
        assert done.done_at is not None and done.first_active_at == card.first_active_at
        back = cards.move_card(staff, second, org.doing).card
        assert back.done_at is None and back.version == 4
        assert premises_held == [True, True, True]


def test_an_api_move_takes_few_statements(app, org, api, premises_held):
    with app.app_context():
        (card_id,) = new_cards(org, 1)
    # A token's first use is recorded (a write, then at most one every few minutes).
    assert api("staff").get("/api/v1/boards").status_code == 200
    with count_queries(app) as statements:
        response = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.doing})
    assert response.status_code == 200, response.json
    assert (response.json["column_id"], response.json["version"]) == (org.doing, 2)
    assert premises_held == [True]
    # The caller; their standing (memberships, acting appointments and teams, one query); the
    # card with its board, columns and assignee; the answer is not read again. PostgreSQL: the
    # move is the pipeline (psycopg's, not seen by SQLAlchemy). SQLite: the premises, the shift,
    # the card and the event. Both: the board's card types and labels, which the answer names
    # (issue 26).
    with app.app_context():
        queries = [sql for sql in statements if not sql.startswith("BEGIN")]
        assert len(queries) == (4 if postgresql() else 8), queries


def test_reordering_within_a_column_shifts_only_the_cards_between(app, org, premises_held):
    with app.app_context():
        staff = get_user("staff", org)
        ids = new_cards(org, 5)  # each new card goes to the end: positions 0..4 in order
        order = lambda: db.session.scalars(  # noqa: E731
            select(Card.id).where(Card.column_id == org.backlog).order_by(Card.position)
        ).all()
        cards.move_card(staff, ids[3], org.backlog, position=1)
        db.session.expire_all()
        assert order() == [ids[0], ids[3], ids[1], ids[2], ids[4]]
        cards.move_card(staff, ids[0], org.backlog, position=99)  # past the end: last
        db.session.expire_all()
        assert order() == [ids[3], ids[1], ids[2], ids[4], ids[0]]
        assert positions(org.backlog) == [0, 1, 2, 3, 4]
        assert moved_events(ids[0])[-1]["position"] == 4


def test_a_move_to_where_the_card_already_is_changes_nothing(app, org, premises_held):
    with app.app_context():
        staff = get_user("staff", org)
        first, _second = new_cards(org, 2)
        result = cards.move_card(staff, first, org.backlog, position=0)
        assert premises_held == [True]
        assert result.card.version == 1 and result.warnings == []
        assert moved_events(first) == []


def test_a_card_edited_after_the_read_is_moved_by_the_general_path(app, org, monkeypatch):
    with app.app_context():
        staff = get_user("staff", org)
        (card_id,) = new_cards(org, 1)
        meanwhile(
            monkeypatch,
            "UPDATE cards SET title = 'Diubah rekan', version = version + 1 WHERE id = :id",
            id=card_id,
        )
        result = cards.move_card(staff, card_id, org.doing)
        db.session.expire_all()
        card = db.session.get(Card, card_id)
        # The colleague's edit is kept, the move applied once, on top of it.
        assert (card.title, card.column_id, card.version) == ("Diubah rekan", org.doing, 3)
        assert result.card.version == 3 and len(moved_events(card_id)) == 1


def test_a_due_date_removed_after_the_read_refuses_the_move(app, org, monkeypatch):
    with app.app_context():
        staff = get_user("staff", org)
        (card_id,) = new_cards(org, 1)
        meanwhile(
            monkeypatch,
            "UPDATE cards SET due_date = NULL, version = version + 1 WHERE id = :id",
            id=card_id,
        )
        with pytest.raises(Invalid) as refused:
            cards.move_card(staff, card_id, org.doing)
        assert refused.value.code == "due_date_required"
        db.session.expire_all()
        assert db.session.get(Card, card_id).column_id == org.backlog


def test_a_card_moved_by_a_colleague_meanwhile_moves_from_where_it_is(app, org, monkeypatch):
    with app.app_context():
        staff = get_user("staff", org)
        first, second = new_cards(org, 2)
        meanwhile(
            monkeypatch,
            "UPDATE cards SET column_id = :review, position = 0 WHERE id = :id",
            "UPDATE cards SET position = 0 WHERE id = :other",
            review=org.review,
            id=first,
            other=second,
        )
        cards.move_card(staff, first, org.doing)
        assert moved_events(first)[-1]["from_column"] == "Review"
        assert positions(org.review) == [] and positions(org.backlog) == [0]


def test_a_column_filled_after_the_read_refuses_the_move(app, org, monkeypatch):
    with app.app_context():
        staff = get_user("staff", org)
        in_doing = new_cards(org, 2)
        for card_id in in_doing:
            cards.move_card(staff, card_id, org.doing)
        mine, theirs = new_cards(org, 2)
        # A colleague's card takes the last place of the hard limit (3) in the meantime.
        meanwhile(
            monkeypatch,
            "UPDATE cards SET column_id = :doing, position = 2 WHERE id = :id",
            doing=org.doing,
            id=theirs,
        )
        with pytest.raises(Conflict) as refused:
            cards.move_card(staff, mine, org.doing)
        assert refused.value.code == "wip_limit_reached"
        db.session.expire_all()
        assert db.session.get(Card, mine).column_id == org.backlog
        assert moved_events(mine) == [] and positions(org.doing) == [0, 1, 2]


def test_a_limit_lowered_after_the_read_refuses_the_move(app, org, monkeypatch):
    with app.app_context():
        staff = get_user("staff", org)
        first, second = new_cards(org, 2)
        cards.move_card(staff, first, org.doing)
        meanwhile(
            monkeypatch, "UPDATE board_columns SET wip_limit = 1 WHERE id = :id", id=org.doing
        )
        with pytest.raises(Conflict) as refused:
            cards.move_card(staff, second, org.doing)
        assert refused.value.code == "wip_limit_reached"
        assert "1" in refused.value.message


def test_a_personal_limit_set_after_the_read_refuses_the_move(app, org, monkeypatch):
    with app.app_context():
        staff = get_user("staff", org)
        mine = new_cards(org, 2, assignee=org.nips["staff"])
        cards.move_card(staff, mine[0], org.doing)
        meanwhile(
            monkeypatch,
            "UPDATE boards SET personal_wip_limit = 1 WHERE id = :id",
            id=org.board_id,
        )
        with pytest.raises(Conflict) as refused:
            cards.move_card(staff, mine[1], org.doing)
        assert refused.value.code == "personal_wip_limit_reached"


def test_a_column_renamed_after_the_read_is_recorded_by_its_new_name(app, org, monkeypatch):
    with app.app_context():
        staff = get_user("staff", org)
        (card_id,) = new_cards(org, 1)
        meanwhile(
            monkeypatch,
            "UPDATE board_columns SET name = 'Antrean' WHERE id = :id",
            id=org.backlog,
        )
        cards.move_card(staff, card_id, org.doing)
        assert moved_events(card_id)[-1]["from_column"] == "Antrean"


def test_the_soft_limit_warns_from_the_count_under_the_lock(app, org, premises_held):
    with app.app_context():
        staff = get_user("staff", org)
        ids = new_cards(org, 3)
        first = cards.move_card(staff, ids[0], org.review)
        cards.move_card(staff, ids[1], org.review)
        third = cards.move_card(staff, ids[2], org.review)
        assert premises_held == [True, True, True]
        assert first.warnings == []
        assert len(third.warnings) == 1 and "Review" in third.warnings[0]


def test_the_personal_limit_is_kept_by_a_move_checked_on_its_read(app, org, premises_held):
    with app.app_context():
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        from app.services import boards

        boards.update_board(kasi, org.board_id, {"personal_wip_limit": 1})
        mine = new_cards(org, 2, assignee=org.nips["staff"])
        unassigned = new_cards(org, 1)[0]
        cards.move_card(staff, mine[0], org.doing)
        assert premises_held == [True]
        with pytest.raises(Conflict) as refused:
            cards.move_card(staff, mine[1], org.doing)
        assert refused.value.code == "personal_wip_limit_reached"
        assert moved_events(mine[1]) == []
        assert cards.move_card(staff, unassigned, org.doing).card.column_id == org.doing


def test_an_override_takes_the_general_path(app, org, premises_held):
    with app.app_context():
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        for card_id in new_cards(org, 3):
            cards.move_card(staff, card_id, org.doing)
        extra = new_cards(org, 1)[0]
        count = len(premises_held)
        result = cards.move_card(kasi, extra, org.doing, override_reason="Perintah Kadis")
        assert result.overridden and len(premises_held) == count


class RefusesDone:
    @hookimpl
    def cergas_card_before_move(self, card, target):
        return Veto("Belum diparaf.") if target.kind == "done" else None


def test_a_plugin_that_may_refuse_a_move_is_asked_under_the_lock(database_url, monkeypatch):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"paraf": RefusesDone()})
    calls: list[bool] = []
    at_the_lock(monkeypatch, after=calls.append)
    try:
        with app.app_context():
            head, board = head_with_board()
            backlog, doing, _review, done = board.columns
            first = cards.create_card(head, board.id, {"title": "A", "due_date": DUE}).card.id
            second = cards.create_card(head, board.id, {"title": "B", "due_date": DUE}).card.id
            cards.move_card(head, first, doing.id)
            with pytest.raises(Vetoed):
                cards.move_card(head, first, done.id)
            assert calls == []  # between columns: the plugin decides under the lock
            cards.move_card(head, second, backlog.id, position=0)
            assert calls == [True]  # within a column no plugin is asked
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
