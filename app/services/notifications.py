"""Notifications: stored for the in-app bell, then delivered through every plugin channel."""

from flask import current_app

from app.extensions import db
from app.models import Card, Notification, User
from app.services import tx


def notify(
    user: User,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    card: Card | None = None,
    kind: str = "info",
    plugin: str | None = None,
) -> Notification:
    """Tell one person something. The in-app copy is stored with the current use case (or on its
    own); channels (email, ...) deliver it once it is committed."""
    notification = Notification(
        user_id=user.id,
        title=title[:200],
        body=body or "",
        link=link,
        card_id=card.id if card is not None else None,
        kind=kind[:60],
        plugin=plugin,
    )

    def write():
        db.session.add(notification)

    tx.within_write(write)
    tx.after_commit(lambda: deliver(notification))
    return notification


def deliver(notification: Notification) -> None:
    """Hand a committed notification to every channel; a failing channel is isolated and counted."""
    host = current_app.extensions["cergas_plugins"]
    for plugin_name, channels in host.call("cergas_notification_channels"):
        for channel in channels or []:
            host.guard(plugin_name, "deliver", channel.deliver, notification)
