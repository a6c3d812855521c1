"""The shared cache of rendered board columns (app/boards/cache.py): viewers get the columns
rendered once, each with their own CSRF token, and every change shows on the next page view."""

import re

import pytest
from sqlalchemy import update

from app.boards import cache as cache_module
from app.extensions import db
from app.models import User
from app.services import cards, live
from cergas.plugin import Badge, hookimpl
from tests.conftest import PASSWORD, get_user, make_app
from tests.i18n_helpers import t

pytestmark = pytest.mark.pg


class Counter:
    """Counts the badge calls (one per render of the columns) and badges every card."""

    def __init__(self):
        self.calls = 0
        self.text = "Prioritas"

    @hookimpl
    def cergas_card_badges(self, cards, board):
        self.calls += 1
        return {c.id: [Badge(self.text)] for c in cards}


@pytest.fixture
def counter():
    return Counter()


@pytest.fixture
def app(database_url, counter):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"counter": counter})
    yield app
    with app.app_context():
        db.session.remove()


def login(app, who, org):
    client = app.test_client()
    client.post("/login", data={"username": org.nips[who], "password": PASSWORD})
    return client


def board_page(client, org, query="") -> str:
    response = client.get(f"/boards/{org.board_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def columns(html: str) -> str:
    """The columns part of a page, without CSRF tokens (signed anew for each response)."""
    part = html[html.index('<div id="board-columns"') : html.index('<div id="board-live"')]
    return re.sub(r'name="csrf_token" value="[^"]*"', "", part)


@pytest.fixture
def card_id(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        data = {"title": "Rekap SPJ", "due_date": "2031-12-31"}
        return cards.create_card(kasi, org.board_id, data).card.id


def test_a_second_view_comes_from_the_cache(app, org, card_id, counter):
    client = login(app, "staff", org)
    first = board_page(client, org)
    second = board_page(client, org)
    assert counter.calls == 1
    assert columns(first) == columns(second)
    assert "Rekap SPJ" in second and "Prioritas" in second


def test_each_viewer_gets_their_own_csrf_token(app, org, card_id, counter):
    app.config["WTF_CSRF_ENABLED"] = True
    pages = {}
    for who in ("staff", "kasi"):
        client = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        client.post(
            "/login",
            data={"username": org.nips[who], "password": PASSWORD, "csrf_token": token},
        )
        html = board_page(client, org)
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        in_forms = set(re.findall(r'name="csrf_token" value="([^"]*)"', html))
        assert in_forms == {meta}, who
        pages[who] = meta
    assert counter.calls == 1  # the second viewer's columns came from the cache
    assert pages["staff"] != pages["kasi"]


def test_a_change_shows_on_the_next_view(app, org, card_id, counter):
    client = login(app, "staff", org)
    board_page(client, org)
    with app.app_context():
        cards.move_card(get_user("staff", org), card_id, org.review)
    html = board_page(client, org)
    assert counter.calls == 2
    review = re.search(rf'<section[^>]*data-column-id="{org.review}".*?</section>', html, re.S)
    assert "Rekap SPJ" in review.group(0)


def test_a_change_without_an_event_shows_once_the_plugin_says_so(app, org, card_id, counter):
    client = login(app, "staff", org)
    board_page(client, org)
    counter.text = "Mendesak"
    assert "Mendesak" not in board_page(client, org)  # nothing told the board yet
    with app.app_context():
        live.refresh_board(org.board_id, [card_id])
    assert "Mendesak" in board_page(client, org)


def test_entries_expire(app, org, card_id, counter, monkeypatch):
    client = login(app, "staff", org)
    board_page(client, org)
    with app.app_context():
        # A rename records no board event: the entry's lifetime bounds how long it shows.
        db.session.execute(update(User).where(User.id == org.users["kasi"]).values(name="Siti R."))
        db.session.commit()
    clock = cache_module.time.monotonic() + cache_module.DEFAULT_SECONDS + 1
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: clock)
    board_page(client, org)
    assert counter.calls == 2


def test_filtered_pages_and_the_switch(app, org, card_id, counter):
    client = login(app, "staff", org)
    assert "Rekap SPJ" not in board_page(client, org, "?q=tidak-ada")
    assert "Rekap SPJ" in board_page(client, org)
    assert counter.calls == 2  # the filtered page was rendered for itself, not cached
    app.config["BOARD_CACHE_SECONDS"] = 0
    board_page(client, org)
    board_page(client, org)
    assert counter.calls == 4


def test_the_language_is_part_of_the_key(app, org, card_id, counter):
    staff = login(app, "staff", org)
    kasi = login(app, "kasi", org)
    kasi.post("/language", data={"locale": "en"})
    indonesian = board_page(staff, org)
    english = board_page(kasi, org)
    assert t("Add card") in indonesian and "Add card" not in indonesian
    assert "Add card" in english
    assert counter.calls == 2


def test_who_may_not_see_the_board_gets_404_from_the_cache_too(app, org, card_id):
    board_page(login(app, "staff", org), org)
    response = login(app, "outsider", org).get(f"/boards/{org.board_id}")
    assert response.status_code == 404
    assert "Rekap SPJ" not in response.get_data(as_text=True)


def test_the_cache_keeps_to_its_size():
    store = cache_module.ColumnsCache(seconds=30, max_bytes=10)
    store.put("a", "12345", None)
    store.put("b", "12345", None)
    store.put("c", "123", None)
    assert store.get("a") is None and store.get("b") == ("12345", None)
    assert store.size == 8
    store.put("d", "x" * 11, None)  # larger than the whole cache: not kept
    assert store.get("d") is None and store.size == 8


def test_viewers_arriving_together_wait_for_one_render():
    import threading
    import time as clock

    store = cache_module.ColumnsCache(seconds=30, max_bytes=1000)
    renders = []

    def render():
        renders.append(1)
        clock.sleep(0.2)
        return "<section>", ["label"]

    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(store.get_or_render("k", render)))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(renders) == 1
    assert answers == [("<section>", ["label"])] * 5
    assert store.rendering == {}


def test_a_failed_render_leaves_nothing_behind():
    store = cache_module.ColumnsCache(seconds=30, max_bytes=1000)

    def broken():
        raise RuntimeError("template error")

    with pytest.raises(RuntimeError):
        store.get_or_render("k", broken)
    assert store.rendering == {} and store.get("k") is None
    assert store.get_or_render("k", lambda: ("ok", None)) == ("ok", None)
