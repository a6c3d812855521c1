"""The nomor-surat plugin, tested with Cergas' test kit fixtures only (no conftest.py needed)."""

import cergas_nomor_surat
import pytest

PLUGIN = "nomor-surat"


@pytest.fixture
def cergas_plugins():
    return {PLUGIN: cergas_nomor_surat}


@pytest.fixture
def office(cergas_make):
    """Sekretariat Daerah with its head, a clerk and a board for outgoing letters."""
    unit = cergas_make.unit("SETDA", "Sekretariat Daerah")
    head = cergas_make.user("Siti Rahmawati", role="head", unit=unit)
    clerk = cergas_make.user("Agus Pratama", unit=unit)
    board = cergas_make.board(unit, ["Draf", "Diproses", "Selesai"], name="Surat Keluar")
    return unit, head, clerk, board


def move(api, card, column_id):
    return api.post(f"/api/v1/cards/{card.id}/move", json={"column_id": column_id})


def test_letter_without_number_cannot_reach_done(cergas_make, cergas_api, office):
    _unit, _head, clerk, board = office
    card = cergas_make.card(board, "Undangan rapat koordinasi", "Diproses", type="surat-keluar")

    response = move(cergas_api(clerk), card, board.column("Selesai"))

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "vetoed"
    assert error["vetoes"] == [
        {
            "plugin": PLUGIN,
            "message": "Surat keluar belum bernomor: tambahkan label 'No. …' "
            "(misalnya 'No. 800/123/2026') sebelum Selesai.",
        }
    ]
    # The card did not move.
    card_json = cergas_api(clerk).get(f"/api/v1/cards/{card.id}").get_json()
    assert card_json["column_id"] == board.column("Diproses")


def test_numbered_letter_reaches_done(cergas_make, cergas_api, office):
    _unit, _head, clerk, board = office
    card = cergas_make.card(
        board, "Surat edaran", "Diproses", type="surat-keluar", labels=["No. 800/123/2026"]
    )

    response = move(cergas_api(clerk), card, board.column("Selesai"))

    assert response.status_code == 200
    assert response.get_json()["column_id"] == board.column("Selesai")


def test_other_card_types_and_other_columns_are_not_checked(cergas_make, cergas_api, office):
    _unit, _head, clerk, board = office
    task = cergas_make.card(board, "Rapat internal", "Diproses", type="tugas")
    letter = cergas_make.card(board, "Surat undangan", "Draf", type="surat-keluar")

    assert move(cergas_api(clerk), task, board.column("Selesai")).status_code == 200
    assert move(cergas_api(clerk), letter, board.column("Diproses")).status_code == 200


def test_browser_move_form_shows_the_refusal(cergas_make, cergas_client, cergas_login, office):
    _unit, _head, clerk, board = office
    card = cergas_make.card(board, "Undangan rapat", "Diproses", type="surat-keluar")
    cergas_login(cergas_client, clerk)

    response = cergas_client.post(
        f"/cards/{card.id}/move", data={"column_id": board.column("Selesai")}
    )

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page
    assert "Surat keluar belum bernomor" in page
    assert PLUGIN in page


def test_dragged_card_snaps_back_with_the_reason(cergas_make, cergas_client, cergas_login, office):
    _unit, _head, clerk, board = office
    card = cergas_make.card(board, "Undangan rapat", "Diproses", type="surat-keluar")
    cergas_login(cergas_client, clerk)

    response = cergas_client.post(
        f"/cards/{card.id}/move",
        data={"column_id": board.column("Selesai"), "position": "0"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    assert f"{PLUGIN}: Surat keluar belum bernomor" in response.get_data(as_text=True)


def test_board_page_shows_the_badges(cergas_make, cergas_client, cergas_login, office):
    _unit, _head, clerk, board = office
    cergas_make.card(board, "Surat tanpa nomor", "Diproses", type="surat-keluar")
    cergas_make.card(
        board, "Surat bernomor", "Diproses", type="surat-keluar", labels=["No. 005/17"]
    )
    cergas_make.card(board, "Tugas biasa", type="tugas")
    cergas_login(cergas_client, clerk)

    page = cergas_client.get(f"/boards/{board.id}").get_data(as_text=True)

    # One letter without a number, one with: the plain task gets no badge.
    assert page.count("Belum bernomor") == 1
    assert "No. 005/17" in page
    assert "Nomor surat" in page  # the numbered letter's badge, explained on hover


def test_card_types_setting_changes_which_cards_are_checked(cergas_make, cergas_api, office):
    _unit, head, clerk, board = office
    url = f"/api/v1/boards/{board.id}/plugins/{PLUGIN}/settings"
    note = cergas_make.card(board, "Nota dinas", "Diproses", type="nota-dinas")
    letter = cergas_make.card(board, "Surat keluar", "Diproses", type="surat-keluar")

    saved = cergas_api(head).put(url, json={"settings": {"card_types": ["nota-dinas"]}})

    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert cergas_api(head).get(url).get_json() == {
        "plugin": PLUGIN,
        "enabled": True,
        "settings": {"card_types": ["nota-dinas"], "require_in_done": True},
    }
    assert move(cergas_api(clerk), note, board.column("Selesai")).status_code == 409
    assert move(cergas_api(clerk), letter, board.column("Selesai")).status_code == 200


def test_require_in_done_off_lets_letters_through(cergas_make, cergas_api, office):
    _unit, head, clerk, board = office
    url = f"/api/v1/boards/{board.id}/plugins/{PLUGIN}/settings"
    letter = cergas_make.card(board, "Surat keluar", "Diproses", type="surat-keluar")

    assert (
        cergas_api(head).put(url, json={"settings": {"require_in_done": False}}).status_code == 200
    )

    assert move(cergas_api(clerk), letter, board.column("Selesai")).status_code == 200


def test_settings_refuse_wrong_types(cergas_make, cergas_api, office):
    _unit, head, _clerk, board = office
    url = f"/api/v1/boards/{board.id}/plugins/{PLUGIN}/settings"

    response = cergas_api(head).put(
        url, json={"settings": {"card_types": "surat-keluar", "colour": "red"}}
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "settings.card_types",
        "settings.colour",
    }


def test_plugin_switched_off_on_a_board_checks_nothing(cergas_make, cergas_api, office):
    _unit, _head, clerk, board = office
    cergas_make.plugin_settings(board, PLUGIN, enabled=False)
    letter = cergas_make.card(board, "Surat keluar", "Diproses", type="surat-keluar")

    assert move(cergas_api(clerk), letter, board.column("Selesai")).status_code == 200


@pytest.mark.parametrize(
    ("label", "number"),
    [
        ("No. 800/123/2026", "800/123/2026"),
        ("Nomor: 005/17/Setda", "005/17/Setda"),
        ("no:12/2026", "12/2026"),
        ("No. urut", None),
        ("Notulen 3", None),
    ],
)
def test_letter_number_is_read_from_labels(label, number):
    class Card:
        labels = ["penting", label]

    assert cergas_nomor_surat.letter_number(Card()) == number
