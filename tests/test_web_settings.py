"""Creating boards and configuring their columns from the settings page."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Board, BoardColumn, Event
from app.services import cards
from tests.conftest import get_user
from tests.i18n_helpers import t


def page(response) -> str:
    return response.get_data(as_text=True)


def columns(app, board_id) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            select(BoardColumn)
            .where(BoardColumn.board_id == board_id)
            .order_by(BoardColumn.position)
        )
        return [(c.name, c.wip_limit, c.wip_policy, c.kind) for c in rows]


def column_form(name, wip_limit="", wip_policy="hard", kind="active") -> dict:
    return {"name": name, "wip_limit": wip_limit, "wip_policy": wip_policy, "kind": kind}


@pytest.mark.parametrize("who, status", [("staff", 403), ("staff2", 403), ("outsider", 404)])
def test_settings_are_for_heads_only(client, auth, org, who, status):
    auth.login(org.nips[who])
    base = f"/boards/{org.board_id}"
    assert client.get(f"{base}/settings").status_code == status
    posts = [
        (f"{base}/settings", {"name": "Diambil alih", "personal_wip_limit": ""}),
        (f"{base}/columns", column_form("Baru")),
        (f"{base}/columns/{org.review}", column_form("Diubah")),
        (f"{base}/columns/{org.review}/move", {"direction": "left"}),
        (f"{base}/columns/{org.review}/delete", {}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == status, url


def test_members_do_not_see_the_settings_link_but_heads_do(client, auth, org):
    auth.login(org.nips["staff"])
    assert "/settings" not in page(client.get(f"/boards/{org.board_id}"))
    auth.logout()
    auth.login(org.nips["kabid"])  # head of the parent unit
    assert f'href="/boards/{org.board_id}/settings"' in page(client.get(f"/boards/{org.board_id}"))
    assert client.get(f"/boards/{org.board_id}/settings").status_code == 200


def test_head_renames_the_board_and_sets_the_personal_limit(app, client, auth, org):
    auth.login(org.nips["kasi"])
    url = f"/boards/{org.board_id}/settings"
    response = client.post(url, data={"name": "Layanan Aplikasi 2026", "personal_wip_limit": "2"})
    assert response.status_code == 302 and response.headers["Location"] == url
    assert t("Board saved.") in page(client.get(url))
    with app.app_context():
        board = db.session.get(Board, org.board_id)
        assert (board.name, board.personal_wip_limit) == ("Layanan Aplikasi 2026", 2)
    client.post(url, data={"name": "Layanan Aplikasi 2026", "personal_wip_limit": ""})
    with app.app_context():
        assert db.session.get(Board, org.board_id).personal_wip_limit is None


def test_bad_board_values_are_shown_next_to_the_fields(app, client, auth, org):
    auth.login(org.nips["kasi"])
    response = client.post(
        f"/boards/{org.board_id}/settings", data={"name": "", "personal_wip_limit": "-1"}
    )
    html = page(response)
    assert response.status_code == 422
    required = t("This field is required.")
    assert f'<p class="field-error" id="board-name-error">{required}</p>' in html
    between = t("Must be between %(lo)d and %(hi)d.", lo=1, hi=999)
    assert f'<p class="field-error" id="board-personal-wip-error">{between}</p>' in html
    with app.app_context():
        assert db.session.get(Board, org.board_id).name == "Layanan Aplikasi"


def test_head_changes_a_column(app, client, auth, org):
    auth.login(org.nips["kasi"])
    url = f"/boards/{org.board_id}/columns/{org.review}"
    response = client.post(url, data=column_form("Pemeriksaan", "4", "hard", "active"))
    assert response.status_code == 302
    assert columns(app, org.board_id)[2] == ("Pemeriksaan", 4, "hard", "active")
    client.post(url, data=column_form("Pemeriksaan", "", "soft", "active"))  # empty = no limit
    assert columns(app, org.board_id)[2] == ("Pemeriksaan", None, "soft", "active")
    with app.app_context():
        assert db.session.scalar(select(Event.kind).where(Event.kind == "column_updated").limit(1))


def test_bad_column_values_are_shown_next_to_the_fields(app, client, auth, org):
    auth.login(org.nips["kasi"])
    response = client.post(
        f"/boards/{org.board_id}/columns/{org.review}",
        data=column_form("", "nol", "keras", "selesai"),
    )
    html = page(response)
    assert response.status_code == 422
    prefix = f"col-{org.review}"
    for field in ("name", "wip", "policy", "kind"):
        assert f'id="{prefix}-{field}-error"' in html, field
    assert 'value="nol"' in html  # what was typed stays in the form
    assert columns(app, org.board_id)[2] == ("Review", 2, "soft", "active")


def test_column_with_undated_cards_cannot_become_active(app, client, auth, org):
    with app.app_context():
        cards.create_card(get_user("staff", org), org.board_id, {"title": "Tanpa tenggat"})
    auth.login(org.nips["kasi"])
    response = client.post(
        f"/boards/{org.board_id}/columns/{org.backlog}", data=column_form("Backlog", kind="active")
    )
    assert response.status_code == 422
    assert t("%(n)d cards in this column have no due date; give them one first.", n=1) in page(
        response
    )
    assert columns(app, org.board_id)[0][3] == "backlog"


def test_columns_move_left_and_right(app, client, auth, org):
    auth.login(org.nips["kasi"])
    base = f"/boards/{org.board_id}/columns"
    assert client.post(f"{base}/{org.review}/move", data={"direction": "left"}).status_code == 302
    assert [c[0] for c in columns(app, org.board_id)] == [
        "Backlog",
        "Review",
        "Dikerjakan",
        "Selesai",
    ]
    client.post(f"{base}/{org.backlog}/move", data={"direction": "right"})
    assert [c[0] for c in columns(app, org.board_id)] == [
        "Review",
        "Backlog",
        "Dikerjakan",
        "Selesai",
    ]
    client.post(f"{base}/{org.review}/move", data={"direction": "left"})  # already first
    assert [c[0] for c in columns(app, org.board_id)][0] == "Review"
    assert client.post(f"{base}/{org.review}/move", data={"direction": "up"}).status_code == 422
    assert client.post(f"{base}/999999/move", data={"direction": "left"}).status_code == 422


def test_empty_column_is_deleted_and_a_full_one_is_not(app, client, auth, org):
    with app.app_context():
        cards.create_card(get_user("staff", org), org.board_id, {"title": "Masih ada"})
    auth.login(org.nips["kasi"])
    base = f"/boards/{org.board_id}/columns"
    html = page(client.get(f"/boards/{org.board_id}/settings"))
    assert (
        f'action="{base}/{org.backlog}/delete"' not in html
    )  # not offered for a column with cards
    assert f'action="{base}/{org.review}/delete"' in html
    response = client.post(f"{base}/{org.backlog}/delete")
    assert response.status_code == 409
    assert t("Move the cards out of column %(c)s first.", c="Backlog") in page(response)
    assert client.post(f"{base}/{org.review}/delete").status_code == 302
    assert [c[0] for c in columns(app, org.board_id)] == ["Backlog", "Dikerjakan", "Selesai"]


def test_head_adds_a_column(app, client, auth, org):
    auth.login(org.nips["kasi"])
    url = f"/boards/{org.board_id}/columns"
    response = client.post(url, data=column_form("Menunggu paraf", "2", "soft", "active"))
    assert response.status_code == 302
    assert columns(app, org.board_id)[-1] == ("Menunggu paraf", 2, "soft", "active")
    response = client.post(url, data=column_form("", "x"))
    assert response.status_code == 422
    assert 'id="new-name-error"' in page(response) and 'id="new-wip-error"' in page(response)


def test_head_creates_a_board_with_default_columns(app, client, auth, org):
    auth.login(org.nips["kasi"])
    html = page(client.get("/boards"))
    assert "Layanan Aplikasi" in html and 'name="owner"' in html
    assert re.search(r'<option value="unit:SEKSI-APL"', html) and 'value="unit:BID-IKP"' not in html
    response = client.post(
        "/boards",
        data={"name": "Pengaduan Layanan", "unit": "SEKSI-APL", "personal_wip_limit": "3"},
    )
    assert response.status_code == 302
    with app.app_context():
        board = db.session.scalar(select(Board).where(Board.name == "Pengaduan Layanan"))
        assert board.personal_wip_limit == 3
    assert response.headers["Location"] == f"/boards/{board.id}"
    assert [c[3] for c in columns(app, board.id)] == ["backlog", "active", "active", "done"]


def test_bad_new_board_is_shown_next_to_the_fields(client, auth, org):
    auth.login(org.nips["kasi"])
    response = client.post(
        "/boards", data={"name": "", "unit": "SEKSI-APL", "personal_wip_limit": "0"}
    )
    assert response.status_code == 422
    assert 'id="board-name-error"' in page(response)


def test_members_get_no_board_form_and_cannot_create_boards(app, client, auth, org):
    auth.login(org.nips["staff"])
    assert 'name="owner"' not in page(client.get("/boards"))
    response = client.post("/boards", data={"name": "Papan saya", "unit": "SEKSI-APL"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Board).where(Board.name == "Papan saya")) is None
