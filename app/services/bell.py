"""The bell's live count: who got a notification, published once the write has committed.

`ring(user_id)` is called where a notification is written (`notifications.notify`). The people
of one transaction are collected and published after its commit as one control message of the
live broker (`{"bell": [user ids]}`): in this process without Redis, to every process and host
with it. Each open bell stream (app/live/views.py `bell_stream`) of those people then counts
its person's unread notifications again and sends the number. Nothing is sent for a transaction
that rolls back.
"""

import contextvars
import json
import logging
import threading

from flask import current_app

from app.broker import Fanout
from app.services import tx

log = logging.getLogger(__name__)

# (the transaction's after-commit list, the set of people to ring)
_pending: contextvars.ContextVar = contextvars.ContextVar("cergas_bell_pending", default=None)


def ring(user_id: int) -> None:
    """Tell the person's open pages that their unread count changed, after the commit."""
    queue = tx._after_commit.get()
    if queue is None:
        publish({user_id})
        return
    current = _pending.get()
    if current is not None and current[0] is queue:
        current[1].add(user_id)
        return
    people = {user_id}
    _pending.set((queue, people))
    tx.after_commit(lambda: publish(people))


def publish(user_ids) -> None:
    """Publish one bell message; a broker failure never fails the committed write."""
    if not user_ids:
        return
    message = {"bell": sorted(user_ids)}
    try:
        broker = current_app.extensions["cergas_broker"]
        if broker.kind == "redis":
            # Straight to the channel: a writer (`cergas tick`, a request) need not start the
            # broker's listener thread to publish.
            broker.redis.publish(broker._control_channel(), json.dumps(message))
        else:
            broker.publish_control(message)
    except Exception:  # noqa: BLE001
        log.exception("bell: could not publish an unread count change")


class BellHub:
    """The open bell streams of this process, by person; fed by the broker's control messages."""

    def __init__(self):
        self.fanout = Fanout()

    def control(self, message: dict) -> None:
        people = message.get("bell")
        if not isinstance(people, list):
            return
        for user_id in people:
            if isinstance(user_id, int):
                self.fanout.deliver(user_id, {"bell": user_id})

    def subscribe(self, user_id: int):
        return self.fanout.add(user_id)


_create_lock = threading.Lock()


def hub(app) -> BellHub:
    """The bell hub of the app's broker (created and registered on first use)."""
    broker = app.extensions["cergas_broker"]
    found = getattr(broker, "bell_hub", None)
    if found is None:
        with _create_lock:
            found = getattr(broker, "bell_hub", None)
            if found is None:
                found = BellHub()
                broker.on_control(found.control)
                broker.bell_hub = found
    return found
