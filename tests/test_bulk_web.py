"""Bulk actions on the board page (select bar, htmx), on the bulk page without JavaScript, and
through POST /api/v1/boards/<id>/cards/bulk (issue 25)."""

import pytest

from app.services import cards
from tests.conftest import get_card, get_user

HTMX = {"HX-Request": "true", "HX-Target": "alerts", "HX-Current-URL": "http://localhost/"}
DUE = "2026-12-31"


def new_card(org, title, column=None):
    data = {"title": title, "due_date": DUE}
    admin = get_user("admin", org)
    return cards.create_card(admin, org.board_id, data, column_id=column or org.backlog).card.id


@pytest.fixture
def wip_world(app, org):
    """One card in Dikerjakan (hard limit 3) and three in the backlog: room for two."""
    with app.app_context():
        new_card(org, "Sudah dikerjakan", org.doing)
        return [new_card(org, f"Surat balasan {n}") for n in range(3)]


def page(response) -> str:
    return response.get_data(as_text=True)


def test_board_page_offers_select_mode_and_the_bulk_bar(client, auth, org):
    auth.login(org.nips["staff"])
    html = page(client.get(f"/boards/{org.board_id}"))
    assert f'href="/boards/{org.board_id}/bulk" data-bulk-toggle' in html
    assert 'id="bulk-form"' in html and "bulk.js" in html
    assert f'hx-get="/boards/{org.board_id}/bulk/actions"' in html
    pickers = page(client.get(f"/boards/{org.board_id}/bulk/actions"))
    assert 'name="action" value="move"' in pickers and 'name="column_id"' in pickers


def test_htmx_bulk_move_moves_two_refuses_the_third_and_names_it_with_the_reason(
    app, client, auth, org, wip_world
):
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/bulk",
        data={"action": "move", "card_ids": wip_world, "column_id": org.doing},
        headers=HTMX,
    )
    html = page(response)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "cergas-bulk-done"
    assert "alert-warning" in html and "Surat balasan 2" in html  # the refused card, by title
    assert f'id="column-{org.doing}"' in html and 'hx-swap-oob="true"' in html
    with app.app_context():
        columns = [get_card(card_id).column_id for card_id in wip_world]
    assert columns == [org.doing, org.doing, org.backlog]


def test_bulk_page_without_javascript_lists_cards_and_answers_with_the_summary(
    app, client, auth, org, wip_world
):
    auth.login(org.nips["staff"])
    listing = page(client.get(f"/boards/{org.board_id}/bulk"))
    for card_id in wip_world:
        assert f'name="card_ids" value="{card_id}"' in listing
    response = client.post(
        f"/boards/{org.board_id}/bulk",
        data={"action": "move", "card_ids": wip_world, "column_id": org.doing},
    )
    html = page(response)
    assert response.status_code == 200
    assert "Surat balasan 2" in html and f'href="/cards/{wip_world[2]}"' in html


def test_empty_selection_is_refused_whole_with_a_message_and_changes_nothing(
    app, client, auth, org, wip_world
):
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/bulk",
        data={"action": "move", "column_id": org.doing},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "alert-error" in page(response)
    no_js = client.post(f"/boards/{org.board_id}/bulk", data={"action": "label"})
    assert no_js.status_code == 422 and 'class="field-error"' in page(no_js)
    with app.app_context():
        assert {get_card(card_id).column_id for card_id in wip_world} == {org.backlog}


def test_bulk_page_of_a_board_one_may_not_see_is_404(client, auth, org):
    auth.login(org.nips["outsider"])
    assert client.get(f"/boards/{org.board_id}/bulk").status_code == 404
    response = client.post(
        f"/boards/{org.board_id}/bulk", data={"action": "move", "column_id": org.doing}
    )
    assert response.status_code == 404


# --- API ---------------------------------------------------------------------------------------


def test_api_bulk_move_answers_per_card(app, api, org, wip_world):
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/cards/bulk",
        json={"action": "move", "card_ids": [*wip_world, 999_999], "column_id": org.doing},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["done"] == 2 and body["refused"] == 2
    statuses = {r["card_id"]: r["status"] for r in body["results"]}
    assert statuses == {
        wip_world[0]: "done",
        wip_world[1]: "done",
        wip_world[2]: "refused",
        999_999: "refused",
    }
    refused = {r["card_id"]: r["error"]["code"] for r in body["results"] if "error" in r}
    assert refused == {wip_world[2]: "wip_limit_reached", 999_999: "not_found"}


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"action": "move", "card_ids": []}, 422, "empty_selection"),
        (
            {"action": "move", "card_ids": list(range(1, 202)), "column_id": 1},
            422,
            "too_many_cards",
        ),
        ({"action": "shred", "card_ids": [1]}, 422, "unknown_action"),
        ({"action": "move", "card_ids": "1"}, 422, "validation_error"),
        ({"action": "move", "card_ids": [1], "colour": "red"}, 422, "validation_error"),
    ],
)
def test_api_bulk_refuses_a_bad_request_whole(api, org, body, status, code):
    response = api("staff").post(f"/api/v1/boards/{org.board_id}/cards/bulk", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_api_bulk_on_a_board_one_may_not_see_is_404(api, org):
    response = api("outsider").post(
        f"/api/v1/boards/{org.board_id}/cards/bulk",
        json={"action": "move", "card_ids": [1], "column_id": org.doing},
    )
    assert response.status_code == 404
