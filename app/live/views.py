"""`GET /boards/<id>/stream`: a board's changes as Server-Sent Events; `GET /healthz`.

`GET /notifications/stream`: the bell's unread count, live (`bell_stream`, below).

The stream opens with a `hello` event carrying the board's message number. Then each change
arrives as a `columns` event whose data is the fresh HTML of the changed columns and whose id is
the message number, or as a `refresh` event when the board's shape changed. A page that sees a
gap in the numbers (it was offline, or the broker lost messages) reloads its columns, so it
always catches up. Comments keep the connection open through proxies and reveal closed clients.

While open, the stream checks every `LIVE_RECHECK_SECONDS` (10) that its login session is still
live (`accounts.user_for_session`, as every request does: logout, expiry, deactivation), and that
the person may still see the board; when not, it sends `closed` (`ended`) and ends. How many
streams may be open, per person and per worker, is app/live/streams.py's business; a stream
ended there gets `closed` (`superseded`).

Rendering happens here, in the stream, not in the writer: each subscriber sees the board in its
own language. One render per message and language per process is shared by every subscriber
(`_RenderCache`), so 200 open pages cost one render, not 200.
"""

import logging
import threading
import time
from collections import OrderedDict

from flask import Response, current_app, jsonify, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from app.extensions import db
from app.live import bp, streams
from app.models import User
from app.services import access, accounts, work
from app.services.errors import NotFound
from app.views_common import board_context

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15
# Streams end after this long (the page reconnects at once): access is checked again and
# connections spread evenly over workers after a deploy.
MAX_STREAM_SECONDS = 600
RETRY_MS = 2000
# How often an open stream checks that its session is live and the board still visible.
RECHECK_SECONDS = 10
# A refused stream: when the page may try again (the htmx sse extension backs off on its own).
REFUSED_RETRY_SECONDS = 30
# Put into a subscriber's queue to interrupt its wait when the stream must end.
_WAKE = {"wake": True}


class _RenderCache:
    """The HTML of recent messages, by (board, message number, language), for this process."""

    def __init__(self, size: int = 16):
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict = OrderedDict()

    def get_or_render(self, key, render):
        # One lock: the first subscriber renders, the others wait for its result instead of
        # rendering the same columns again.
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            html = render()
            self.items[key] = html
            while len(self.items) > self.size:
                self.items.popitem(last=False)
            return html


def _cache() -> _RenderCache:
    return current_app.extensions.setdefault("cergas_live_cache", _RenderCache())


def sse(event: str, data: str, event_id: int | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


def render_columns(user_id: int, board_id: int, column_ids: list[int]) -> str | None:
    """Fresh HTML of some columns (and the plugin warnings) as every board viewer sees them;
    None when the columns are gone or the board is no longer visible (the page reloads)."""
    try:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            return None
        try:
            context = board_context(user, board_id, work.BoardFilters(), column_ids=column_ids)
        except NotFound:
            return None
        present = {column.id: column for column in context["view"].columns}
        if any(column_id not in present for column_id in column_ids):
            return None
        columns = [present[column_id] for column_id in column_ids]
        html = render_template("boards/_live.html", columns=columns, **context)
        # The add-card forms carry the renderer's CSRF token; other viewers get theirs from
        # the page (app/static/live.js fills it in), so the token is not shared.
        token = generate_csrf() if current_app.config.get("WTF_CSRF_ENABLED", True) else None
        return html.replace(token, "") if token else html
    finally:
        # Give the connection back: a stream lives for minutes, a render for milliseconds.
        db.session.remove()


def _message_events(message: dict, user_id: int, board_id: int, locale: str, broker) -> str:
    if message.get("resync"):
        return sse("hello", str(broker.current_seq(board_id)))
    seq = int(message["seq"])
    if message.get("full") or not message.get("columns"):
        return sse("refresh", str(seq), seq)
    column_ids = [int(c) for c in message["columns"]]
    html = _cache().get_or_render(
        (board_id, seq, locale), lambda: render_columns(user_id, board_id, column_ids)
    )
    if html is None:
        return sse("refresh", str(seq), seq)
    return sse("columns", html, seq)


def still_allowed(user_id: int, session_id, board_id: int) -> bool:
    """The request path's own checks, again: a live login session of an active user (whatever
    ends sessions: logout, expiry, deactivation) who may still see the board. Database errors
    are raised: they say nothing about the session."""
    try:
        user = accounts.user_for_session(user_id, session_id, touch=False)
        if user is None:
            return False
        access.visible_board(user, board_id)
        return True
    except NotFound:
        return False
    finally:
        db.session.remove()


def refused(status: int) -> Response:
    """No stream for now; EventSource gives up on a non-200 answer and the sse extension tries
    again later, waiting longer each time."""
    if status == 429:
        message = _("Too many requests. Wait a moment and try again.")
    else:
        message = _("Too many pages with live updates are open. This page tries again shortly.")
    response = Response(
        render_template("error.html", status=status, message=message), status=status
    )
    response.headers["Retry-After"] = str(REFUSED_RETRY_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/boards/<id:board_id>/stream")
@login_required
def stream(board_id):
    user = current_user._get_current_object()
    board = access.visible_board(user, board_id)
    user_id, board_id = user.id, board.id
    session_id = session.get("sid")
    locale = str(get_locale())
    app = current_app._get_current_object()
    broker = app.extensions["cergas_broker"]
    config = app.config
    lifetime = config.get("LIVE_MAX_STREAM_SECONDS", MAX_STREAM_SECONDS)
    per_user = int(config.get("LIVE_STREAMS_PER_USER") or streams.PER_USER)
    registry = streams.registry(app)
    try:
        opened = registry.open(
            user_id, board_id, per_user=per_user, per_worker=streams.per_worker_limit(config)
        )
    except streams.StreamRefused as refusal:
        return refused(refusal.status)
    shared = streams.SharedUserLimit(broker, lifetime) if broker.kind == "redis" else None
    if shared is not None:
        shared.admit(opened, per_user)
    # Each render runs in a fresh request context made from this request (the same session,
    # user and language) instead of keeping this one pushed for the stream's whole life.
    environ = dict(request.environ)
    keepalive = config.get("LIVE_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS)
    recheck = config.get("LIVE_RECHECK_SECONDS", RECHECK_SECONDS)

    def render(message):
        with app.request_context(environ):
            return _message_events(message, user_id, board_id, locale, broker)

    def allowed() -> bool:
        with app.app_context():
            return still_allowed(user_id, session_id, board_id)

    def release():
        registry.close(opened)
        if shared is not None:
            shared.release(opened)

    def events():
        # Subscribe before reading the number: a change between the two is then both counted
        # in `hello` and delivered, never lost.
        try:
            with broker.subscribe(board_id) as subscription:
                opened.on_stop(lambda: subscription.deliver(_WAKE))
                seq = broker.current_seq(board_id)
                yield f"retry: {RETRY_MS}\n" + sse("hello", str(seq))
                now = last_sent = time.monotonic()
                deadline, next_check = now + lifetime, now + recheck
                while now < deadline:
                    if opened.stop_reason is None and now >= next_check:
                        next_check = now + recheck
                        try:
                            if not allowed():
                                opened.stop(streams.ENDED)
                        except Exception:  # noqa: BLE001
                            # Database trouble: end without `closed`; the page reconnects,
                            # and its new request is checked as any other.
                            log.exception("live updates: could not check a stream's session")
                            return
                    if opened.stop_reason == streams.SHUTDOWN:
                        return  # the page reconnects, to another worker
                    if opened.stop_reason is not None:
                        # The page stops reconnecting (sse-close in templates/boards/board.html).
                        yield sse("closed", opened.stop_reason)
                        return
                    if now - last_sent >= keepalive:
                        yield ": keepalive\n\n"
                        last_sent = now
                    wait = min(deadline, next_check, last_sent + keepalive) - now
                    message = subscription.get(timeout=max(0.0, wait))
                    if message is not None and message is not _WAKE:
                        yield render(message)
                        last_sent = time.monotonic()
                    now = time.monotonic()
        finally:
            release()

    response = Response(events(), mimetype="text/event-stream")
    # Also when the server drops the response without reading it (the client went away).
    response.call_on_close(release)
    response.headers["Cache-Control"] = "no-cache"
    # nginx: pass events through at once instead of buffering them.
    response.headers["X-Accel-Buffering"] = "no"
    return response


# --- the bell's live count (Server-Sent Events) ----------------------------------------------


@bp.get("/notifications/stream")
@login_required
def bell_stream():
    """The signed-in person's unread count as Server-Sent Events: `unread` with the number when
    the stream opens and whenever a notification for them is written (app/services/bell.py).
    Limited like the board streams (app/live/streams.py; `closed` when superseded or when the
    login session ends), and ends after LIVE_MAX_STREAM_SECONDS (the page reconnects)."""
    from app.services import bell, notifications

    user = current_user._get_current_object()
    user_id, session_id = user.id, session.get("sid")
    app = current_app._get_current_object()
    config = app.config
    lifetime = config.get("LIVE_MAX_STREAM_SECONDS", MAX_STREAM_SECONDS)
    per_user = int(config.get("LIVE_STREAMS_PER_USER") or streams.PER_USER)
    registry = streams.registry(app)
    try:
        opened = registry.open(
            user_id, streams.BELL, per_user=per_user, per_worker=streams.per_worker_limit(config)
        )
    except streams.StreamRefused as refusal:
        return refused(refusal.status)
    keepalive = config.get("LIVE_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS)
    recheck = config.get("LIVE_RECHECK_SECONDS", RECHECK_SECONDS)
    hub = bell.hub(app)
    broker = app.extensions["cergas_broker"]
    wake = {"wake": True}

    def count() -> int | None:
        """The unread count, or None when the session has ended."""
        with app.app_context():
            try:
                person = accounts.user_for_session(user_id, session_id, touch=False)
                if person is None:
                    return None
                return notifications.unread_count(person)
            finally:
                db.session.remove()

    def events():
        try:
            with hub.subscribe(user_id) as subscription:
                if broker.kind == "redis":
                    broker._start_listener()  # control messages from other processes
                opened.on_stop(lambda: subscription.deliver(wake))
                last = count()
                if last is None:
                    yield sse("closed", streams.ENDED)
                    return
                yield f"retry: {RETRY_MS}\n" + sse("unread", str(last))
                now = last_sent = time.monotonic()
                deadline, next_check = now + lifetime, now + recheck
                while now < deadline:
                    if opened.stop_reason == streams.SHUTDOWN:
                        return
                    if opened.stop_reason is not None:
                        yield sse("closed", opened.stop_reason)
                        return
                    message = None
                    if now - last_sent >= keepalive:
                        yield ": keepalive\n\n"
                        last_sent = now
                    else:
                        wait = min(deadline, next_check, last_sent + keepalive) - now
                        message = subscription.get(timeout=max(0.0, wait))
                    now = time.monotonic()
                    if (message is not None and message is not wake) or now >= next_check:
                        next_check = now + recheck
                        try:
                            unread = count()
                        except Exception:  # noqa: BLE001  (database trouble: the page reconnects)
                            log.exception("bell: could not count unread notifications")
                            return
                        if unread is None:
                            opened.stop(streams.ENDED)
                            continue
                        if unread != last:
                            last = unread
                            yield sse("unread", str(unread))
                            last_sent = time.monotonic()
        finally:
            registry.close(opened)

    response = Response(events(), mimetype="text/event-stream")
    response.call_on_close(lambda: registry.close(opened))
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.get("/healthz")
def healthz():
    """For a load balancer: 200 when the database answers, 503 when it does not. Redis trouble
    only slows live updates down, so it is reported but does not take the host out."""
    checks = {}
    status = 200
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001
        checks["database"] = "unreachable"
        status = 503
    finally:
        db.session.remove()
    broker = current_app.extensions["cergas_broker"]
    if broker.kind == "redis":
        try:
            broker.redis.ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            checks["redis"] = "unreachable"
    response = jsonify({"status": "ok" if status == 200 else "unavailable", **checks})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
