"""Sending email over SMTP: the one sender of the core (password-reset links) and of the email
notification channel (plugins/email).

Configured in the app config or the environment (the app config wins):

- `SMTP_URL`: `smtp://[user:password@]host:port[?starttls=1]`, or `smtps://...` for TLS from the
  first byte. Unset: no email is sent.
- `MAIL_FROM`: the sender address, default `cergas@localhost`.
- `BASE_URL`: e.g. `https://cergas.example.go.id`; makes the links in emails absolute.
- `SMTP_TIMEOUT`: seconds to wait for the server, default 10.
"""

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

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
    """A mail setting from the app config, else from the environment."""
    config = current_app.config
    value = config[name] if name in config else os.environ.get(name)
    return default if value is None or value == "" else value


def check_mail_settings() -> None:
    """Raise ValueError for an SMTP_URL or SMTP_TIMEOUT that cannot be used (at startup, rather
    than on every email)."""
    url = setting("SMTP_URL")
    if url:
        parse_smtp_url(str(url))
    float(setting("SMTP_TIMEOUT", DEFAULT_TIMEOUT))


def configured() -> bool:
    """True when SMTP_URL is set: email can be sent."""
    return bool(setting("SMTP_URL"))


def base_url() -> str | None:
    """BASE_URL without its trailing slash, or None when it is not set."""
    base = setting("BASE_URL")
    return str(base).rstrip("/") if base else None


def absolute_link(link: str | None) -> str | None:
    """A link of this site made absolute with BASE_URL when that is set."""
    base = base_url()
    if link and base and link.startswith("/") and not link.startswith("//"):
        return base + link
    return link


def one_line(text: str) -> str:
    return " ".join(text.split())


def compose(address: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from MAIL_FROM to `address`."""
    sender = str(setting("MAIL_FROM", DEFAULT_FROM))
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = one_line(subject) or "Cergas"
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


def send_email(address: str, subject: str, body: str) -> bool:
    """Send one plain-text email through SMTP_URL: False (nothing sent) when SMTP_URL is unset
    or the address is empty; a server that refuses or cannot be reached raises."""
    url = setting("SMTP_URL")
    address = (address or "").strip()
    if not url or not address:
        return False
    timeout = float(setting("SMTP_TIMEOUT", DEFAULT_TIMEOUT))
    send(parse_smtp_url(str(url)), compose(address, subject, body), timeout)
    return True
