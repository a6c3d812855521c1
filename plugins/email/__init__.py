"""Email: a notification channel that sends each notification to the person's email address.

Configured in the app config or the environment (the app config wins), the same settings the
core uses for its own emails (password-reset links; app/services/mail.py):

- `SMTP_URL`: `smtp://[user:password@]host:port[?starttls=1]`, or `smtps://...` for TLS from the
  first byte. Unset: no email is sent (the in-app notification is always stored).
- `MAIL_FROM`: the sender address, default `cergas@localhost`.
- `BASE_URL`: e.g. `https://cergas.example.go.id`; makes the links in emails absolute.
- `SMTP_TIMEOUT`: seconds to wait for the server, default 10.

Loading this plugin is the switch that turns email on: with it loaded and SMTP_URL set,
`notify()` queues an `email` delivery for each person who has an address and wants the event
by email (their notification preferences), and the outbox worker sends it
(app/services/channel_email.py), retrying a server that cannot be reached with growing delays.
The request that caused the notification never waits for the server.
"""

from flask_babel import lazy_gettext as _l

from cergas.plugin import (
    PluginInfo,
    absolute_link,
    check_mail_settings,
    hookimpl,
    parse_smtp_url,
    send_email,
)

# Who this plugin is (admin page, board settings, `cergas plugins`, the API) and the plugin API
# versions it is written for.
PLUGIN_INFO = PluginInfo(
    title=_l("Email notifications"),
    description=_l("Sends each notification to the person's email address."),
    api_range=">=1.0,<2",
)

__all__ = ["EmailChannel", "message_text", "parse_smtp_url"]


def message_text(notification) -> tuple[str, str]:
    """(subject, body) of a notification's email: its title, and its body followed by its
    link (a card's page when it has no link of its own), absolute with BASE_URL."""
    link = notification.link
    if not link and notification.card_id is not None:
        link = f"/cards/{notification.card_id}"
    body = notification.body or ""
    link = absolute_link(link)
    if link:
        body = f"{body}\n\n{link}" if body else link
    return notification.title or "", body


class EmailChannel:
    """Delivers a notification by email at once when SMTP_URL is set and the person has an
    address (kept for callers of plugin API 1.x; the outbox's `email` channel is what Cergas
    uses)."""

    def deliver(self, notification) -> None:
        user = notification.user
        address = (user.email or "").strip() if user is not None else ""
        if not address:
            return
        subject, body = message_text(notification)
        send_email(address, subject, body)


@hookimpl
def cergas_startup(app):
    """Refuse to start with an SMTP_URL that cannot be used, rather than fail on every email."""
    with app.app_context():
        check_mail_settings()
