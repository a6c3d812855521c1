"""`GET /boards/<id>/stream`: a board's changes as Server-Sent Events; `GET /healthz`.

The stream opens with a `hello` event carrying the board's message number. Then each change
arrives as a `columns` event whose data is the fresh HTML of the changed columns and whose id is
the message number, or as a `refresh` event when the board's shape changed. A page that sees a
gap in the numbers (it was offline, or the broker lost messages) reloads its columns, so it
always catches up. Comments keep the connection open through proxies and reveal closed clients.

Rendering happens here, in the stream, not in the writer: each subscriber sees the board in its
own language. One render per message and language per process is shared by every subscriber
(`_RenderCache`), so 200 open pages cost one render, not 200.
"""

import threading
import time
from collections import OrderedDict

from flask import Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from app.extensions import db
from app.live import bp
from app.models import User
from app.services import access, work
from app.services.errors import NotFound
from app.views_common import board_context

KEEPALIVE_SECONDS = 15
# Streams end after this long (the page reconnects at once): access is checked again and
# connections spread evenly over workers after a deploy.
MAX_STREAM_SECONDS = 600
RETRY_MS = 2000


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


@bp.get("/boards/<id:board_id>/stream")
@login_required
def stream(board_id):
    user = current_user._get_current_object()
    board = access.visible_board(user, board_id)
    user_id, board_id = user.id, board.id
    locale = str(get_locale())
    app = current_app._get_current_object()
    broker = app.extensions["cergas_broker"]
    # Each render runs in a fresh request context made from this request (the same session,
    # user and language) instead of keeping this one pushed for the stream's whole life.
    environ = dict(request.environ)
    keepalive = app.config.get("LIVE_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS)
    lifetime = app.config.get("LIVE_MAX_STREAM_SECONDS", MAX_STREAM_SECONDS)

    def render(message):
        with app.request_context(environ):
            return _message_events(message, user_id, board_id, locale, broker)

    def events():
        # Subscribe before reading the number: a change between the two is then both counted
        # in `hello` and delivered, never lost.
        with broker.subscribe(board_id) as subscription:
            seq = broker.current_seq(board_id)
            yield f"retry: {RETRY_MS}\n" + sse("hello", str(seq))
            deadline = time.monotonic() + lifetime
            while time.monotonic() < deadline:
                message = subscription.get(timeout=min(keepalive, deadline - time.monotonic()))
                if message is None:
                    yield ": keepalive\n\n"
                    continue
                yield render(message)

    response = Response(events(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    # nginx: pass events through at once instead of buffering them.
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
