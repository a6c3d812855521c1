"""The test kit (cergas.testing) that plugin authors get through the `pytest11` entry point."""

from datetime import UTC, date, datetime
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


@pytest.mark.slow  # a pytest run of its own in a subprocess (6 s): the full run has it
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


# Each of these runs pytest in a new process (5-15 s): the fast run keeps the first one, the
# full run (`.ci/run`) all of them.
@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.skipif(not KIT_INSTALLED, reason="needs `pip install -e .` (the pytest11 entry point)")
def test_naming_the_installed_kit_again_is_an_error(author_project):
    """Why this module guards its pytest_plugins (and why the docs warn about it)."""
    author_project.makeconftest('pytest_plugins = ["cergas.testing"]')
    result = author_project.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*Plugin already registered under a different name*"])


# --- time, periodic work, comments, notifications --------------------------------------------


class Reminder:
    """Each tick tells the assignee of every card on the boards where it is on; it remembers
    the moments it ran."""

    def __init__(self):
        self.ticks = []

    @hookimpl
    def cergas_periodic(self, now):
        from cergas.plugin import boards_with_plugin, card_rows, notify, users_by_ids

        self.ticks.append(now)
        boards = [board.board_id for board in boards_with_plugin("pengingat")]
        rows = [row for row in card_rows(boards) if row.assignee_id]
        people = users_by_ids({row.assignee_id for row in rows})
        cards = cards_by_ids_for(rows)
        for row in rows:
            notify(
                people[row.assignee_id],
                f"Ingat: {row.title}",
                card=cards[row.id],
                kind="pengingat_kartu",
                plugin="pengingat",
            )


def cards_by_ids_for(rows):
    from cergas.plugin import cards_by_ids

    return cards_by_ids(row.id for row in rows)


class Broken:
    @hookimpl
    def cergas_periodic(self, now):
        raise RuntimeError("rusak")


@pytest.fixture
def reminder():
    return Reminder()


@pytest.fixture
def tick_office(cergas_make):
    unit = cergas_make.unit("SETDA", "Sekretariat Daerah")
    agus = cergas_make.user("Agus Pratama", unit=unit)
    board = cergas_make.board(unit, ["Draf", "Proses", "Selesai"])
    return unit, agus, board


class TestTick:
    @pytest.fixture
    def cergas_plugins(self, reminder):
        return {"pengingat": reminder}

    def test_tick_runs_the_periodic_work_at_the_given_time(
        self, cergas_tick, cergas_make, cergas_notifications, reminder, tick_office
    ):
        _unit, agus, board = tick_office
        card = cergas_make.card(board, "Laporan bulanan", assignee=agus)

        result = cergas_tick("2026-03-02T08:00:00+07:00")

        assert result.ok and result.exit_code == 0
        assert result.now == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        assert reminder.ticks == [datetime(2026, 3, 2, 1, 0, tzinfo=UTC)]
        assert "2026-03-02T01:00:00+00:00" in result.output
        # The core told Agus of the card given to him; the plugin's reminder is what this checks.
        told = cergas_notifications(agus, plugin="pengingat")
        assert [(n.title, n.kind, n.plugin, n.card_id, n.link, n.read) for n in told] == [
            (
                "Ingat: Laporan bulanan",
                "pengingat_kartu",
                "pengingat",
                card.id,
                f"/cards/{card.id}",
                False,
            )
        ]

    def test_a_second_tick_within_the_minute_does_nothing_as_cron_would(
        self, cergas_tick, reminder
    ):
        cergas_tick(datetime(2026, 3, 2, 1, 0))
        again = cergas_tick(datetime(2026, 3, 2, 1, 0, 30))
        cergas_tick(datetime(2026, 3, 2, 1, 5))

        assert again.ok  # and did nothing: the plugin saw two ticks
        assert reminder.ticks == [
            datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
            datetime(2026, 3, 2, 1, 5, tzinfo=UTC),
        ]

    def test_tick_without_a_time_runs_at_the_clocks_time(self, cergas_tick, cergas_clock, reminder):
        cergas_clock.move_to("2026-03-02T09:00:00+07:00")
        cergas_tick()
        cergas_clock.shift(days=1)
        cergas_tick()

        assert [moment.isoformat() for moment in reminder.ticks] == [
            "2026-03-02T02:00:00+00:00",
            "2026-03-03T02:00:00+00:00",
        ]

    def test_notifications_reader_filters_and_sees_what_was_read(
        self, cergas_app, cergas_tick, cergas_make, cergas_notifications, tick_office
    ):
        from app.extensions import db
        from app.models import User
        from app.services import notifications

        _unit, agus, board = tick_office
        cergas_make.card(board, "Satu", assignee=agus)
        cergas_make.card(board, "Dua", assignee=agus)
        cergas_tick(datetime(2026, 3, 2, 1, 0))
        with cergas_app.app_context():
            # The core's own "card given to you" notifications, read: the plugin's are left.
            for each in cergas_notifications(agus, kind="card_assigned"):
                notifications.mark_read(db.session.get(User, agus.id), each.id)
        first = cergas_notifications(agus, plugin="pengingat")[0]
        with cergas_app.app_context():
            notifications.mark_read(db.session.get(User, agus.id), first.id)

        assert [n.title for n in cergas_notifications(agus, plugin="pengingat")] == [
            "Ingat: Satu",
            "Ingat: Dua",
        ]
        assert [n.title for n in cergas_notifications(agus, unread_only=True)] == ["Ingat: Dua"]
        assert cergas_notifications(agus, kind="lain") == []
        assert len(cergas_notifications(agus, plugin="pengingat")) == 2


class TestFailingTick:
    @pytest.fixture
    def cergas_plugins(self):
        return {"rusak": Broken()}

    def test_a_failed_tick_fails_the_test_unless_told_otherwise(self, cergas_tick):
        with pytest.raises(AssertionError, match="rusak"):
            cergas_tick(datetime(2026, 3, 2, 1, 0))
        result = cergas_tick(datetime(2026, 3, 2, 2, 0), check=False)

        assert not result.ok and result.exit_code == 1
        assert "rusak" in result.output


def test_clock_freezes_time_for_the_core_and_local_dates(cergas_app, cergas_make, cergas_clock):
    from app.services.access import local_today
    from cergas.plugin import card_comments

    start = cergas_clock.move_to("2026-03-06T23:30:00+07:00")  # Friday night in WIB
    board = cergas_make.board(cergas_make.unit("SETDA"), ["Draf", "Proses", "Selesai"])
    card = cergas_make.card(board, "Surat edaran")

    assert start == datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
    assert cergas_clock.now == start
    assert card.created_at == datetime(2026, 3, 6, 16, 30)
    with cergas_app.app_context():
        assert local_today("Asia/Jakarta") == date(2026, 3, 6)
        assert local_today("Asia/Jayapura") == date(2026, 3, 7)  # already Saturday in WIT
    assert cergas_clock.today("Asia/Makassar") == date(2026, 3, 7)

    cergas_clock.shift(hours=1)
    comment = cergas_make.comment(card, "Satu jam kemudian")
    with cergas_app.app_context():
        assert card_comments(card)[0].at == datetime(2026, 3, 6, 17, 30)
    assert comment.at == datetime(2026, 3, 6, 17, 30)


def test_the_working_day_calendar_counts_to_the_clocks_now(cergas_app, cergas_make, cergas_clock):
    from cergas.plugin import work_calendar

    unit = cergas_make.unit("SETDA")
    cergas_clock.move_to("2026-03-06T09:00:00+07:00")  # Friday
    received = cergas_clock.now
    with cergas_app.app_context():
        cal = work_calendar(unit.id)
        friday = cal.working_days_between(received, datetime.now(UTC))
        assert cal.is_working_day(cergas_clock.today())
        cergas_clock.shift(days=3, hours=8)  # Monday 17:00, after the close of work
        monday = cal.working_days_between(received, datetime.now(UTC))
        assert not cal.is_working_day(date(2026, 3, 19))  # Nyepi

    assert (friday, monday) == (0, 1)


def test_card_and_comment_factories_take_a_moment(cergas_app, cergas_make):
    from cergas.plugin import card_comments

    board = cergas_make.board(cergas_make.unit("SETDA"), ["Draf", "Proses", "Selesai"])
    old = cergas_make.card(board, "Arsip lama", created_at=datetime(2025, 12, 1, 2, 0))
    dated = cergas_make.card(board, "Surat", created_at=date(2026, 1, 5))
    cergas_make.comment(old.id, "Kedua", at="2026-01-02T10:00:00+07:00")
    cergas_make.comment(old, "Pertama", at=datetime(2026, 1, 1, 3, 0))

    assert old.created_at == datetime(2025, 12, 1, 2, 0)
    assert dated.created_at == datetime(2026, 1, 5, 2, 0)  # a date: 09:00 WIB
    with cergas_app.app_context():
        assert [(c.text, c.at) for c in card_comments(old)] == [
            ("Pertama", datetime(2026, 1, 1, 3, 0)),
            ("Kedua", datetime(2026, 1, 2, 3, 0)),
        ]
    assert datetime.now(UTC).year >= 2026  # the factories put the clock back


def test_unit_factory_gets_or_creates(cergas_make):
    dinas = cergas_make.unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
    seksi = cergas_make.unit("SEKSI-APL", "Seksi Aplikasi", parent=dinas)

    assert cergas_make.unit("DISKOMINFO") == dinas
    assert cergas_make.unit("SEKSI-APL", "Nama lain", parent="SETDA") == seksi


def test_clock_without_time_machine_says_what_to_install(monkeypatch):
    import sys

    import cergas.testing

    monkeypatch.setitem(sys.modules, "time_machine", None)
    with pytest.raises(RuntimeError, match="pip install time-machine"):
        cergas.testing._time_machine()
