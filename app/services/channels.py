"""The channels an outbox delivery goes through, by name (`Delivery.channel`).

A sender takes one claimed `Delivery` (with its notification, its person or its webhook loaded)
and sends it, outside any request and outside any database transaction. It returns normally when
the remote side accepted the message, and raises `DeliveryFailed` otherwise: `retry=False` for a
failure that no retry can mend (no address, a 4xx a webhook receiver meant), `status`/`answer`
for what a webhook receiver said. Any other exception counts as a failure to retry.

Senders register themselves with `@sender("name")` in their own module, listed in
`SENDER_MODULES`; the outbox (`app/services/outbox.py`) asks `sender_for(channel)`. Plugin
channels (`cergas_notification_channels`) are `plugin:<plugin name>`.
"""

import importlib
from collections.abc import Callable

# Modules that register senders when imported (each owns its channels).
SENDER_MODULES = (
    "app.services.channel_email",
    "app.services.channel_chat",
    "app.services.webhooks",
    "app.services.channel_plugins",
)

_SENDERS: dict[str, Callable] = {}
_loaded = False


class DeliveryFailed(Exception):
    """A delivery that did not go through; the message is for the admin's dead-letter list."""

    def __init__(
        self, message: str, *, retry: bool = True, status: int | None = None, answer: str = ""
    ):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.status = status
        self.answer = answer


def sender(name: str):
    """Register the decorated function as the sender of channel `name` (or of every channel
    starting with `name` when it ends in `:`, e.g. `plugin:`)."""

    def register(function: Callable) -> Callable:
        _SENDERS[name] = function
        return function

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in SENDER_MODULES:
        importlib.import_module(module)
    _loaded = True


def sender_for(channel: str) -> Callable | None:
    """The sender of a channel, or None when no module offers it."""
    _load()
    if channel in _SENDERS:
        return _SENDERS[channel]
    prefix = channel.split(":", 1)[0] + ":"
    return _SENDERS.get(prefix) if ":" in channel else None


def channel_names() -> list[str]:
    _load()
    return sorted(_SENDERS)
