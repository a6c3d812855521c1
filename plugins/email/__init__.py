"""Email: a notification channel that sends each notification to the person's email address.

Configured in the app config or the environment (the app config wins):

- `SMTP_URL`: `smtp://[user:password@]host:port[?starttls=1]`, or `smtps://...` for TLS from the
  first byte. Unset: no email is sent (the in-app notification is always stored).
- `MAIL_FROM`: the sender address, default `cergas@localhost`.
- `BASE_URL`: e.g. `https://cergas.example.go.id`; makes the links in emails absolute.
- `SMTP_TIMEOUT`: seconds to wait for the server, default 10.

A person without an email address gets no email. A server that cannot be reached raises, which
the plugin host logs and counts on this plugin (see /admin/plugins); the notification itself
and the request that sent it are not affected.
"""

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from app.plugin_api import hookimpl

DEFAULT_FROM = "cergas@localhost"
DEFAULT_TIMEOUT = 10.0
TRUE_VALUES = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    tls: bool = False


def parse_smtp_url(url: str) -> SmtpServer:
    """An SmtpServer from `smtp://[user:pass@]host:port[?starttls=1]` (or `smtps://`); a
    ValueError saying what is wrong otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {url!r}")
    if not parts.hostname:
        raise ValueError(f"SMTP_URL names no host: {url!r}")
    port = parts.port  # raises ValueError for a port that is not a number in range
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[-1].strip().lower() in TRUE_VALUES
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls and not tls,
        tls=tls,
    )


def setting(name: str, default=None):
    """A setting from the app config, else from the environment."""
    config = current_app.config
    value = config[name] if name in config else os.environ.get(name)
    return default if value is None or value == "" else value


def absolute(link: str | None) -> str | None:
    """A link of this site made absolute with BASE_URL when that is set."""
    base = setting("BASE_URL")
    if link and base and link.startswith("/") and not link.startswith("//"):
        return str(base).rstrip("/") + link
    return link


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_message(notification, address: str) -> EmailMessage:
    sender = str(setting("MAIL_FROM", DEFAULT_FROM))
    link = notification.link
    if not link and notification.card_id is not None:
        link = f"/cards/{notification.card_id}"
    body = notification.body or ""
    link = absolute(link)
    if link:
        body = f"{body}\n\n{link}" if body else link
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = _one_line(notification.title) or "Cergas"
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(body + "\n")
    return message


def send(server: SmtpServer, message: EmailMessage, timeout: float) -> None:
    if server.tls:
        smtp = smtplib.SMTP_SSL(
            server.host, server.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with smtp:
        if server.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(message)


class EmailChannel:
    """Delivers a notification by email when SMTP_URL is set and the person has an address."""

    def deliver(self, notification) -> None:
        url = setting("SMTP_URL")
        if not url:
            return
        user = notification.user
        address = (user.email or "").strip() if user is not None else ""
        if not address:
            return
        server = parse_smtp_url(str(url))
        timeout = float(setting("SMTP_TIMEOUT", DEFAULT_TIMEOUT))
        send(server, build_message(notification, address), timeout)


@hookimpl
def cergas_startup(app):
    """Refuse to start with an SMTP_URL that cannot be used, rather than fail on every email."""
    with app.app_context():
        url = setting("SMTP_URL")
        if url:
            parse_smtp_url(str(url))
        float(setting("SMTP_TIMEOUT", DEFAULT_TIMEOUT))


@hookimpl
def cergas_notification_channels():
    return [EmailChannel()]
