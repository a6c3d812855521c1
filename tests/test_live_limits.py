"""Live streams cannot exhaust a worker and do not outlive the right to read them (issue 19,
finding 9): a person's newest pages win over their oldest, a full worker refuses more streams,
and an open stream ends when its login session ends (logout, deactivation) or the board is no
longer visible. The same under a real threaded server: tests/test_live_server.py."""

import uuid

import pytest
from sqlalchemy import delete

from app.broker import RedisBroker
from app.extensions import db
from app.live.streams import SUPERSEDED, StreamRefused, StreamRegistry, per_worker_limit
from app.models import Membership, User
from app.services import cards
from tests.conftest import PASSWORD, database_for, get_user
from tests.test_live_cluster import REDIS_SKIP, redis_url
from tests.test_live_stream import Stream

pytestmark = pytest.mark.pg


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A SQLite file: each stream is a thread with a connection of its own, as in a server."""
    return database_for(request.param, f"sqlite:///{tmp_path}/live.db")


@pytest.fixture
def streams(app):
    """open(login, board_id) -> Stream (a fresh login each); all closed after the test."""
    app.config.update(LIVE_KEEPALIVE_SECONDS=0.05, LIVE_RECHECK_SECONDS=0.05)
    opened = []

    def open_(login, board_id):
        stream = Stream(app, login, board_id)
        opened.append(stream)
        return stream

    yield open_
    for stream in opened:
        stream.close()


def events_until_end(stream) -> list[dict]:
    """The stream's remaining events, once the server ended it."""
    events = []
    while (event := stream.next()) is not None:
        events.append(event)
    return events


def live(app):
    return app.extensions["cergas_broker"].live_streams


def test_a_persons_newest_page_ends_their_oldest_stream(app, org, streams):
    app.config["LIVE_STREAMS_PER_USER"] = 3
    pages = [streams(org.nips["staff"], org.board_id) for _ in range(4)]
    for page in pages:
        assert page.response.status_code == 200
        assert page.next()["event"] == "hello"
    # The oldest page is told why, so it does not reconnect (and end the next one) at once.
    assert events_until_end(pages[0]) == [
        {"event": "closed", "id": None, "data": SUPERSEDED, "retry": None}
    ]
    assert live(app).count(org.users["staff"]) == 3
    # The other three still receive the board's changes.
    with app.app_context():
        cards.create_card(get_user("kasi", org), org.board_id, {"title": "Surat edaran"})
    for page in pages[1:]:
        assert page.next()["event"] == "columns"


def test_a_full_worker_refuses_more_streams_until_one_ends(app, org, streams):
    app.config["LIVE_STREAMS_PER_WORKER"] = 2
    first = streams(org.nips["staff"], org.board_id)
    streams(org.nips["staff2"], org.board_id)
    refused = streams(org.nips["kasi"], org.board_id)
    assert refused.response.status_code == 503
    assert refused.response.headers["Retry-After"].isdigit()
    assert refused.response.mimetype == "text/html"
    assert app.extensions["cergas_broker"].fanout.count() == 2
    first.close()
    assert streams(org.nips["kasi"], org.board_id).response.status_code == 200


def test_streams_that_were_told_to_end_still_count_until_they_have():
    """A client that stops reading keeps its thread: its superseded streams still fill the
    worker, and beyond twice the personal limit the person is refused."""
    registry = StreamRegistry()
    held = [registry.open(7, 1, per_user=2, per_worker=10) for _ in range(4)]
    assert [s.stop_reason for s in held] == [SUPERSEDED, SUPERSEDED, None, None]
    with pytest.raises(StreamRefused) as refused:
        registry.open(7, 1, per_user=2, per_worker=10)
    assert refused.value.status == 429
    assert registry.open(8, 1, per_user=2, per_worker=5) is not None
    with pytest.raises(StreamRefused) as refused:
        registry.open(9, 1, per_user=2, per_worker=5)
    assert refused.value.status == 503
    registry.close(held[0])
    assert registry.open(7, 1, per_user=2, per_worker=10).stop_reason is None


@pytest.mark.parametrize(
    ("threads", "configured", "admitted"),
    [(8, None, 4), (16, None, 12), (256, None, 192), (2, None, 1), (8, 7, 7)],
)
def test_streams_leave_threads_to_ordinary_requests(threads, configured, admitted):
    config = {"LIVE_WORKER_THREADS": threads, "LIVE_STREAMS_PER_WORKER": configured}
    assert per_worker_limit(config) == admitted


def test_logout_ends_the_open_stream_of_that_session_only(app, org, streams):
    mine = streams(org.nips["staff"], org.board_id)
    other_tab_elsewhere = streams(org.nips["staff"], org.board_id)
    colleague = streams(org.nips["staff2"], org.board_id)
    for stream in (mine, other_tab_elsewhere, colleague):
        assert stream.next()["event"] == "hello"
    assert mine.client.post("/logout").status_code == 302
    assert events_until_end(mine)[-1] == {
        "event": "closed",
        "id": None,
        "data": "ended",
        "retry": None,
    }
    # Re-checked many times meanwhile, the others are still open and still served.
    with app.app_context():
        cards.create_card(get_user("kasi", org), org.board_id, {"title": "Nota dinas"})
    assert other_tab_elsewhere.next()["event"] == "columns"
    assert colleague.next()["event"] == "columns"
    assert live(app).count() == 2


def test_a_deactivated_person_loses_their_open_stream(app, org, streams):
    stream = streams(org.nips["staff"], org.board_id)
    assert stream.next()["event"] == "hello"
    with app.app_context():
        db.session.get(User, org.users["staff"]).active = False
        db.session.commit()
    assert events_until_end(stream)[-1]["data"] == "ended"
    assert app.extensions["cergas_broker"].fanout.count() == 0


def test_leaving_the_boards_unit_ends_the_open_stream(app, org, streams):
    stream = streams(org.nips["staff"], org.board_id)
    assert stream.next()["event"] == "hello"
    with app.app_context():
        db.session.execute(delete(Membership).where(Membership.user_id == org.users["staff"]))
        db.session.commit()
    assert events_until_end(stream)[-1]["data"] == "ended"
    # And the page cannot open it again.
    assert streams(org.nips["staff"], org.board_id).response.status_code == 404


def test_with_redis_the_personal_limit_counts_every_worker(app, org, streams):
    """Two apps on one Redis stand for two workers: a person's newest stream on one ends their
    oldest on the other."""
    url = redis_url()
    if not url:
        pytest.skip(REDIS_SKIP)
    from app import create_app
    from tests.conftest import test_config

    prefix = f"cergas-test-{uuid.uuid4().hex[:8]}"
    app.extensions["cergas_broker"].close()
    app.extensions["cergas_broker"] = RedisBroker(url, prefix=prefix)
    other = create_app(
        test_config(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url, REDIS_PREFIX=prefix)
    )
    app.config["LIVE_STREAMS_PER_USER"] = other.config["LIVE_STREAMS_PER_USER"] = 2
    other.config.update(LIVE_KEEPALIVE_SECONDS=0.05, LIVE_RECHECK_SECONDS=0.05)
    oldest = streams(org.nips["staff"], org.board_id)
    second = streams(org.nips["staff"], org.board_id)
    for stream in (oldest, second):
        assert stream.next()["event"] == "hello"
    newest = Stream(other, org.nips["staff"], org.board_id)
    try:
        assert newest.next()["event"] == "hello"
        assert events_until_end(oldest)[-1]["data"] == SUPERSEDED
        assert live(app).count() == 1 and live(other).count() == 1
    finally:
        newest.close()
        app.extensions["cergas_broker"].close()
        other.extensions["cergas_broker"].close()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_stream_checks_the_login_session_as_every_request_does(app, org):
    """Not a copy of the rule: the stream asks `accounts.user_for_session`, so whatever ends a
    session for requests (logout, expiry, sign-out everywhere) ends its streams too."""
    from app.live import views

    client = app.test_client()
    client.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    with client.session_transaction() as session:
        sid = session["sid"]
    with app.app_context():
        assert views.still_allowed(org.users["staff"], sid, org.board_id)
        assert not views.still_allowed(org.users["staff"], "not-" + sid, org.board_id)
        assert not views.still_allowed(org.users["outsider"], sid, org.board_id)
    client.post("/logout")
    with app.app_context():
        assert not views.still_allowed(org.users["staff"], sid, org.board_id)


def test_the_streams_check_is_not_activity(app, org):
    """An open board tab re-checks its session every few seconds; that must not keep a
    forgotten tab's session alive past its idle lifetime."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.extensions import db
    from app.live import views
    from app.models import LoginSession, utcnow

    client = app.test_client()
    client.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    with client.session_transaction() as session:
        sid = session["sid"]
    an_hour_ago = utcnow() - timedelta(hours=1)
    with app.app_context():
        row = db.session.scalar(
            select(LoginSession).where(LoginSession.user_id == org.users["staff"])
        )
        row.last_seen_at = an_hour_ago
        db.session.commit()
        assert views.still_allowed(org.users["staff"], sid, org.board_id)
        db.session.expire_all()
        seen = db.session.scalar(
            select(LoginSession.last_seen_at).where(LoginSession.user_id == org.users["staff"])
        )
        assert seen.replace(tzinfo=None) == an_hour_ago.replace(tzinfo=None)


def test_database_trouble_during_a_check_ends_the_stream_for_a_reconnect(
    app, org, streams, monkeypatch
):
    """A failed check says nothing about the session: the stream ends without `closed`, so the
    page reconnects (and that request is checked as any other) instead of going quiet."""
    from sqlalchemy.exc import OperationalError

    from app.services import accounts

    stream = streams(org.nips["staff"], org.board_id)
    assert stream.next()["event"] == "hello"

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(accounts, "user_for_session", unreachable)
    assert events_until_end(stream) == []
    assert live(app).count() == 0
