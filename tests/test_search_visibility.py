"""Search never shows a card of a board the person may not see (issue 25): not in the results,
not in the total, not through a board or unit filter, on the page and in the API. The people are
the permission fixtures' (tests/conftest.py `org`): staff and kasi in Seksi Aplikasi, kabid
heading Bidang TIK above it, kadis heading the Dinas, an outsider in Bidang IKP, the admin."""

import pytest

from app.models import Board, Unit
from app.services import boards, cards
from tests.conftest import get_user

pytestmark = pytest.mark.pg

WORD = "kerahasiaan"


@pytest.fixture
def world(app, org):
    """The same word on a card of Seksi Aplikasi's board and on one of Bidang IKP's board."""
    with app.app_context():
        admin = get_user("admin", org)
        ikp = boards.create_board(admin, "Humas", "BID-IKP")
        apl_card = cards.create_card(admin, org.board_id, {"title": f"Nota {WORD} data"}).card
        ikp_card = cards.create_card(admin, ikp.id, {"title": f"Siaran {WORD} pers"}).card
        unit_ikp = ikp.unit_id
        return {"apl": apl_card.id, "ikp": ikp_card.id, "ikp_board": ikp.id, "ikp_unit": unit_ikp}


SEES = {
    "staff": {"apl"},
    "kasi": {"apl"},
    "kabid": {"apl"},
    "kadis": {"apl", "ikp"},
    "outsider": {"ikp"},
    "admin": {"apl", "ikp"},
}


@pytest.mark.parametrize("person", sorted(SEES))
def test_each_person_finds_only_cards_of_boards_they_see(app, org, world, person):
    from app.services import search

    with app.app_context():
        page = search.search(get_user(person, org), WORD)
        assert {result.card.id for result in page.results} == {world[k] for k in SEES[person]}
        assert page.total == len(SEES[person])


def test_a_filter_naming_a_hidden_board_or_unit_finds_nothing(app, org, world):
    from app.services import search

    with app.app_context():
        staff = get_user("staff", org)
        by_board = search.search(staff, WORD, boards=[world["ikp_board"]])
        by_unit = search.search(staff, WORD, units=[world["ikp_unit"]])
        assert (by_board.total, by_board.results) == (0, [])
        assert (by_unit.total, by_unit.results) == (0, [])


@pytest.mark.parametrize("person", ["staff", "outsider", "kadis"])
def test_the_api_answers_only_visible_cards_and_counts_only_them(api, org, world, person):
    answer = api(person).get(f"/api/v1/search?q={WORD}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert {hit["id"] for hit in body["results"]} == {world[k] for k in SEES[person]}
    assert body["total"] == len(SEES[person])
    hidden = api(person).get(f"/api/v1/search?q={WORD}&board={world['ikp_board']}").get_json()
    assert hidden["total"] == (1 if "ikp" in SEES[person] else 0)


@pytest.mark.parametrize("person", ["staff", "outsider"])
def test_the_page_shows_only_visible_cards(client, auth, org, world, person):
    auth.login(org.nips[person])
    page = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert (f"/cards/{world['apl']}" in page) == ("apl" in SEES[person])
    assert (f"/cards/{world['ikp']}" in page) == ("ikp" in SEES[person])
    assert "1 kartu ditemukan" in page


def test_the_pickers_offer_only_what_the_person_sees(app, client, auth, org, world):
    auth.login(org.nips["staff"])
    page = client.get("/search").get_data(as_text=True)
    with app.app_context():
        from app.extensions import db

        hidden_board = db.session.get(Board, world["ikp_board"]).name
        hidden_unit = db.session.get(Unit, world["ikp_unit"]).name
    assert "Layanan Aplikasi" in page
    assert hidden_board not in page and hidden_unit not in page


def test_the_api_refuses_bad_parameters_with_422(api, org, world):
    answer = api("staff").get("/api/v1/search?q=x&status=lost&due_from=kemarin&board=abc&page=0")
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]
    assert set(fields) == {"status", "due_from", "board", "page"}


def test_the_api_answer_carries_where_the_card_is_and_its_highlight(api, org, world):
    [hit] = api("staff").get(f"/api/v1/search?q={WORD}").get_json()["results"]
    assert hit["board"]["name"] == "Layanan Aplikasi"
    assert hit["unit"]["name"] == "Seksi Aplikasi"
    assert hit["column"] == {"id": org.backlog, "name": "Backlog", "kind": "backlog"}
    assert hit["archived"] is False and hit["archived_at"] is None
    assert hit["title_html"] == f"Nota <mark>{WORD}</mark> data"
    assert hit["url"] == f"/cards/{world['apl']}"


def test_the_page_marks_a_bad_field_and_changes_nothing(client, auth, org, world):
    auth.login(org.nips["staff"])
    response = client.get(f"/search?q={WORD}&due_from=kemarin")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="search-due-from-error"' in page
    assert f"/cards/{world['apl']}" not in page


def test_the_page_says_plainly_when_nothing_matches(client, auth, org, world):
    auth.login(org.nips["staff"])
    empty = client.get("/search").get_data(as_text=True)
    none = client.get("/search?q=zzzzqqq").get_data(as_text=True)
    assert "Ketik satu kata atau lebih" in empty
    assert "Tidak ada kartu yang cocok" in none


def test_the_header_has_a_search_box_for_people_signed_in(client, auth, org):
    assert 'id="header-search-q"' not in client.get("/login").get_data(as_text=True)
    auth.login(org.nips["staff"])
    assert 'id="header-search-q"' in client.get("/").get_data(as_text=True)


def test_the_api_refuses_a_query_too_long_or_dates_in_the_wrong_order(api, org, world):
    too_long = api("staff").get("/api/v1/search?q=" + "0" * 201)
    backwards = api("staff").get("/api/v1/search?q=x&due_from=2026-12-10&due_to=2026-12-01")
    assert too_long.status_code == 422 and "q" in too_long.get_json()["error"]["fields"]
    assert backwards.status_code == 422 and "due_to" in backwards.get_json()["error"]["fields"]
