"""Live board updates in one process: GET /boards/<id>/stream (Server-Sent Events), the
in-process broker, publishing after commit from the service layer, catch-up numbers."""

import queue
import re
import threading

import pytest

from app.services import boards, cards
from app.services.errors import Invalid
from tests.conftest import PASSWORD, database_for, get_user
from tests.i18n_helpers import t

pytestmark = pytest.mark.pg


def parse_event(block: str) -> dict | None:
    """One SSE event block as {"event", "id", "data", "retry"}; None for a comment only."""
    event = {"event": None, "id": None, "data": [], "retry": None}
    for line in block.splitlines():
        if line.startswith(":"):
            continue
        name, _, value = line.partition(": ")
        if name == "data":
            event["data"].append(value)
        elif name in event:
            event[name] = value
    event["data"] = "\n".join(event["data"])
    if event["event"] is None and not event["data"]:
        return None
    return event


class Stream:
    """A logged-in page's stream, read by its own thread as a browser would: each request runs in
    its own thread (and context) under a real server too. Events land in a queue."""

    def __init__(self, app, login, board_id):
        self.client = app.test_client()
        self.client.post("/login", data={"username": login, "password": PASSWORD})
        self.url = f"/boards/{board_id}/stream"
        self.response = None
        self.opened = threading.Event()
        self.events: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(timeout=10)

    def _read(self):
        buffer = ""
        # The request, and so its contexts, lives in this thread from start to end.
        self.response = self.client.get(self.url, buffered=False)
        self.opened.set()
        try:
            if self.response.mimetype != "text/event-stream":
                return
            for chunk in self.response.response:
                buffer += chunk.decode()
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    event = parse_event(block)
                    if event is not None:
                        self.events.put(event)
                if self.stop.is_set():
                    break
        finally:
            self.response.close()
            self.events.put(None)

    def next(self, timeout=10) -> dict:
        return self.events.get(timeout=timeout)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A SQLite file, not memory: streams are threads, each with its own connection, as in a
    real server (the in-memory database is one connection shared by every thread)."""
    return database_for(request.param, f"sqlite:///{tmp_path}/live.db")


@pytest.fixture
def streams(app):
    """open(login, board_id) -> Stream; every stream is closed after the test."""
    app.config.update(LIVE_KEEPALIVE_SECONDS=0.05)
    opened = []

    def open_(login, board_id):
        stream = Stream(app, login, board_id)
        opened.append(stream)
        return stream

    yield open_
    for stream in opened:
        stream.close()


@pytest.fixture
def card_ids(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        first = cards.create_card(kasi, org.board_id, {"title": "Surat undangan rapat"}).card.id
        second = cards.create_card(kasi, org.board_id, {"title": "Nota dinas"}).card.id
    return first, second


def test_stream_says_hello_with_the_boards_message_number(app, org, card_ids, streams):
    stream = streams(org.nips["staff"], org.board_id)
    assert stream.response.status_code == 200
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["X-Accel-Buffering"] == "no"
    hello = stream.next()
    assert hello["event"] == "hello" and hello["retry"] == "2000"
    # The board and two cards were created before: three messages for this board.
    assert hello["data"] == "3"


def test_a_move_reaches_the_stream_as_fresh_html_of_both_columns(app, org, card_ids, streams):
    stream = streams(org.nips["staff"], org.board_id)
    assert stream.next()["event"] == "hello"
    with app.app_context():
        kasi = get_user("kasi", org)
        cards.update_card(kasi, card_ids[0], {"due_date": "2031-01-31"}, version=1)
        cards.move_card(kasi, card_ids[0], org.doing)
    edit = stream.next()
    assert edit["event"] == "columns" and edit["id"] == "4"
    move = stream.next()
    assert move["event"] == "columns" and move["id"] == "5"
    html = move["data"]
    assert f'id="column-{org.backlog}"' in html and f'id="column-{org.doing}"' in html
    doing = html.split(f'id="column-{org.doing}"', 1)[1]
    assert f'data-card-id="{card_ids[0]}"' in doing
    # The WIP count of the target column is in its header: 1 of 3.
    assert re.search(r'class="wip[^"]*"[^>]*>1/3<', doing)
    backlog = html.split(f'id="column-{org.backlog}"', 1)[1].split('id="column-', 1)[0]
    assert f'data-card-id="{card_ids[0]}"' not in backlog
    assert 'id="board-warnings"' in html


def test_nothing_is_published_for_a_refused_move(app, org, card_ids, streams):
    stream = streams(org.nips["staff"], org.board_id)
    stream.next()
    broker = app.extensions["cergas_broker"]
    with app.app_context():
        kasi = get_user("kasi", org)
        with pytest.raises(Invalid):
            cards.move_card(kasi, card_ids[0], org.doing)  # no due date: refused
        assert broker.current_seq(org.board_id) == 3
        cards.add_comment(kasi, card_ids[1], "Sudah dikonfirmasi")
    assert broker.current_seq(org.board_id) == 4
    event = stream.next()
    assert event["id"] == "4" and f'data-card-id="{card_ids[1]}"' in event["data"]


def test_changing_the_boards_columns_asks_pages_to_reload(app, org, card_ids, streams):
    stream = streams(org.nips["staff"], org.board_id)
    stream.next()
    with app.app_context():
        boards.update_column(get_user("kasi", org), org.board_id, org.review, {"wip_limit": "5"})
    assert stream.next() == {"event": "refresh", "id": "4", "data": "4", "retry": None}


def test_columns_are_rendered_in_each_subscribers_language(app, org, card_ids, streams):
    with app.app_context():
        from app.services import accounts

        accounts.set_locale(get_user("staff", org), "en")
        accounts.set_locale(get_user("staff2", org), "id")
    english = streams(org.nips["staff"], org.board_id)
    indonesian = streams(org.nips["staff2"], org.board_id)
    english.next()
    indonesian.next()
    with app.app_context():
        cards.add_comment(get_user("kasi", org), card_ids[0], "Mohon dicek")
    en = english.next()["data"]
    id_ = indonesian.next()["data"]
    assert "Add card" in en and "Add card" not in id_
    assert t("Add card") in id_


def test_add_card_forms_in_the_stream_carry_no_csrf_token(app, org, card_ids, streams):
    # Each viewer's page fills in its own token (live.js); the renderer's is never shared.
    stream = streams(org.nips["kasi"], org.board_id)
    stream.next()
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        cards.add_comment(get_user("kasi", org), card_ids[0], "Mohon dicek")
    html = stream.next()["data"]
    assert html.count('name="csrf_token" value=""') == 1


@pytest.mark.parametrize("who", ["outsider", None])
def test_only_people_who_see_the_board_may_subscribe(app, org, who):
    client = app.test_client()
    if who:
        client.post("/login", data={"username": org.nips[who], "password": PASSWORD})
    response = client.get(f"/boards/{org.board_id}/stream")
    assert response.status_code == (404 if who else 302)
    assert app.extensions["cergas_broker"].fanout.count() == 0


def test_a_closed_stream_unsubscribes(app, org, streams):
    stream = streams(org.nips["staff"], org.board_id)
    stream.next()
    broker = app.extensions["cergas_broker"]
    assert broker.fanout.count(org.board_id) == 1
    stream.close()
    assert broker.fanout.count(org.board_id) == 0


def test_the_board_page_carries_the_number_it_is_current_to(app, org, card_ids):
    client = app.test_client()
    client.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    page = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert 'data-live-seq="3"' in page
    assert f'sse-connect="/boards/{org.board_id}/stream"' in page
    assert "vendor/htmx-ext-sse-2.2.4.min.js" in page and "live.js" in page


def test_a_slow_page_gets_a_resync_instead_of_an_endless_queue(app, org):
    from app.broker import QUEUE_SIZE, RESYNC

    broker = app.extensions["cergas_broker"]
    with broker.subscribe(org.board_id) as subscription:
        for _ in range(QUEUE_SIZE + 3):
            broker.publish(org.board_id, {"columns": [org.backlog]})
        assert subscription.get(timeout=0.1) == RESYNC
        latest = broker.current_seq(org.board_id)
        assert subscription.get(timeout=0.1)["seq"] == latest - 1
        assert subscription.get(timeout=0.1)["seq"] == latest
        assert subscription.get(timeout=0.1) is None


def test_the_stream_ends_after_its_lifetime_so_the_page_reconnects(app, org):
    app.config.update(LIVE_MAX_STREAM_SECONDS=0.2, LIVE_KEEPALIVE_SECONDS=0.05)
    stream = Stream(app, org.nips["staff"], org.board_id)
    assert stream.next()["event"] == "hello"
    assert stream.next() is None  # the server ended the stream
    assert app.extensions["cergas_broker"].fanout.count() == 0


def test_healthz_answers_without_login(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable():
    from app import create_app
    from tests.conftest import test_config

    app = create_app(test_config("postgresql+psycopg://postgres@127.0.0.1:9/nowhere"))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"connect_timeout": 2}}
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
