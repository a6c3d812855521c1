"""How plugins show up to users: badges on cards, warnings above the board, panels on the card
page, data in the API, and vetoes that refuse a move. A plugin that breaks is counted and kept
out of the way; a plugin turned off on a board is not called there."""

import re
from datetime import timedelta

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from app.extensions import db
from app.models import BoardPlugin, Card, Event
from app.services import cards
from app.web import local_today
from cergas.plugin import Badge, BoardWarning, Panel, Veto, hookimpl
from tests.conftest import get_user, make_app

HTMX_DROP = {"HX-Request": "true", "HX-Target": "alerts"}
HTMX_ADD = {"HX-Request": "true", "HX-Target": "alerts"}
LETTER_NUMBER = "Isi nomor surat sebelum kartu masuk ke Selesai."
SIGNATURE = "Kartu ini belum diparaf Kasi."


# --- throw-away plugins ----------------------------------------------------------------------


class Tagger:
    """Marks cards labelled `penting`, warns about unassigned cards, adds a panel with a letter
    number from its own template folder, and adds the number to the API."""

    def __init__(self, folder):
        (folder / "tagger").mkdir(exist_ok=True)
        (folder / "tagger" / "panel.html").write_text(
            '<p class="tagger-panel">Nomor: {{ number }} · {{ card_title }}</p>'
        )
        self.folder = folder
        self.calls: list[tuple[str, list[int]]] = []

    @hookimpl
    def cergas_register_blueprints(self):
        return [Blueprint("tagger", __name__, template_folder=str(self.folder))]

    @hookimpl
    def cergas_card_badges(self, cards, board):
        self.calls.append(("badges", sorted(c.id for c in cards)))
        return {
            c.id: [Badge("Penting", tone="danger", title="Tenggat dari pimpinan")]
            for c in cards
            if "penting" in c.labels
        }

    @hookimpl
    def cergas_board_warnings(self, board, cards):
        self.calls.append(("warnings", sorted(c.id for c in cards)))
        nobody = sum(1 for c in cards if c.assignee is None)
        return [BoardWarning(f"{nobody} kartu tanpa penanggung jawab", tone="warning")]

    @hookimpl
    def cergas_card_panels(self, card, board):
        context = {"number": "<b>005/DKI/2026</b>", "card_title": card.title}
        return [Panel("Nomor surat", "tagger/panel.html", context)]

    @hookimpl
    def cergas_card_api(self, cards, board):
        self.calls.append(("api", sorted(c.id for c in cards)))
        return {c.id: {"number": "005/DKI/2026"} for c in cards if "penting" in c.labels}


class Broken:
    """Every decorating hook raises, and its panels cannot be rendered."""

    @hookimpl
    def cergas_card_badges(self, cards, board):
        raise RuntimeError("badge database is down")

    @hookimpl
    def cergas_board_warnings(self, board, cards):
        raise RuntimeError("warning service is down")

    @hookimpl
    def cergas_card_api(self, cards, board):
        return {c.id: {"not json": object()} for c in cards}

    @hookimpl
    def cergas_card_panels(self, card, board):
        return [
            Panel("Hilang", "rusak/missing.html", {}),
            Panel("Rusak", "tagger/panel.html", {"number": Exploding()}),
            Panel("Teks", "rusak/panel.txt", {}),
        ]


class Exploding:
    def __str__(self):
        raise RuntimeError("cannot show this value")


class Refuser:
    """Refuses every move into a done column, with its own reason."""

    def __init__(self, message):
        self.message = message

    @hookimpl
    def cergas_card_before_move(self, card, target):
        return Veto(self.message) if target.kind == "done" else None


class CrashingVeto:
    """Crashes when asked about a move between columns (a creation, `source` None, passes)."""

    @hookimpl
    def cergas_card_before_move(self, card, source, target, actor, board):
        if source is not None:
            raise KeyError("approval chain")


class CrashingEverywhere:
    @hookimpl
    def cergas_card_before_move(self, card, source, target, actor, board):
        raise KeyError("approval chain")

    @hookimpl
    def cergas_card_before_update(self, card, changes, reason, actor, board):
        raise KeyError("approval chain")


class CrashingAfterMove:
    @hookimpl
    def cergas_card_moved(self, card, source, target, actor, board):
        raise RuntimeError("SMTP server unreachable")


PLUGIN_SETS = {
    "tagger": lambda folder: {"tagger": Tagger(folder)},
    "broken": lambda folder: {"rusak": Broken(), "tagger": Tagger(folder)},
    "veto": lambda folder: {"nomor-surat": Refuser(LETTER_NUMBER)},
    "two-vetoes": lambda folder: {
        "nomor-surat": Refuser(LETTER_NUMBER),
        "paraf": Refuser(SIGNATURE),
    },
    "crashing-veto": lambda folder: {"aturan-rusak": CrashingVeto()},
    "crashing-everywhere": lambda folder: {"aturan-rusak": CrashingEverywhere()},
    "crashing-after": lambda folder: {"pasca-rusak": CrashingAfterMove()},
    "tagger-and-veto": lambda folder: {
        "tagger": Tagger(folder),
        "nomor-surat": Refuser(LETTER_NUMBER),
    },
}


@pytest.fixture
def plugins(request, tmp_path):
    """The plugins the app loads: a set of PLUGIN_SETS, chosen with indirect parametrization."""
    return PLUGIN_SETS[getattr(request, "param", "tagger")](tmp_path)


@pytest.fixture
def app(database_url, plugins):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS=plugins)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def uses(name):
    return pytest.mark.parametrize("plugins", [name], indirect=True)


# --- helpers ---------------------------------------------------------------------------------


def host(app):
    return app.extensions["cergas_plugins"]


def errors(app, plugin) -> int:
    return host(app).records[plugin].errors


def tagger(app) -> Tagger:
    return host(app).pm.get_plugin("tagger")


def new_card(org, title="Surat balasan", column=None, labels=(), assignee=None) -> int:
    data = {"title": title, "labels": list(labels)}
    data["due_date"] = (local_today("Asia/Jakarta") + timedelta(7)).isoformat()
    if assignee:
        data["assignee"] = org.nips[assignee]
    return cards.create_card(get_user("staff", org), org.board_id, data, column_id=column).card.id


def stored(app, card_id):
    with app.app_context():
        card = db.session.get(Card, card_id)
        moves = db.session.scalar(
            select(func.count(Event.id)).where(Event.card_id == card_id, Event.kind == "moved")
        )
        return card.column_id, card.version, moves


def page(response) -> str:
    return response.get_data(as_text=True)


def column_html(html: str, column_id: int) -> str:
    return re.search(rf'id="column-{column_id}".*?</section>', html, re.S).group(0)


def card_html(html: str, card_id: int) -> str:
    return re.search(rf'data-card-id="{card_id}".*?class="move', html, re.S).group(0)


def alert_text(html: str) -> str:
    """The text of every role="alert" element, tags removed."""
    found = re.findall(r'<div[^>]*role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert found, "no role=alert element"
    return re.sub(r"<[^>]+>", "", " ".join(found))


def badge_items(html: str) -> list[str]:
    return re.findall(r'<li class="badge badge-[a-z]+"[^>]*>.*?</li>', html, re.S)


# --- badges and warnings ---------------------------------------------------------------------


def test_board_shows_each_cards_badges_and_the_warnings_from_one_call(app, client, auth, org):
    with app.app_context():
        urgent = new_card(org, "Surat ke Gubernur", labels=["penting"])
        plain = new_card(org, "Arsip", assignee="staff")
    auth.login(org.nips["staff"])
    html = page(client.get(f"/boards/{org.board_id}"))
    card = card_html(html, urgent)
    assert badge_items(card) == [
        '<li class="badge badge-danger" title="Tenggat dari pimpinan · tagger">Penting'
        '<span class="sr-only"> (Tenggat dari pimpinan, tagger)</span></li>'
    ]
    assert badge_items(card_html(html, plain)) == []
    warnings = re.search(r'<div id="board-warnings"[^>]*>(.*?)</div>', html, re.S)
    assert 'role="status"' in warnings.group(0)
    # Folded into one line (issue 26): the count, the first warning, then the list.
    summary = re.search(r"<summary>(.*?)</summary>", warnings.group(1), re.S).group(1)
    assert "1 peringatan" in summary and "1 kartu tanpa penanggung jawab" in summary
    assert re.findall(r'<li class="board-warning[^"]*">(.*?)</li>', warnings.group(1)) == [
        "1 kartu tanpa penanggung jawab"
    ]
    # One call per hook for the whole page, with every card of the board.
    assert tagger(app).calls == [
        ("badges", sorted([urgent, plain])),
        ("warnings", sorted([urgent, plain])),
    ]


def test_htmx_column_updates_carry_the_badges_of_the_cards_they_render(app, client, auth, org):
    with app.app_context():
        urgent = new_card(org, "Surat ke Gubernur", labels=["penting"])
        elsewhere = new_card(org, "Di review", column=org.review, labels=["penting"])
    auth.login(org.nips["staff"])
    tagger(app).calls.clear()
    response = client.post(
        f"/cards/{urgent}/move", data={"column_id": org.doing}, headers=HTMX_DROP
    )
    html = page(response)
    assert response.status_code == 200
    assert len(badge_items(column_html(html, org.doing))) == 1
    assert f'id="column-{org.review}"' not in html
    assert ("badges", [urgent]) in tagger(app).calls  # only the cards being rendered
    assert ("badges", sorted([urgent, elsewhere])) not in tagger(app).calls
    assert re.search(
        r'<div id="board-warnings" hx-swap-oob="innerHTML">.*tanpa penanggung', html, re.S
    )

    tagger(app).calls.clear()
    response = client.post(
        f"/boards/{org.board_id}/cards",
        data={"column_id": org.backlog, "title": "Baru"},
        headers=HTMX_ADD,
    )
    assert response.status_code == 200
    added = re.search(r'data-card-id="(\d+)"', column_html(page(response), org.backlog))
    assert tagger(app).calls[0] == ("badges", [int(added.group(1))])


def test_card_page_shows_badges_and_panels_rendered_escaped(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org, "Surat <ke> Gubernur", labels=["penting"])
    auth.login(org.nips["staff"])
    response = client.get(f"/cards/{card_id}")
    html = page(response)
    assert response.status_code == 200
    assert len(badge_items(html)) == 1 and 'badge-danger" title="Tenggat' in html
    section = re.search(r'<section class="panel plugin-panel"[^>]*>.*?</section>', html, re.S)
    assert section is not None and 'data-plugin="tagger"' in section.group(0)
    assert re.search(r"<h2 id=\"plugin-panel-1-title\">Nomor surat</h2>", section.group(0))
    assert (
        '<p class="tagger-panel">Nomor: &lt;b&gt;005/DKI/2026&lt;/b&gt; · '
        "Surat &lt;ke&gt; Gubernur</p>"
    ) in section.group(0)


def test_card_api_data_and_board_warnings_in_the_api(app, api, org):
    with app.app_context():
        urgent = new_card(org, "Surat ke Gubernur", labels=["penting"])
        plain = new_card(org, "Arsip")
    tagger(app).calls.clear()
    board = api("staff").get(f"/api/v1/boards/{org.board_id}").get_json()
    by_id = {c["id"]: c for column in board["columns"] for c in column["cards"]}
    assert by_id[urgent]["plugins"] == {"tagger": {"number": "005/DKI/2026"}}
    assert by_id[plain]["plugins"] == {}
    assert board["warnings"] == [
        {"plugin": "tagger", "text": "2 kartu tanpa penanggung jawab", "tone": "warning"}
    ]
    assert tagger(app).calls == [
        ("api", sorted([urgent, plain])),
        ("warnings", sorted([urgent, plain])),
    ]
    card = api("staff").get(f"/api/v1/cards/{urgent}").get_json()
    assert card["plugins"] == {"tagger": {"number": "005/DKI/2026"}}
    moved = api("staff").post(f"/api/v1/cards/{urgent}/move", json={"column_id": org.doing})
    assert moved.get_json()["plugins"] == {"tagger": {"number": "005/DKI/2026"}}


# --- isolation -------------------------------------------------------------------------------


@uses("broken")
def test_a_broken_plugin_leaves_pages_and_api_working_and_is_counted(app, client, auth, api, org):
    with app.app_context():
        card_id = new_card(org, "Surat ke Gubernur", labels=["penting"])
    auth.login(org.nips["staff"])

    response = client.get(f"/boards/{org.board_id}")
    assert response.status_code == 200
    assert len(badge_items(page(response))) == 1  # the working plugin still shows its badge
    assert "board-warning-warning" in page(response)
    assert errors(app, "rusak") == 2  # badges and warnings

    response = client.get(f"/cards/{card_id}")
    html = page(response)
    assert response.status_code == 200
    assert 'data-plugin="rusak"' not in html and 'data-plugin="tagger"' in html
    assert errors(app, "rusak") == 2 + 1 + 3  # its badges again, three panels not rendered
    assert "panel" in host(app).records["rusak"].last_error

    response = api("staff").get(f"/api/v1/boards/{org.board_id}")
    assert response.status_code == 200
    card = response.get_json()["columns"][0]["cards"][0]
    assert card["plugins"] == {"tagger": {"number": "005/DKI/2026"}}
    assert errors(app, "rusak") == 6 + 2  # the API data that JSON cannot carry, warnings
    assert errors(app, "tagger") == 0


# --- vetoes ----------------------------------------------------------------------------------


@uses("veto")
def test_a_veto_refuses_a_move_over_the_api_and_nothing_changes(app, api, org):
    with app.app_context():
        card_id = new_card(org)
    before = stored(app, card_id)
    response = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.done})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "vetoed"
    assert error["vetoes"] == [{"plugin": "nomor-surat", "message": LETTER_NUMBER}]
    assert "nomor-surat" in error["message"] and LETTER_NUMBER in error["message"]
    assert stored(app, card_id) == before == (org.backlog, 1, 0)
    # The plugin only refuses Done: other moves go through.
    response = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.doing})
    assert response.status_code == 200 and stored(app, card_id) == (org.doing, 2, 1)


@uses("veto")
def test_a_veto_refuses_the_move_form_and_names_the_plugin(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
    auth.login(org.nips["staff"])
    response = client.post(f"/cards/{card_id}/move", data={"column_id": org.done})
    assert response.status_code == 409
    alert = alert_text(page(response))
    assert "nomor-surat" in alert and LETTER_NUMBER in alert
    assert stored(app, card_id) == (org.backlog, 1, 0)
    board = page(client.get(f"/boards/{org.board_id}"))
    assert f'data-card-id="{card_id}"' in column_html(board, org.backlog)
    assert f'data-card-id="{card_id}"' not in column_html(board, org.done)


@uses("veto")
def test_a_vetoed_drop_snaps_the_card_back_with_the_reason(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
    auth.login(org.nips["staff"])
    response = client.post(
        f"/cards/{card_id}/move", data={"column_id": org.done, "position": "0"}, headers=HTMX_DROP
    )
    html = page(response)
    assert response.status_code == 409
    assert html.lstrip().startswith(
        f'<p class="alert alert-error">nomor-surat: {LETTER_NUMBER}</p>'
    )
    assert f'data-card-id="{card_id}"' in column_html(html, org.backlog)
    assert f'data-card-id="{card_id}"' not in column_html(html, org.done)
    assert stored(app, card_id) == (org.backlog, 1, 0)


@uses("two-vetoes")
def test_every_veto_is_shown_with_its_plugin(app, client, auth, api, org):
    with app.app_context():
        card_id = new_card(org)
    response = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.done})
    vetoes = response.get_json()["error"]["vetoes"]
    assert sorted(vetoes, key=lambda veto: veto["plugin"]) == [
        {"plugin": "nomor-surat", "message": LETTER_NUMBER},
        {"plugin": "paraf", "message": SIGNATURE},
    ]
    auth.login(org.nips["staff"])
    alert = alert_text(page(client.post(f"/cards/{card_id}/move", data={"column_id": org.done})))
    assert "nomor-surat" in alert and LETTER_NUMBER in alert
    assert "paraf" in alert and SIGNATURE in alert
    drop = page(
        client.post(f"/cards/{card_id}/move", data={"column_id": org.done}, headers=HTMX_DROP)
    )
    assert f'<p class="alert alert-error">nomor-surat: {LETTER_NUMBER}</p>' in drop
    assert f'<p class="alert alert-error">paraf: {SIGNATURE}</p>' in drop
    assert stored(app, card_id) == (org.backlog, 1, 0)


@uses("crashing-veto")
def test_a_veto_hook_that_raises_refuses_the_move_and_names_the_plugin(app, api, org):
    with app.app_context():
        card_id = new_card(org)
    response = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.review})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "vetoed"
    assert [veto["plugin"] for veto in error["vetoes"]] == ["aturan-rusak"]
    assert "aturan-rusak" in error["vetoes"][0]["message"]
    assert stored(app, card_id) == (org.backlog, 1, 0)
    assert errors(app, "aturan-rusak") == 1
    assert "approval chain" in host(app).records["aturan-rusak"].last_error


@uses("crashing-everywhere")
def test_a_veto_hook_that_raises_refuses_a_creation_and_an_edit(app, api, org):
    with app.app_context():
        before = db.session.scalar(select(func.count(Card.id)))
    due = (local_today("Asia/Jakarta") + timedelta(7)).isoformat()
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/cards",
        json={"title": "Surat baru", "due_date": due, "column_id": org.doing},
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "vetoed"
    assert [veto["plugin"] for veto in error["vetoes"]] == ["aturan-rusak"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id))) == before
        # A card stored directly (the plugin refuses every creation through the services).
        card = Card(board_id=org.board_id, column_id=org.backlog, position=0, title="Surat lama")
        db.session.add(card)
        db.session.commit()
        card_id, version, title = card.id, card.version, card.title
    response = api("staff").patch(
        f"/api/v1/cards/{card_id}", json={"version": version, "title": "Judul lain"}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "vetoed"
    with app.app_context():
        assert db.session.get(Card, card_id).title == title
    assert errors(app, "aturan-rusak") == 2


@uses("crashing-after")
def test_an_after_move_hook_that_raises_leaves_the_move_done(app, client, auth, api, org):
    with app.app_context():
        card_id = new_card(org)
    response = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.doing})
    assert response.status_code == 200 and response.get_json()["column_id"] == org.doing
    assert stored(app, card_id) == (org.doing, 2, 1)
    assert errors(app, "pasca-rusak") == 1
    auth.login(org.nips["staff"])
    response = client.post(f"/cards/{card_id}/move", data={"column_id": org.review})
    assert response.status_code == 302
    assert stored(app, card_id) == (org.review, 3, 2)
    assert errors(app, "pasca-rusak") == 2


# --- per board -------------------------------------------------------------------------------


@uses("tagger-and-veto")
def test_a_plugin_turned_off_on_a_board_is_not_called_there(app, client, auth, api, org):
    with app.app_context():
        card_id = new_card(org, "Surat ke Gubernur", labels=["penting"])
    vetoed = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.done})
    assert vetoed.status_code == 409
    with app.app_context():  # test setup: a head turned both plugins off on this board
        for name in ("tagger", "nomor-surat"):
            db.session.add(BoardPlugin(board_id=org.board_id, plugin=name, enabled=False))
        db.session.commit()
    tagger(app).calls.clear()

    auth.login(org.nips["staff"])
    html = page(client.get(f"/boards/{org.board_id}"))
    assert badge_items(html) == [] and 'class="board-warning ' not in html
    assert re.search(r'<div id="board-warnings"[^>]*></div>', html)
    assert 'data-plugin="tagger"' not in page(client.get(f"/cards/{card_id}"))
    board = api("staff").get(f"/api/v1/boards/{org.board_id}").get_json()
    assert board["warnings"] == [] and board["columns"][0]["cards"][0]["plugins"] == {}
    response = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.done})
    assert response.status_code == 200 and stored(app, card_id) == (org.done, 2, 1)
    assert tagger(app).calls == []
