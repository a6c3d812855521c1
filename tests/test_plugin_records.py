"""The helpers of cergas.plugin that answer with frozen records: boards where a plugin is on,
a card's comments, a unit with its parents and heads; and `notify` linking the card."""

from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta

import pytest

from cergas.plugin import (
    Setting,
    boards_with_plugin,
    card_comments,
    comments_of_cards,
    hookimpl,
    notify,
    unit_by_code,
)
from tests.query_counter import count_queries

PLUGIN = "pengingat"


def statements(queries: list[str]) -> list[str]:
    """The SQL statements, without the transaction's BEGIN."""
    return [q for q in queries if q.strip().upper() != "BEGIN"]


class Reminder:
    @hookimpl
    def cergas_settings(self):
        return [
            Setting("days", "int", 3, "Remind after how many days"),
            Setting("columns", "list", ["Proses"], "Columns to watch"),
        ]


@pytest.fixture
def cergas_plugins():
    return {PLUGIN: Reminder()}


@pytest.fixture
def office(cergas_make):
    dinas = cergas_make.unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
    bidang = cergas_make.unit("BID-APTIKA", "Bidang Aplikasi Informatika", parent=dinas)
    seksi = cergas_make.unit("SEKSI-APL", "Seksi Aplikasi", parent=bidang)
    return dinas, bidang, seksi


def test_boards_with_plugin_merges_saved_settings_with_defaults(cergas_app, cergas_make, office):
    _dinas, bidang, seksi = office
    untouched = cergas_make.board(seksi, ["Draf", "Proses", "Selesai"], name="Layanan")
    saved = cergas_make.board(bidang, ["Draf", "Proses", "Selesai"], name="Aplikasi")
    off = cergas_make.board(seksi, ["Draf", "Proses", "Selesai"], name="Arsip")
    cergas_make.plugin_settings(saved, PLUGIN, days=5)
    cergas_make.plugin_settings(off, PLUGIN, enabled=False)

    with cergas_app.app_context(), count_queries(cergas_app) as queries:
        found = boards_with_plugin(PLUGIN)

    assert len(statements(queries)) == 1
    assert [(b.board_id, b.name, b.unit_id, b.unit_code) for b in found] == [
        (untouched.id, "Layanan", seksi.id, "SEKSI-APL"),
        (saved.id, "Aplikasi", bidang.id, "BID-APTIKA"),
    ]
    assert dict(found[0].settings) == {"days": 3, "columns": ["Proses"]}
    assert dict(found[1].settings) == {"days": 5, "columns": ["Proses"]}


def test_boards_with_plugin_answers_in_one_query_whatever_the_number_of_boards(
    cergas_app, cergas_make, office
):
    seksi = office[2]
    for n in range(6):
        board = cergas_make.board(seksi, ["Draf", "Proses", "Selesai"], name=f"Papan {n}")
        if n % 2:
            cergas_make.plugin_settings(board, PLUGIN, days=n)

    with cergas_app.app_context(), count_queries(cergas_app) as queries:
        found = boards_with_plugin(PLUGIN)

    assert len(statements(queries)) == 1
    assert [b.settings["days"] for b in found] == [3, 1, 3, 3, 3, 5]


def test_boards_with_plugin_records_are_read_only(cergas_app, cergas_make, office):
    cergas_make.board(office[2], ["Draf", "Proses", "Selesai"])
    with cergas_app.app_context():
        board = boards_with_plugin(PLUGIN)[0]

    with pytest.raises(FrozenInstanceError):
        board.name = "Lain"
    with pytest.raises(TypeError):
        board.settings["days"] = 9


def test_a_plugin_that_is_not_loaded_is_on_nowhere(cergas_app, cergas_make, office):
    cergas_make.board(office[2], ["Draf", "Proses", "Selesai"])
    with cergas_app.app_context():
        assert boards_with_plugin("tidak-ada") == []


def test_comments_of_one_card_and_of_many_in_one_query(cergas_app, cergas_make, office):
    seksi = office[2]
    agus = cergas_make.user("Agus Pratama", unit=seksi, nip="199001012015011004")
    siti = cergas_make.user("Siti Rahmawati", role="head", unit=seksi)
    board = cergas_make.board(seksi, ["Draf", "Proses", "Selesai"])
    letter = cergas_make.card(board, "Surat undangan")
    report = cergas_make.card(board, "Laporan bulanan")
    quiet = cergas_make.card(board, "Tanpa komentar")
    cergas_make.comment(letter, "Sudah saya cek.", author=siti, at=datetime(2026, 3, 2, 3, 0))
    cergas_make.comment(letter, "Mohon paraf.", author=agus, at=datetime(2026, 3, 2, 2, 0))
    cergas_make.comment(report.id, "Data Maret belum masuk.", author=agus)

    with cergas_app.app_context():
        comments = card_comments(letter.id)
        with count_queries(cergas_app) as queries:
            many = comments_of_cards([letter, report.id, quiet])

    assert [(c.author_login, c.author_name, c.text, c.at) for c in comments] == [
        ("199001012015011004", "Agus Pratama", "Mohon paraf.", datetime(2026, 3, 2, 2, 0)),
        ("siti-rahmawati", "Siti Rahmawati", "Sudah saya cek.", datetime(2026, 3, 2, 3, 0)),
    ]
    assert comments[0].author_id == agus.id and comments[0].card_id == letter.id
    assert len(statements(queries)) == 1
    assert set(many) == {letter.id, report.id, quiet.id}
    assert many[letter.id] == comments
    assert [c.text for c in many[report.id]] == ["Data Maret belum masuk."]
    assert many[quiet.id] == []
    with pytest.raises(FrozenInstanceError):
        comments[0].text = "diubah"


def test_unit_by_code_gives_parents_heads_and_acting_heads(cergas_app, cergas_make, office):
    from app.extensions import db
    from app.models import User
    from app.services import acting

    dinas, bidang, seksi = office
    first = cergas_make.user("Siti Rahmawati", role="head", unit=seksi, nip="198204182006042012")
    second = cergas_make.user("Budi Santoso", role="head", unit=seksi)
    cergas_make.user("Agus Pratama", unit=seksi)
    plh = cergas_make.user("Dewi Lestari", unit=bidang)
    gone = cergas_make.user("Joko Widodo", role="head", unit=seksi)
    admin = cergas_make.user("Admin", admin=True)
    with cergas_app.app_context():
        today = date.today()
        acting.appoint(
            db.session.get(User, admin.id),
            "SEKSI-APL",
            plh.login,
            "plh",
            (today - timedelta(days=1)).isoformat(),
            (today + timedelta(days=5)).isoformat(),
            "800/12/2026",
        )
        db.session.get(User, gone.id).active = False
        db.session.commit()

        with count_queries(cergas_app) as queries:
            unit = unit_by_code("SEKSI-APL")
        top = unit_by_code("DISKOMINFO")
        missing = unit_by_code("TIDAK-ADA")

    assert len(statements(queries)) <= 4
    assert (unit.id, unit.code, unit.name, unit.timezone, unit.active) == (
        seksi.id,
        "SEKSI-APL",
        "Seksi Aplikasi",
        "Asia/Jakarta",
        True,
    )
    assert [(p.id, p.code) for p in unit.parents] == [
        (bidang.id, "BID-APTIKA"),
        (dinas.id, "DISKOMINFO"),
    ]
    assert unit.parent.name == "Bidang Aplikasi Informatika"
    assert [(p.id, p.login) for p in unit.heads] == [
        (first.id, "198204182006042012"),
        (second.id, "budi-santoso"),
    ]
    assert [(a.person.login, a.kind) for a in unit.acting_heads] == [("dewi-lestari", "plh")]
    assert top.parents == () and top.parent is None and top.heads == ()
    assert missing is None
    with pytest.raises(FrozenInstanceError):
        unit.code = "LAIN"


def test_notify_links_the_card_unless_a_link_is_given(cergas_app, cergas_make, office):
    from app.extensions import db
    from app.models import Card, User

    user = cergas_make.user("Agus Pratama", unit=office[2])
    board = cergas_make.board(office[2], ["Draf", "Proses", "Selesai"])
    card_ref = cergas_make.card(board, "Surat undangan")
    with cergas_app.app_context():
        person, card = db.session.get(User, user.id), db.session.get(Card, card_ref.id)
        linked = notify(person, "Pengingat", card=card, plugin=PLUGIN)
        chosen = notify(person, "Lihat laporan", card=card, link="/reports/1", plugin=PLUGIN)
        plain = notify(person, "Tanpa kartu", plugin=PLUGIN)
        links = (linked.link, chosen.link, plain.link)
    with cergas_app.test_request_context("/"):
        person, card = db.session.get(User, user.id), db.session.get(Card, card_ref.id)
        in_request = notify(person, "Dari halaman", card=card).link

    assert links == (f"/cards/{card_ref.id}", "/reports/1", None)
    assert in_request == f"/cards/{card_ref.id}"


def test_every_helper_function_has_its_return_type_in_the_docs():
    import inspect
    import re
    from pathlib import Path

    import cergas.plugin

    docs = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text("utf-8")
    table = docs.split("#### Return types at a glance")[1].split("\n### ")[0]
    listed = {
        name
        for row in re.findall(r"^\| (.+?) \|", table, re.M)
        for name in re.findall(r"`(\w+)`", row)
    }
    functions = [
        name
        for name in cergas.plugin.__all__
        if inspect.isfunction(getattr(cergas.plugin, name)) and name != "hookimpl"
    ]
    assert functions
    assert sorted(set(functions) - listed) == []
