"""Saved filters (issue 25): a person's named filters of a board, their shareable link, and the
API; nobody else sees, renames or deletes them."""

import pytest

from app.extensions import db
from app.models import SavedFilter
from app.services import saved_filters
from app.services.errors import Invalid, NotFound
from tests.conftest import get_user
from tests.i18n_helpers import t

HTMX = {"HX-Request": "true", "HX-Target": "saved-filters"}


def page(response) -> str:
    return response.get_data(as_text=True)


def test_the_query_keeps_only_the_known_filters_in_one_normal_form():
    assert (
        saved_filters.normal_query("?q=surat++masuk&mine=on&page=2&utm=x") == "mine=1&q=surat+masuk"
    )
    assert saved_filters.normal_query({"label": "ppid", "assignee": "abc"}) == "label=ppid"
    assert saved_filters.normal_query("overdue=maybe") == ""


def test_a_person_saves_lists_renames_and_deletes_their_filters(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        first = saved_filters.create_filter(
            staff, org.board_id, "PPID terlambat", "label=ppid&overdue=1"
        )
        second = saved_filters.create_filter(staff, org.board_id, "Punya saya", "mine=1")
        assert first.query == "label=ppid&overdue=1"
        assert [f.name for f in saved_filters.list_filters(staff, org.board_id)] == [
            "PPID terlambat",
            "Punya saya",
        ]
        saved_filters.rename_filter(staff, second.id, "Kartu saya")
        saved_filters.delete_filter(staff, first.id)
        assert [f.name for f in saved_filters.list_filters(staff, org.board_id)] == ["Kartu saya"]


@pytest.mark.parametrize(
    "name,query,field",
    [
        ("", "mine=1", "name"),
        ("x" * 81, "mine=1", "name"),
        ("Kosong", "page=3", "query"),
        ("Kosong", "", "query"),
    ],
)
def test_a_filter_needs_a_name_of_1_to_80_characters_and_a_known_filter(
    app, org, name, query, field
):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            saved_filters.create_filter(get_user("staff", org), org.board_id, name, query)
        assert field in refused.value.fields
        assert db.session.query(SavedFilter).count() == 0


def test_names_are_unique_per_person_and_board_but_others_may_use_them(app, org):
    with app.app_context():
        staff, staff2 = get_user("staff", org), get_user("staff2", org)
        saved_filters.create_filter(staff, org.board_id, "Mendesak", "label=urgent")
        with pytest.raises(Invalid) as refused:
            saved_filters.create_filter(staff, org.board_id, "mendesak", "mine=1")
        assert refused.value.code == "duplicate_name"
        other = saved_filters.create_filter(staff2, org.board_id, "Mendesak", "mine=1")
        assert other.user_id == staff2.id


def test_another_persons_filter_is_not_found_for_every_use(app, org):
    with app.app_context():
        mine = saved_filters.create_filter(get_user("staff", org), org.board_id, "Saya", "mine=1")
        for who in ("staff2", "kasi", "admin"):
            intruder = get_user(who, org)
            with pytest.raises(NotFound):
                saved_filters.rename_filter(intruder, mine.id, "Punya orang")
            with pytest.raises(NotFound):
                saved_filters.delete_filter(intruder, mine.id)
            assert saved_filters.list_filters(intruder, org.board_id) == []
        assert db.session.get(SavedFilter, mine.id).name == "Saya"


def test_a_filter_of_a_board_one_no_longer_sees_is_not_found(app, org):
    with app.app_context():
        outsider = get_user("outsider", org)
        with pytest.raises(NotFound):
            saved_filters.create_filter(outsider, org.board_id, "Intip", "mine=1")
        with pytest.raises(NotFound):
            saved_filters.list_filters(outsider, org.board_id)


# --- the board page ----------------------------------------------------------------------------


def test_saving_the_shown_filters_from_the_board_page_and_applying_them(app, client, auth, org):
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/filters",
        data={"name": "PPID", "query": "label=ppid&q=surat&junk=1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/boards/{org.board_id}?label=ppid&q=surat")
    board = page(client.get(f"/boards/{org.board_id}?label=ppid"))
    # The board page fetches the section (no query of its own); without JavaScript a link.
    assert f'hx-get="/boards/{org.board_id}/filters" hx-trigger="load"' in board
    assert f'<noscript><a href="/boards/{org.board_id}/filters?label=ppid">' in board
    for headers in ({"HX-Request": "true"}, {}):
        html = page(client.get(f"/boards/{org.board_id}/filters", headers=headers))
        assert f'href="/boards/{org.board_id}?label=ppid&amp;q=surat">PPID</a>' in html
        assert "js-copy-link" in html
        assert f"http://localhost/boards/{org.board_id}?label=ppid&amp;q=surat" in html


def test_htmx_save_with_a_taken_name_shows_the_error_next_to_the_field(app, client, auth, org):
    with app.app_context():
        saved_filters.create_filter(get_user("staff", org), org.board_id, "PPID", "label=ppid")
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/filters",
        data={"name": "PPID", "query": "mine=1"},
        headers=HTMX,
    )
    html = page(response)
    assert response.status_code == 422
    assert 'id="save-filter-name-error"' in html and 'aria-invalid="true"' in html
    no_js = client.post(f"/boards/{org.board_id}/filters", data={"name": "", "query": "mine=1"})
    assert no_js.status_code == 422 and 'id="save-filter-name-error"' in page(no_js)


def test_renaming_or_deleting_someone_elses_filter_from_the_page_is_404(app, client, auth, org):
    with app.app_context():
        mine = saved_filters.create_filter(get_user("staff", org), org.board_id, "Saya", "mine=1")
        mine_id = mine.id
    auth.login(org.nips["staff2"])
    base = f"/boards/{org.board_id}/filters/{mine_id}"
    assert client.post(f"{base}/rename", data={"name": "Curian"}).status_code == 404
    assert client.post(f"{base}/delete").status_code == 404
    with app.app_context():
        assert db.session.get(SavedFilter, mine_id).name == "Saya"


def test_a_shared_link_shows_anyone_who_sees_the_board_the_same_filtered_cards(
    app, client, auth, org
):
    from app.services import cards

    with app.app_context():
        admin = get_user("admin", org)
        cards.create_card(admin, org.board_id, {"title": "Surat PPID", "labels": ["ppid"]})
        cards.create_card(admin, org.board_id, {"title": "Rapat koordinasi"})
        saved = saved_filters.create_filter(
            get_user("staff", org), org.board_id, "PPID", "label=ppid"
        )
        link = f"/boards/{org.board_id}?{saved.query}"
    auth.login(org.nips["kasi"])
    html = page(client.get(link))
    assert "Surat PPID" in html and "Rapat koordinasi" not in html


def test_a_link_with_filters_the_board_does_not_know_shows_a_notice_never_an_error(
    client, auth, org
):
    auth.login(org.nips["staff"])
    for query in ("assignee=999999&label=ppid", "colour=red", "assignee=%D9%A3", "q=" + "x" * 500):
        response = client.get(f"/boards/{org.board_id}?{query}")
        assert response.status_code == 200
    html = page(client.get(f"/boards/{org.board_id}?colour=red"))
    assert (
        t(
            "Some filters in this link are not known on this board and were left out; "
            "the board shows the cards of the other filters."
        )
        in html
    )
    plain = page(client.get(f"/boards/{org.board_id}?label=ppid"))
    assert "alert-warning" not in plain


# --- API ---------------------------------------------------------------------------------------


def test_api_saved_filters_are_each_persons_own(app, api, org):
    created = api("staff").post(
        f"/api/v1/boards/{org.board_id}/filters", json={"name": "PPID", "query": "label=ppid"}
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["query"] == "label=ppid"
    assert body["url"] == f"/boards/{org.board_id}?label=ppid"
    filter_id = body["id"]

    listed = api("staff").get(f"/api/v1/boards/{org.board_id}/filters").get_json()
    assert [f["id"] for f in listed["filters"]] == [filter_id]
    assert api("staff2").get(f"/api/v1/boards/{org.board_id}/filters").get_json() == {"filters": []}
    assert (
        api("staff2").patch(f"/api/v1/filters/{filter_id}", json={"name": "x"}).status_code == 404
    )
    assert api("kasi").delete(f"/api/v1/filters/{filter_id}").status_code == 404

    renamed = api("staff").patch(f"/api/v1/filters/{filter_id}", json={"name": "Permohonan PPID"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Permohonan PPID"
    assert api("staff").delete(f"/api/v1/filters/{filter_id}").get_json() == {
        "id": filter_id,
        "deleted": True,
    }


def test_api_refuses_a_bad_filter_with_the_field_named(api, org):
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/filters", json={"name": "Kosong", "query": "page=2"}
    )
    assert response.status_code == 422
    assert "query" in response.get_json()["error"]["fields"]


def test_renaming_and_deleting_ones_own_filter_from_the_page(app, client, auth, org):
    with app.app_context():
        mine = saved_filters.create_filter(get_user("staff", org), org.board_id, "Saya", "mine=1")
        mine_id = mine.id
    auth.login(org.nips["staff"])
    base = f"/boards/{org.board_id}/filters/{mine_id}"
    renamed = client.post(f"{base}/rename", data={"name": "Kartu saya"}, headers=HTMX)
    assert renamed.status_code == 200
    assert t("Filter renamed to “%(name)s”.", name="Kartu saya") in page(renamed)
    # The same filter named through another board's address is not found.
    assert client.post(f"/boards/{org.board_id + 1}/filters/{mine_id}/delete").status_code == 404
    deleted = client.post(f"{base}/delete", data={"query": "label=ppid&junk=1"})
    assert deleted.status_code == 302
    assert deleted.headers["Location"].endswith(f"/boards/{org.board_id}?label=ppid")
    with app.app_context():
        assert db.session.get(SavedFilter, mine_id) is None
