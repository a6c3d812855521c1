"""`cergas users set-password LOGIN` and `cergas users reset-link LOGIN`: for the operator of the
server (no signed-in actor; the administrative log records them as done from the server)."""

import click
from flask import current_app
from flask_babel import gettext as _

from app.cli import _require_schema, _service_errors, users_cli
from app.services import mail, passwords
from app.services.cards import find_user


def _person(login: str):
    person = find_user(login.strip())
    if person is None:
        raise click.ClickException(_("No user has the NIP or username %(login)s.", login=login))
    return person


@users_cli.command("set-password")
@click.argument("login")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for twice when not given.",
)
@_service_errors
def set_password(login, password):
    """Set a person's password (NIP or username); their sessions and API tokens end."""
    _require_schema()
    person = _person(login)
    changed = passwords.set_password(None, person, password, password, note="cergas users")
    click.echo(_("Password set for %(login)s (%(name)s).", login=person.login, name=person.name))
    click.echo(
        _(
            "Sessions ended: %(sessions)d; API tokens revoked: %(tokens)d.",
            sessions=changed.sessions_ended,
            tokens=changed.tokens_revoked,
        )
    )


@users_cli.command("reset-link")
@click.argument("login")
@click.option("--email", "send_email", is_flag=True, help="Also email it to the person.")
@_service_errors
def reset_link(login, send_email):
    """Print a one-time link with which a person sets their password (NIP or username)."""
    _require_schema()
    person = _person(login)
    issued = passwords.issue_link(None, person.login, send_email=send_email)
    link = mail.absolute_link(issued.path)
    click.echo(
        _(
            "Link for %(login)s (%(name)s), valid once until %(when)s UTC:",
            login=person.login,
            name=person.name,
            when=issued.expires_at.isoformat(sep=" ", timespec="minutes"),
        )
    )
    click.echo(link)
    if mail.base_url() is None:
        click.echo(_("Put the site's address before it (set BASE_URL to have it printed)."))
    if issued.emailed:
        passwords.wait_for_mail(current_app._get_current_object())
        click.echo(_("Also sent to %(email)s.", email=person.email))
