"""Hooks receive read-only views of cards, columns, boards, units, people and sprints, and the
helpers of cergas.plugin answer with them: a plugin cannot change a record by setting an
attribute, every attribute is documented in docs/plugins.md, and views compare by record."""

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Board, BoardColumn, Card, Sprint, Team, Unit, User
from app.plugin_views import VIEWS, view_of
from app.services import cards, moves, skills, sprints, teams
from app.services.errors import Vetoed
from cergas.plugin import (
    BoardView,
    CardView,
    ColumnView,
    ReadOnlyError,
    SprintView,
    TeamView,
    UnitView,
    UserView,
    can_manage_board,
    can_view_card,
    card_transaction,
    cards_by_ids,
    find_unit,
    hookimpl,
    move_card_in_transaction,
    notify,
    unit_heads,
    users_by_ids,
)
from tests.conftest import build_org, get_user, make_app

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
MEDDLER = "usil"


class Meddler:
    """Tries to change what it is shown, in the veto hooks, when a card's title asks for it."""

    def __init__(self):
        self.seen = {}
        self.batches = []

    def _meddle(self, card, board):
        if card.title.startswith("ubah "):
            what, attribute = card.title.split()[1].split(".")
            setattr({"card": card, "board": board}[what], attribute, 999999)

    @hookimpl
    def cergas_card_before_move(self, card, source, target, actor, board):
        self.seen["before_move"] = {"card": card, "target": target, "actor": actor, "board": board}
        if source is not None:  # a card created into a column passes here too
            self._meddle(card, board)

    @hookimpl
    def cergas_card_before_update(self, card, changes, reason, actor, board):
        self._meddle(card, board)

    @hookimpl
    def cergas_card_moved(self, card, source, target, actor, board):
        self.seen["moved"] = {"card": card, "source": source, "actor": actor, "board": board}

    @hookimpl
    def cergas_sprint_started(self, sprint, actor, board):
        self.seen["sprint"] = sprint

    @hookimpl
    def cergas_card_badges(self, cards, board):
        self.batches.append(cards)
        return {}

    @hookimpl
    def cergas_nav_items(self, user):
        self.seen["nav_user"] = user
        return []


class Second:
    """A second plugin answering the same batch hook: it must get the same views."""

    def __init__(self, meddler):
        self.meddler = meddler

    @hookimpl
    def cergas_card_badges(self, cards, board):
        self.meddler.batches.append(cards)
        return {}


@pytest.fixture
def meddler():
    return Meddler()


@pytest.fixture
def app(database_url, meddler):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={MEDDLER: meddler, "kedua": Second(meddler)})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def org(app):
    return build_org(app)


def new_card(org, title, **fields):
    data = {"title": title, "due_date": (date.today() + timedelta(days=5)).isoformat(), **fields}
    return cards.create_card(get_user("staff", org), org.board_id, data).card.id


def stored(card_id):
    db.session.expire_all()
    card = db.session.get(Card, card_id)
    return card.title, card.column_id, card.version, card.board.name


# --- changing a view is refused ----------------------------------------------------------


@pytest.mark.pg
@pytest.mark.parametrize("attempt", ["card.title", "card.column_id", "board.name"])
def test_a_veto_hook_that_sets_an_attribute_refuses_the_move_and_changes_nothing(app, org, attempt):
    with app.app_context():
        card_id = new_card(org, f"ubah {attempt}")
        before = stored(card_id)
        with pytest.raises(Vetoed) as refused:
            moves.move_card(get_user("staff", org), card_id, org.doing)
        assert [v["plugin"] for v in refused.value.vetoes] == [MEDDLER]
        assert stored(card_id) == before
        record = app.extensions["cergas_plugins"].records[MEDDLER]
        assert "ReadOnlyError" in record.last_error and attempt.split(".")[1] in record.last_error


@pytest.mark.pg
@pytest.mark.parametrize("attempt", ["card.title", "card.column_id", "board.name"])
def test_an_update_veto_hook_that_sets_an_attribute_refuses_the_edit_and_changes_nothing(
    app, org, attempt
):
    with app.app_context():
        card_id = new_card(org, f"ubah {attempt}")
        before = stored(card_id)
        with pytest.raises(Vetoed):
            cards.update_card(get_user("staff", org), card_id, {"estimate": 3}, version=1)
        assert stored(card_id) == before


def test_every_attribute_refuses_assignment_and_deletion(app, org):
    with app.app_context():
        card = view_of(db.session.get(Card, new_card(org, "Surat")))
        for name in [a.name for a in CardView.attributes()] + ["anything_else", "_View__row"]:
            with pytest.raises(ReadOnlyError, match="read-only"):
                setattr(card, name, 1)
            with pytest.raises(AttributeError):
                delattr(card, name)
        assert card.title == "Surat"
        # Lists come back as tuples: nothing to append to.
        assert isinstance(card.labels, tuple)
        assert isinstance(card.board.columns, tuple)


# --- what hooks receive ------------------------------------------------------------------


def test_hooks_receive_views_and_batch_views_are_built_once_per_call(app, org, meddler):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = new_card(org, "Surat")
        moves.move_card(staff, card_id, org.doing)
        before, after = meddler.seen["before_move"], meddler.seen["moved"]
        assert isinstance(before["card"], CardView) and isinstance(after["card"], CardView)
        assert isinstance(before["target"], ColumnView) and isinstance(after["source"], ColumnView)
        assert isinstance(before["actor"], UserView) and isinstance(before["board"], BoardView)
        assert before["card"] == after["card"] and before["card"].id == card_id
        kasi = get_user("kasi", org)
        today = date.today()
        sprint = sprints.create_sprint(
            kasi,
            org.board_id,
            {"name": "S1", "goal": "Tuntas", "start": today.isoformat(), "end": today.isoformat()},
        )
        sprints.add_cards(kasi, sprint.id, [card_id])
        sprints.start_sprint(kasi, sprint.id)
        assert isinstance(meddler.seen["sprint"], SprintView)
        assert meddler.seen["sprint"].board.id == org.board_id
    meddler.batches.clear()
    with app.test_request_context():
        host = app.extensions["cergas_plugins"]
        host.card_badges([db.session.get(Card, card_id)], db.session.get(Board, org.board_id))
        host.nav_items(db.session.get(User, org.users["staff"]))
    first, second = meddler.batches
    assert first is second and isinstance(first, tuple) and isinstance(first[0], CardView)
    assert isinstance(meddler.seen["nav_user"], UserView)


# --- the documented attributes -----------------------------------------------------------


def escaped(text: str) -> str:
    return text.replace("|", "\\|")


def documented_rows(view) -> list[tuple[str, str, str]]:
    """(attribute, type, meaning) of the table under the view's heading in docs/plugins.md."""
    match = re.search(
        rf"^#### `{view.__name__}`\n(.*?)(?=^#|\Z)", DOCS, flags=re.MULTILINE | re.DOTALL
    )
    assert match, f"docs/plugins.md has no #### `{view.__name__}` section"
    rows = re.findall(r"^\| `(\w+)` \| `(.+?)` \| (.+) \|$", match.group(1), flags=re.MULTILINE)
    return [(name, type_.replace("\\|", "|"), meaning) for name, type_, meaning in rows]


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.__name__)
def test_the_docs_table_of_each_view_is_its_attributes(view):
    declared = [(a.name, a.type, a.__doc__) for a in view.attributes()]
    assert documented_rows(view) == declared
    assert all(meaning.strip() for _name, _type, meaning in declared)
    public = {name for name in dir(view) if not name.startswith("_")} - {"attributes"}
    assert public == {name for name, _type, _meaning in declared}
    for name, type_, meaning in declared:
        assert f"{name} ({type_}): {meaning}" in view.__doc__


SIMPLE = {"int": int, "str": str, "bool": bool, "float": float, "date": date}


def check_type(value, type_: str) -> None:
    """The value matches the documented type (`X | None`, `tuple[X, ...]`, a view)."""
    if type_.endswith(" | None"):
        if value is None:
            return
        type_ = type_.removesuffix(" | None")
    if type_.startswith("tuple["):
        assert isinstance(value, tuple)
        for item in value:
            check_type(item, type_[len("tuple[") : -len(", ...]")])
        return
    if type_ == "datetime":
        assert isinstance(value, datetime)
        return
    expected = {view.__name__: view for view in VIEWS}.get(type_) or SIMPLE[type_]
    assert isinstance(value, expected), (value, type_)


def test_every_documented_attribute_reads_on_real_records(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        staff_nip = org.nips["staff"]
        skills.seed_catalog()  # the skill label below is one of the catalogue's
        card_id = new_card(
            org,
            "Surat lengkap",
            description="Isi",
            assignee=staff_nip,
            labels=["skill:graphic-design"],
            estimate=2,
        )
        moves.move_card(get_user("staff", org), card_id, org.doing)
        today = date.today()
        sprint = sprints.create_sprint(
            kasi,
            org.board_id,
            {"name": "S1", "goal": "Tuntas", "start": today.isoformat(), "end": today.isoformat()},
        )
        team = teams.create_team(
            get_user("admin", org), "TIM-SPBE", "Tim SPBE", "SEKSI-APL", staff_nip
        )
        card = db.session.get(Card, card_id)
        rows = {
            CardView: card,
            ColumnView: db.session.get(BoardColumn, org.doing),
            BoardView: db.session.get(Board, org.board_id),
            UnitView: db.session.scalar(select(Unit).where(Unit.code == "SEKSI-APL")),
            UserView: get_user("staff", org),
            SprintView: db.session.get(Sprint, sprint.id),
            TeamView: db.session.get(Team, team.id),
        }
        assert set(rows) == set(VIEWS)
        for kind, row in rows.items():
            view = view_of(row)
            assert type(view) is kind
            for attribute in kind.attributes():
                value = getattr(view, attribute.name)
                check_type(value, attribute.type)
                plain = getattr(row, attribute.name, None)
                if not isinstance(value, (tuple, *VIEWS)) and value is not None:
                    assert value == plain or attribute.name in ("unit_id", "column_kind")
        view = view_of(card)
        assert view.unit_id == view.board.unit_id and view.column_kind == "active"
        assert view.labels == ("skill:graphic-design",) and view.assignee.login == staff_nip
        unit = view.board.unit
        assert [u.code for u in unit.parents] == ["BID-TIK", "DISKOMINFO"]
        assert unit.parent == unit.parents[0] and unit.parents[-1].parent is None
        assert [c.name for c in view.board.columns] == [
            "Backlog",
            "Dikerjakan",
            "Review",
            "Selesai",
        ]
        assert view_of(db.session.get(Team, team.id)).leader.login == staff_nip


# --- equality ----------------------------------------------------------------------------


def test_views_are_equal_and_hash_alike_by_kind_and_id(app, org):
    with app.app_context():
        card = db.session.get(Card, new_card(org, "Surat"))
        first, second = view_of(card), view_of(card)
        assert first == second and hash(first) == hash(second) and first is not second
        assert len({first, second, cards_by_ids([card.id])[card.id]}) == 1
        assert {first: "a"}[second] == "a"
        assert first != view_of(db.session.get(Card, new_card(org, "Lain")))
        # A view is not its row, and records of two kinds with one id are two records.
        assert first != card and card != first
        assert CardView(SimpleNamespace(id=7)) != BoardView(SimpleNamespace(id=7))
        assert CardView(SimpleNamespace(id=7)) == CardView(SimpleNamespace(id=7))


# --- helpers take views and answer with views --------------------------------------------


def test_helpers_answer_with_views_and_accept_them(app, org):
    with app.app_context():
        staff = view_of(get_user("staff", org))
        card_id = new_card(org, "Surat")
        card = cards_by_ids([card_id])[card_id]
        assert isinstance(card, CardView) and isinstance(card.assignee, type(None))
        assert isinstance(users_by_ids([staff.id])[staff.id], UserView)
        assert isinstance(find_unit("SEKSI-APL"), UnitView)
        assert all(isinstance(head, UserView) for head in unit_heads(["SEKSI-APL"])["SEKSI-APL"])
        kasi = view_of(get_user("kasi", org))
        assert can_manage_board(kasi, card.board) and not can_manage_board(staff, card.board)
        assert can_view_card(staff, card)
        with card_transaction(staff, card) as locked:
            assert isinstance(locked, CardView) and locked == card
            result = move_card_in_transaction(staff, locked, org.doing)
            assert isinstance(result.card, CardView)
        assert stored(card_id)[1] == org.doing
        sent = notify(staff, "Kartu dipindah", card=card, plugin=MEDDLER)
        assert (sent.user_id, sent.card_id) == (staff.id, card_id)
