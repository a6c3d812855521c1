"""The test kit (cergas.testing) that plugin authors get through the `pytest11` entry point."""

from importlib.metadata import entry_points

import pytest

from cergas.plugin import Badge, Veto, hookimpl

# `pip install -e .` registers the kit through its pytest11 entry point. In a checkout that was
# never installed, this module asks for it itself; asking twice would register it twice.
KIT_INSTALLED = any(ep.value == "cergas.testing" for ep in entry_points(group="pytest11"))
pytest_plugins = ["pytester"] if KIT_INSTALLED else ["pytester", "cergas.testing"]


class Stamp:
    """Refuses every move into a done column and marks every card."""

    @hookimpl
    def cergas_card_before_move(self, target):
        if target.kind == "done":
            return Veto("Belum diparaf.")
        return None

    @hookimpl
    def cergas_card_badges(self, cards):
        return {card.id: [Badge("Stempel", "success")] for card in cards}


@pytest.fixture
def cergas_plugins():
    return {"stempel": Stamp()}


def test_pytest11_entry_point_names_the_kit():
    import configparser
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    assert config["options.entry_points"]["pytest11"].split() == ["cergas", "=", "cergas.testing"]


def test_app_has_an_empty_database_and_only_the_chosen_plugins(cergas_app):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Board, User

    host = cergas_app.extensions["cergas_plugins"]
    assert host.loaded() == ["stempel"]
    assert cergas_app.config["WTF_CSRF_ENABLED"] is False
    with cergas_app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(Board.id))) == 0


def test_each_test_gets_a_fresh_database(cergas_app, cergas_make):
    # The same unit code in every test: nothing is left over from another test.
    assert cergas_make.unit("SETDA").code == "SETDA"


def test_factories_build_an_office(cergas_make):
    dinas = cergas_make.unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
    seksi = cergas_make.unit("SEKSI-APL", "Seksi Aplikasi", parent=dinas)
    head = cergas_make.user("Siti Rahmawati", role="head", unit=seksi)
    staff = cergas_make.user("Agus Pratama", unit=seksi, nip="199001012015011004")
    twin = cergas_make.user("Siti Rahmawati", unit=seksi)
    board = cergas_make.board(seksi, ["Backlog", "Dikerjakan", "Selesai"], name="Layanan")
    card = cergas_make.card(
        board, "Perbaiki formulir", "Dikerjakan", assignee=staff, labels=["penting"]
    )

    assert (head.login, staff.login, twin.login) == (
        "siti-rahmawati",
        "199001012015011004",
        "siti-rahmawati-2",
    )
    assert head.password == cergas_make.password
    assert list(board.columns) == ["Backlog", "Dikerjakan", "Selesai"]
    assert card.column_id == board.column("Dikerjakan")
    assert (card.board_id, card.version) == (board.id, 1)


def test_board_columns_get_kinds_by_position(cergas_app, cergas_make):
    from app.extensions import db
    from app.models import BoardColumn

    board = cergas_make.board(cergas_make.unit("SETDA"), ["Draf", "Paraf", "Tanda tangan", "Kirim"])
    with cergas_app.app_context():
        kinds = [db.session.get(BoardColumn, i).kind for i in board.columns.values()]
    assert kinds == ["backlog", "active", "active", "done"]


def test_factories_keep_the_core_rules(cergas_make):
    from app.services.errors import Invalid

    board = cergas_make.board(cergas_make.unit("SETDA"), ["Draf", "Proses", "Selesai"])
    with pytest.raises(Invalid):
        cergas_make.card(board, "Tanpa tenggat", "Proses", due_date=None)
    with pytest.raises(KeyError, match="no column 'Arsip'"):
        cergas_make.card(board, "Salah kolom", "Arsip")


def test_login_signs_the_client_in(cergas_make, cergas_client, cergas_login):
    unit = cergas_make.unit("SETDA")
    user = cergas_make.user("Agus Pratama", unit=unit)
    board = cergas_make.board(unit, ["Draf", "Proses", "Selesai"])
    cergas_make.card(board, "Nota dinas")

    assert cergas_client.get(f"/boards/{board.id}").status_code == 302
    cergas_login(cergas_client, user)
    page = cergas_client.get(f"/boards/{board.id}")

    assert page.status_code == 200
    assert "Stempel" in page.get_data(as_text=True)


def test_login_with_a_wrong_password_fails_loudly(cergas_make, cergas_client, cergas_login):
    from dataclasses import replace

    user = cergas_make.user("Agus Pratama")
    with pytest.raises(AssertionError, match="login as agus-pratama failed"):
        cergas_login(cergas_client, replace(user, password="salah-sekali"))


def test_api_caller_sends_the_users_token(cergas_make, cergas_api):
    unit = cergas_make.unit("SETDA")
    clerk = cergas_make.user("Agus Pratama", unit=unit)
    board = cergas_make.board(unit, ["Draf", "Proses", "Selesai"])
    card = cergas_make.card(board, "Surat edaran", "Proses")
    api = cergas_api(clerk)

    assert api.get(f"/api/v1/boards/{board.id}").status_code == 200
    refused = api.post(f"/api/v1/cards/{card.id}/move", json={"column_id": board.column("Selesai")})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["vetoes"] == [
        {"plugin": "stempel", "message": "Belum diparaf."}
    ]
    moved = api.post(f"/api/v1/cards/{card.id}/move", json={"column_id": board.column("Draf")})
    assert moved.status_code == 200


def test_plugin_settings_factory_switches_a_plugin_off(cergas_make, cergas_api):
    unit = cergas_make.unit("SETDA")
    clerk = cergas_make.user("Agus Pratama", unit=unit)
    board = cergas_make.board(unit, ["Draf", "Proses", "Selesai"])
    card = cergas_make.card(board, "Surat edaran", "Proses")

    assert cergas_make.plugin_settings(board, "stempel", enabled=False) == {}

    moved = cergas_api(clerk).post(
        f"/api/v1/cards/{card.id}/move", json={"column_id": board.column("Selesai")}
    )
    assert moved.status_code == 200


PLUGIN_AUTHOR_TEST = """
import pytest
from cergas.plugin import Veto, hookimpl


class Rule:
    @hookimpl
    def cergas_card_before_move(self, target):
        return Veto("Tidak boleh.") if target.kind == "done" else None


@pytest.fixture
def cergas_plugins():
    return {"aturan": Rule()}


def test_rule(cergas_make, cergas_api):
    unit = cergas_make.unit("SETDA")
    user = cergas_make.user("Agus", unit=unit)
    board = cergas_make.board(unit, ["A", "B", "C"])
    card = cergas_make.card(board, "Surat", "B")
    response = cergas_api(user).post(
        f"/api/v1/cards/{card.id}/move", json={"column_id": board.column("C")}
    )
    assert response.get_json()["error"]["vetoes"][0]["plugin"] == "aturan"
"""


@pytest.fixture
def author_project(pytester):
    pytester.makepyfile(test_rule=PLUGIN_AUTHOR_TEST)
    return pytester


@pytest.mark.skipif(not KIT_INSTALLED, reason="needs `pip install -e .` (the pytest11 entry point)")
def test_installed_kit_needs_no_conftest(author_project):
    """A plugin author's project: no conftest.py, the fixtures come from the entry point."""
    result = author_project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


CONDITIONAL = """
from importlib.metadata import entry_points

if not any(ep.value == "cergas.testing" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["cergas.testing"]
"""


@pytest.mark.parametrize("autoload", [True, False], ids=["entry point", "no autoload"])
def test_conditional_pytest_plugins_registers_the_kit_exactly_once(author_project, autoload):
    """This module's own guard: with the entry point loaded it adds nothing (registering the
    module a second time under another name would be an error); without it, it registers."""
    if autoload and not KIT_INSTALLED:
        pytest.skip("needs `pip install -e .` (the pytest11 entry point)")
    author_project.makeconftest(CONDITIONAL if autoload else 'pytest_plugins = ["cergas.testing"]')
    options = ["-p", "no:cacheprovider"] + ([] if autoload else ["-p", "no:cergas"])
    result = author_project.runpytest_subprocess(*options)
    result.assert_outcomes(passed=1)


@pytest.mark.skipif(not KIT_INSTALLED, reason="needs `pip install -e .` (the pytest11 entry point)")
def test_naming_the_installed_kit_again_is_an_error(author_project):
    """Why this module guards its pytest_plugins (and why the docs warn about it)."""
    author_project.makeconftest('pytest_plugins = ["cergas.testing"]')
    result = author_project.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*Plugin already registered under a different name*"])
