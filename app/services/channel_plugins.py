"""`plugin:<name>` channels: the channels a plugin offers through `cergas_notification_channels`
(each object's `deliver(notification)`), called by the worker outside any request.

A digest (a delivery without a notification) reaches the plugin as an unsaved notification
whose title and body are the digest's. A failure is counted on the plugin (/admin/plugins) and
retried like any delivery.
"""

from flask import current_app

from app.models import Notification
from app.services.channels import DeliveryFailed, sender
from app.services.outbox import message_text, recipient


@sender("plugin:")
def send(delivery) -> None:
    name = delivery.channel.split(":", 1)[1]
    host = current_app.extensions["cergas_plugins"]
    answers = host.call("cergas_notification_channels")
    offered = [found for plugin, found in answers if plugin == name]
    if not offered:
        raise DeliveryFailed(f"plugin {name!r} offers no notification channel now")
    notification = delivery.notification
    if notification is None:
        subject, body = message_text(delivery)
        user = recipient(delivery)
        notification = Notification(
            user_id=user.id if user is not None else None, title=subject, body=body, kind="digest"
        )
        notification.user = user
    for channel in offered[0] or []:
        try:
            channel.deliver(notification)
        except Exception as exc:
            host.failed(name, "deliver", exc)
            raise
