"""`cergas users edit|transfer|deactivate|reactivate|sessions|sign-out`: people administration
from the server's shell, through app/services/people.py (and app/services/sessions_admin.py)
like the pages and the API. The shell's operator acts as
an administrator (whoever runs the server's commands owns its database); the administrative
log records these changes without a person as actor."""

import click
from flask_babel import gettext as _

from app.cli import _require_schema, _service_errors, console_actor, users_cli
from app.models import ROLES, User
from app.services import people
from app.services.errors import Conflict


def _show(person: User) -> None:
    member = people.membership_of(person)
    where = f"{member.unit.code} ({member.role})" if member else "-"
    flags = (" " + _("admin") if person.is_admin else "") + (
        "" if person.active else " " + _("inactive")
    )
    click.echo(f"{person.login}  {person.name}  {where}{flags}")


def _explain_undecided(exc: Conflict) -> None:
    body = exc.to_dict()["error"]
    for card in body.get("cards", []):
        click.echo(
            _(
                "  card %(id)s %(title)s (%(board)s): --reassign %(id)s=LOGIN or --unassign-all",
                id=card["id"],
                title=card["title"],
                board=card["board"],
            ),
            err=True,
        )


@users_cli.command("edit")
@click.argument("login")
@click.option("--name", help="Full name with degrees.")
@click.option("--position", help="Jabatan.")
@click.option("--email")
@click.option("--phone", help="For WhatsApp; kept as +62...")
@click.option("--nip")
@click.option("--username")
@click.option("--unit", "unit_code", help="A new unit: a transfer (see `users transfer`).")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--admin/--no-admin", default=None, help="Grant or revoke administrator rights.")
@click.option("--locale", type=click.Choice(["id", "en"]))
@_service_errors
def edit_user(login, name, position, email, phone, nip, username, unit_code, role, admin, locale):
    """Change a person's details, role or admin flag."""
    _require_schema()
    given = {
        "name": name,
        "position": position,
        "email": email,
        "phone": phone,
        "nip": nip,
        "username": username,
        "unit": unit_code,
        "role": role,
        "admin": admin,
        "locale": locale,
    }
    data = {key: value for key, value in given.items() if value is not None}
    if not data:
        raise click.UsageError(_("Give at least one field to change."))
    try:
        person = people.update_person(console_actor(), login, data)
    except people.DecisionsMissing as exc:
        _explain_undecided(exc)
        raise
    _show(person)


@users_cli.command("transfer")
@click.argument("login")
@click.option("--unit", "unit_code", required=True, help="Code of the new unit.")
@click.option("--role", type=click.Choice(ROLES), help="Role there (default: as now).")
@click.option(
    "--reassign",
    multiple=True,
    metavar="CARD=LOGIN",
    help="Who takes over an open card the person would lose; repeat for each card.",
)
@click.option("--unassign-all", is_flag=True, help="Unassign every open card not reassigned.")
@_service_errors
def transfer_user(login, unit_code, role, reassign, unassign_all):
    """Transfer (mutasi) a person to another unit, deciding for each open card they lose."""
    _require_schema()
    decisions: dict[str, object] = {}
    for item in reassign:
        card, sep, target = item.partition("=")
        if not sep or not card.strip().isdigit() or not target.strip():
            raise click.UsageError(_("--reassign takes CARD=LOGIN, e.g. 12=199001012015011004."))
        decisions[card.strip()] = {"assignee": target.strip()}
    actor = console_actor()
    if unassign_all:
        plan = people.plan_transfer(actor, login, unit_code, role=role)
        for card in plan.cards:
            decisions.setdefault(str(card.id), {"unassign": True})
    try:
        plan = people.transfer(actor, login, unit_code, decisions, role=role)
    except people.DecisionsMissing as exc:
        _explain_undecided(exc)
        raise
    click.echo(_("%(name)s now works in %(unit)s.", name=plan.person.name, unit=plan.unit.name))
    for card in plan.cards:
        target = decisions[str(card.id)]
        click.echo(
            f"  #{card.id} {card.title}: "
            + (
                target.get("assignee")
                if isinstance(target, dict) and target.get("assignee")
                else _("unassigned")
            )
        )


@users_cli.command("deactivate")
@click.argument("login")
@click.option("--reason", required=True, type=click.Choice(list(people.DEACTIVATION_REASONS)))
@click.option("--note", default="", help="Required with --reason other.")
@_service_errors
def deactivate_user(login, reason, note):
    """Deactivate a person: no sign-in, sessions and tokens end, open cards flagged."""
    _require_schema()
    person = people.deactivate(console_actor(), login, reason, note)
    click.echo(_("%(name)s is deactivated.", name=person.name))


@users_cli.command("reactivate")
@click.argument("login")
@_service_errors
def reactivate_user(login):
    """Reactivate a deactivated person."""
    _require_schema()
    person = people.reactivate(console_actor(), login)
    click.echo(_("%(name)s is active again.", name=person.name))


@users_cli.command("sessions")
@click.argument("login")
@_service_errors
def user_sessions(login):
    """Where a person is signed in, and their recent sign-ins."""
    from app.auth.words import browser_of, label_of, outcome_words
    from app.services import sessions_admin

    _require_schema()
    seen = sessions_admin.sessions_of(console_actor(), login)
    click.echo(_("Sessions of %(name)s:", name=seen.person.name))
    for row in seen.sessions:
        second = " + " + _("authenticator code") if row.two_factor else ""
        active = _("last active %(when)s UTC", when=f"{row.last_seen_at:%Y-%m-%d %H:%M}")
        click.echo(
            f"  #{row.id}  {label_of(row.method)}{second}  {browser_of(row.user_agent)}"
            f"  {row.address or '-'}  {row.created_at:%Y-%m-%d %H:%M} UTC  ({active})"
        )
    if not seen.sessions:
        click.echo("  " + _("Not signed in anywhere."))
    click.echo(_("Recent sign-ins:"))
    for event in seen.recent:
        click.echo(
            f"  {event.at:%Y-%m-%d %H:%M} UTC  {label_of(event.method)}"
            f"  {outcome_words(event.outcome)}  {event.address or '-'}"
        )


@users_cli.command("sign-out")
@click.argument("login")
@click.option("--reason", required=True, help="Why, for the administrative log.")
@click.option("--session", "session_id", type=int, help="End only this session (its #number).")
@click.option("--tokens", is_flag=True, help="Also revoke the person's API tokens.")
@_service_errors
def sign_out_user(login, reason, session_id, tokens):
    """End a person's sessions (all, or one with --session)."""
    from app.services import sessions_admin

    _require_schema()
    if session_id is not None:
        sessions_admin.end_session(console_actor(), login, session_id, reason)
        click.echo(_("The session was ended; that browser must log in again."))
        return
    ended = sessions_admin.end_all(console_actor(), login, reason, tokens=tokens)
    click.echo(
        _(
            "Sessions ended: %(sessions)d; API tokens revoked: %(tokens)d.",
            sessions=ended.sessions,
            tokens=ended.tokens,
        )
    )


@users_cli.command("reset-two-factor")
@click.argument("login")
@click.option("--reason", required=True, help="Recorded in the administration log.")
@_service_errors
def reset_two_factor(login, reason):
    """Reset a person's two-factor sign-in (a lost phone and lost recovery codes; also an
    administrator locked out): their next sign-in asks only for the password, or sets it up
    again where the office requires it."""
    from app.services import two_factor

    _require_schema()
    person = two_factor.reset(console_actor(), login, reason)
    click.echo(_("Two-factor sign-in of %(name)s was reset.", name=person.name))
