"""Webhooks: integrations (n8n, a regional data portal, a chat bot) told of a board's events.

A head registers a URL for the boards they manage (`access.can_manage_board`: heads of the
board's unit, the leader of a team's board), an admin for every board (`board_id` None); each
names the events it wants (`EVENTS`). When one of those happens, the write that makes it also
writes one outbox delivery per webhook that wants it (`emit`, called by `audit.record` and
`audit.record_now`, through which every change passes), in the same transaction: a refused or
rolled-back change sends nothing. The worker then POSTs the JSON body, signed with the webhook's
secret (`send`), and retries like any delivery.

Why the URL check (`clean_url`): the server, not the person registering, makes the request.
A webhook to `http://127.0.0.1:6379/`, `http://169.254.169.254/` (a cloud's metadata service)
or an address of the office network would let anyone who may register one reach services
behind the firewall and read their answers on the webhook page (server-side request forgery).
So loopback, private, link-local and reserved addresses are refused, when registering and
again before each send (a name may resolve elsewhere later), unless the admin allows them
with CERGAS_WEBHOOK_ALLOW_PRIVATE=1 (an integration on the same host or network; tests).

The hot path: whether a board has any active webhook, and for which events, is kept per
process for `CACHE_SECONDS` (dropped at once on a change in this process). A change with no
webhook wanting it costs no query; one that is wanted reads the webhooks in its transaction.
"""

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import socket
import threading
import time
import uuid
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as distribution_version
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy import update as sql_update

from app.extensions import db
from app.models import Board, Card, Delivery, User, Webhook, utcnow
from app.services import admin_log, outbox, tx
from app.services import validation as v
from app.services.access import can_manage_board, managed_boards_clause, visible_board
from app.services.channels import DeliveryFailed, sender
from app.services.errors import Forbidden, NotFound

EVENTS = {
    "card.created": _l("A card is created"),
    "card.moved": _l("A card is moved"),
    "card.updated": _l("A card is changed"),
    "card.commented": _l("A card gets a comment"),
    "approval.decided": _l("A paraf is decided"),
    "sprint.started": _l("A sprint starts"),
    "sprint.closed": _l("A sprint is closed"),
}
# Audit event kinds (app/services/audit.py) -> webhook events.
KIND_EVENTS = {
    "created": "card.created",
    "moved": "card.moved",
    "updated": "card.updated",
    "assigned": "card.updated",
    "deadline_changed": "card.updated",
    "comment": "card.commented",
    # The approvals plugin (plugins/approvals/paraf.py): a step's decision.
    "approval_approved": "approval.decided",
    "approval_returned": "approval.decided",
    "approval_rejected": "approval.decided",
    "sprint_started": "sprint.started",
    "sprint_closed": "sprint.closed",
}
CHANNEL = "webhook"
CACHE_SECONDS = 5
TIMEOUT_SECONDS = 10
ANSWER_BYTES = 1024
MIN_SECRET, MAX_SECRET = 16, 128
MAX_WEBHOOKS_PER_BOARD = 20
RECENT_DELIVERIES = 20


# --- the URL --------------------------------------------------------------------------------


def private_allowed() -> bool:
    value = current_app.config.get("CERGAS_WEBHOOK_ALLOW_PRIVATE")
    if value is None:
        value = os.environ.get("CERGAS_WEBHOOK_ALLOW_PRIVATE", "")
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _addresses(host: str) -> list:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def _inside(address) -> bool:
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def refused_host(host: str) -> str | None:
    """Why the server may not call `host` (None: it may)."""
    if private_allowed():
        return None
    addresses = _addresses(host)
    if not addresses:
        return _("The address's host name cannot be found.")
    if any(_inside(address) for address in addresses):
        return _("Addresses inside the office network or on this server are not allowed.")
    return None


def clean_url(value) -> str:
    url = v.text(value, field_max=500, required=True)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise v.FieldError(_("Not a valid web address.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise v.FieldError(_("Give a web address starting with http:// or https://."))
    if parts.username or parts.password:
        raise v.FieldError(_("A web address with a user name or password is not allowed."))
    if port == 0:
        raise v.FieldError(_("Not a valid web address."))
    refusal = refused_host(parts.hostname)
    if refusal:
        raise v.FieldError(refusal)
    return url


def clean_events(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise v.FieldError(_("Must be a list of events."))
    unknown = sorted(set(value) - set(EVENTS))
    if unknown:
        raise v.FieldError(
            _(
                "Unknown event: %(names)s. Choose from %(known)s.",
                names=", ".join(unknown),
                known=", ".join(EVENTS),
            )
        )
    if not value:
        raise v.FieldError(_("Choose at least one event."))
    return [name for name in EVENTS if name in value]


def clean_secret(value) -> str:
    if value is None or value == "":
        return secrets.token_hex(32)
    secret = v.text(value, field_max=MAX_SECRET)
    if len(secret) < MIN_SECRET:
        raise v.FieldError(_("At least %(n)d characters.", n=MIN_SECRET))
    return secret


def clean_active(value) -> bool:
    if not isinstance(value, bool):
        raise v.FieldError(_("Must be true or false."))
    return value


# --- the per-process cache --------------------------------------------------------------------


class _Wanted:
    """board id -> (expires, {event names some active webhook of the board or of every board
    wants}); the all-board webhooks' events under key None."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items: dict = {}

    def events(self, board_id: int) -> frozenset:
        now = time.monotonic()
        item = self.items.get(board_id)
        if item is not None and item[0] > now:
            return item[1]
        rows = db.session.execute(
            select(Webhook.events).where(
                Webhook.active.is_(True),
                or_(Webhook.board_id == board_id, Webhook.board_id.is_(None)),
            )
        ).all()
        wanted = frozenset(name for (events,) in rows for name in events or ())
        with self.lock:
            self.items[board_id] = (now + CACHE_SECONDS, wanted)
        return wanted

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def _cache() -> _Wanted:
    app = current_app._get_current_object()
    cache = app.extensions.get("cergas_webhooks_cache")
    if cache is None:
        cache = app.extensions.setdefault("cergas_webhooks_cache", _Wanted())
    return cache


def forget() -> None:
    """Drop this process's caches (a webhook was added, changed or removed)."""
    _cache().clear()
    with _targets_lock:
        _targets().clear()


def wanted(board_id: int, event: str) -> bool:
    """Whether some active webhook may want `event` of the board (from the cache)."""
    return event in _cache().events(board_id)


# --- emission ---------------------------------------------------------------------------------


def _iso(moment) -> str:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000).isoformat() + "Z"


def _card_json(card: Card) -> dict:
    column = card.column
    return {
        "id": card.id,
        "board_id": card.board_id,
        "column": {"id": column.id, "name": column.name} if column is not None else None,
        "position": card.position,
        "title": card.title,
        "type": card.type,
        "assignee": card.assignee.login if card.assignee is not None else None,
        "due_date": card.due_date.isoformat() if card.due_date else None,
        "priority": card.priority,
        "labels": list(card.labels or []),
    }


def payload(event: str, actor: User | None, board: Board, card: Card | None, data: dict) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "event": event,
        "occurred_at": _iso(utcnow()),
        "board": {"id": board.id, "name": board.name},
        "card": _card_json(card) if card is not None else None,
        "actor": {"login": actor.login, "name": actor.name} if actor is not None else None,
        "data": data,
    }


def emit(kind: str, actor: User | None, board_id: int, card_id: int | None, data: dict) -> None:
    """In the current write transaction: one delivery per active webhook wanting the event of
    audit kind `kind` (nothing, and no query, when the cache says none does)."""
    event = KIND_EVENTS.get(kind)
    if event is None or not wanted(board_id, event):
        return
    hooks = [
        hook
        for hook in db.session.scalars(
            select(Webhook).where(
                Webhook.active.is_(True),
                or_(Webhook.board_id == board_id, Webhook.board_id.is_(None)),
            )
        )
        if event in (hook.events or ())
    ]
    if not hooks:
        return
    board = db.session.get(Board, board_id)
    card = db.session.get(Card, card_id) if card_id is not None else None
    body = payload(event, actor, board, card, data)
    for hook in sorted(hooks, key=lambda hook: hook.id):
        outbox.enqueue(CHANNEL, webhook_id=hook.id, payload=body, event_id=body["id"])


# --- keeping webhooks ------------------------------------------------------------------------


def _not_found() -> NotFound:
    return NotFound("not_found", _("Webhook not found."))


def managed_webhook(actor: User, webhook_id) -> Webhook:
    """The webhook, if `actor` may manage it (its board's managers; admins for every one)."""
    row = db.session.get(Webhook, webhook_id) if isinstance(webhook_id, int) else None
    if row is None:
        raise _not_found()
    if actor.is_admin:
        return row
    if row.board_id is None:
        raise _not_found()
    try:
        board = visible_board(actor, row.board_id)
    except NotFound:
        raise _not_found() from None
    if not can_manage_board(actor, board):
        raise Forbidden("forbidden", _("Only those who manage the board may change its webhooks."))
    return row


def _board_for(actor: User, board_id) -> Board | None:
    if board_id is None:
        if not actor.is_admin:
            raise Forbidden("forbidden", _("Only an admin may add a webhook for every board."))
        return None
    board = visible_board(actor, board_id)
    if not can_manage_board(actor, board):
        raise Forbidden("forbidden", _("Only those who manage the board may add its webhooks."))
    return board


def _described(row: Webhook) -> dict:
    # Never the secret: the log is read by every admin.
    return {"board_id": row.board_id, "url": row.url, "events": list(row.events or [])}


def _label(row: Webhook) -> str:
    return f"{row.name} ({row.url})"


def register(actor: User, board_id, data: dict) -> tuple[Webhook, str]:
    """A new webhook; returns it with its secret (shown this once)."""
    if not isinstance(data, dict):
        raise v.invalid({"": _("Must be an object.")})
    fields = v.Fields()
    url = fields.clean("url", clean_url, data.get("url"))
    events = fields.clean("events", clean_events, data.get("events"))
    secret = fields.clean("secret", clean_secret, data.get("secret"))
    name = fields.clean("name", lambda x: v.text(x, field_max=120), data.get("name"))
    fields.raise_if_any()
    with tx.write_transaction():
        board = _board_for(actor, board_id)
        if board is not None:
            tx.lock_board(board.id)
        count = len(
            db.session.scalars(
                select(Webhook.id).where(
                    Webhook.board_id == board.id if board else Webhook.board_id.is_(None)
                )
            ).all()
        )
        if count >= MAX_WEBHOOKS_PER_BOARD:
            raise v.invalid({"url": _("At most %(n)d webhooks.", n=MAX_WEBHOOKS_PER_BOARD)})
        now = utcnow()
        row = Webhook(
            board_id=board.id if board else None,
            name=name or urlsplit(url).hostname,
            url=url,
            events=events,
            secret=secret,
            active=True,
            created_by_id=actor.id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(row)
        db.session.flush()
        admin_log.record(
            "webhook.created", actor, "webhook", row, label=_label(row), after=_described(row)
        )
        tx.after_commit(forget)
    forget()
    return row, secret


def list_webhooks(actor: User, board_id=None) -> list[Webhook]:
    """The webhooks `actor` may manage (of one board when `board_id` is given)."""
    query = select(Webhook).order_by(Webhook.board_id.is_not(None), Webhook.board_id, Webhook.id)
    if board_id is not None:
        board = visible_board(actor, board_id)
        if not can_manage_board(actor, board):
            raise Forbidden("forbidden", _("Only those who manage the board see its webhooks."))
        query = query.where(Webhook.board_id == board.id)
    elif not actor.is_admin:
        managed = select(Board.id).where(managed_boards_clause(actor))
        query = query.where(Webhook.board_id.in_(managed))
    return list(db.session.scalars(query))


def get_webhook(actor: User, webhook_id) -> Webhook:
    return managed_webhook(actor, webhook_id)


def recent_deliveries(row: Webhook, limit: int = RECENT_DELIVERIES) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.webhook_id == row.id)
            .order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .limit(limit)
        )
    )


_UPDATERS = {"events": clean_events, "active": clean_active, "url": clean_url}


def update_webhook(actor: User, webhook_id, data: dict) -> Webhook:
    """Change `events`, `active` or `url` (a given `name` too)."""
    if not isinstance(data, dict):
        raise v.invalid({"": _("Must be an object.")})
    cleaners = {**_UPDATERS, "name": lambda x: v.text(x, field_max=120, required=True)}
    unknown = sorted(set(data) - set(cleaners))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    fields = v.Fields()
    cleaned = {name: fields.clean(name, cleaners[name], data[name]) for name in data}
    fields.raise_if_any()
    with tx.write_transaction():
        row = managed_webhook(actor, webhook_id)
        before = _described(row) | {"active": row.active}
        changed = {name: value for name, value in cleaned.items() if getattr(row, name) != value}
        for name, value in changed.items():
            setattr(row, name, value)
        if changed:
            row.updated_at = utcnow()
            admin_log.record(
                "webhook.updated",
                actor,
                "webhook",
                row,
                label=_label(row),
                before=before,
                after=_described(row) | {"active": row.active},
            )
            tx.after_commit(forget)
    forget()
    return row


def rotate_secret(actor: User, webhook_id, secret=None) -> tuple[Webhook, str]:
    """A new secret (generated, or the one given); returns it (shown this once)."""
    try:
        secret = clean_secret(secret)
    except v.FieldError as exc:
        raise v.invalid({"secret": str(exc)}) from None
    with tx.write_transaction():
        row = managed_webhook(actor, webhook_id)
        row.secret = secret
        row.updated_at = utcnow()
        admin_log.record("webhook.secret_rotated", actor, "webhook", row, label=_label(row))
    return row, secret


def delete(actor: User, webhook_id) -> None:
    """Removed, with its deliveries (sent or waiting)."""
    with tx.write_transaction():
        row = managed_webhook(actor, webhook_id)
        admin_log.record(
            "webhook.deleted", actor, "webhook", row, label=_label(row), before=_described(row)
        )
        db.session.delete(row)
        tx.after_commit(forget)
    forget()


def redeliver(actor: User, webhook_id, delivery_id) -> Delivery:
    """The same body once more, as a new delivery with the same event id (receivers that have
    it already drop it)."""
    with tx.write_transaction():
        row = managed_webhook(actor, webhook_id)
        old = db.session.get(Delivery, delivery_id) if isinstance(delivery_id, int) else None
        if old is None or old.webhook_id != row.id:
            raise NotFound("not_found", _("Delivery not found."))
        outbox.enqueue(CHANNEL, webhook_id=row.id, payload=old.payload, event_id=old.event_id)
        return old


def deactivate_gone(webhook_id: int) -> None:
    """The receiver answered 410 Gone: the webhook stops (its managers may switch it on again).
    Written on a connection of its own: the sender runs outside any transaction."""
    with db.engine.begin() as connection:
        connection.execute(
            sql_update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(active=False, updated_at=utcnow())
        )
    forget()


# --- sending ----------------------------------------------------------------------------------

_local = threading.local()


@cache
def user_agent() -> str:
    try:
        version = distribution_version("cergas")
    except PackageNotFoundError:
        version = "dev"
    return f"Cergas-Webhook/{version}"


def _session() -> requests.Session:
    """One keep-alive session per thread (connections to a receiver are reused)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def signature(secret: str, body: bytes) -> str:
    """The `X-Cergas-Signature` header's value for `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def body_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# A worker sends many deliveries of one webhook in a row: its address and secret are read once
# a second, not once a delivery (a query each on PostgreSQL: a third of the time of 10,000
# deliveries). A change made in this process forgets them at once (`forget_targets`); one made
# elsewhere counts within TARGET_SECONDS (a delivery signed with the old secret in that second
# is answered with an error by a strict receiver and sent again).
TARGET_SECONDS = 1.0
_targets_lock = threading.Lock()


def _targets() -> dict[int, tuple[float, tuple | None]]:
    """This app's cache of targets (several apps in one process, as in tests, keep their own)."""
    app = current_app._get_current_object()
    return app.extensions.setdefault("cergas_webhook_targets", {})


def _target(webhook_id: int):
    """(url, secret, active), read fresh at most TARGET_SECONDS ago: in the worker's
    transaction if it holds one, else on a connection of its own, so that no transaction is
    left open while the receiver answers."""
    now = time.monotonic()
    targets = _targets()
    with _targets_lock:
        cached = targets.get(webhook_id)
    if cached is not None and now - cached[0] < TARGET_SECONDS:
        return cached[1]
    query = select(Webhook.url, Webhook.secret, Webhook.active).where(Webhook.id == webhook_id)
    if db.session().in_transaction():
        row = db.session.execute(query).first()
    else:
        with db.engine.connect() as connection:
            row = connection.execute(query).first()
    target = tuple(row) if row is not None else None
    with _targets_lock:
        targets[webhook_id] = (now, target)
    return target


@sender(CHANNEL)
def send(delivery: Delivery) -> dict:
    target = _target(delivery.webhook_id) if delivery.webhook_id is not None else None
    if target is None:
        raise DeliveryFailed("The webhook was removed.", retry=False)
    url, secret, active = target
    if not active:
        raise DeliveryFailed("The webhook is switched off.", retry=False)
    refusal = refused_host(urlsplit(url).hostname or "")
    if refusal:
        raise DeliveryFailed(f"Refused address: {url}", retry=False)
    body = body_bytes(delivery.payload or {})
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent(),
        "X-Cergas-Event": (delivery.payload or {}).get("event", ""),
        "X-Cergas-Event-Id": delivery.event_id or "",
        "X-Cergas-Delivery": str(delivery.id),
        "X-Cergas-Signature": signature(secret, body),
    }
    try:
        response = _session().post(
            url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:ANSWER_BYTES]) from exc
    answer = response.content[:ANSWER_BYTES].decode("utf-8", "replace")
    if 200 <= response.status_code < 300:
        # What the receiver said, for the webhook page; the worker writes these with the row.
        delivery.last_status, delivery.last_answer = response.status_code, answer
        return {"status": response.status_code, "answer": answer}
    if response.status_code == 410:
        deactivate_gone(delivery.webhook_id)
        raise DeliveryFailed(
            "410 Gone: the receiver is gone; the webhook is switched off.",
            retry=False,
            status=410,
            answer=answer,
        )
    raise DeliveryFailed(f"HTTP {response.status_code}", status=response.status_code, answer=answer)
