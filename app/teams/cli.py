"""`cergas teams ...` and `cergas acting ...`: work teams and acting heads from the shell. The
shell's operator acts as an administrator (they can read the database anyway); the services
log every change with no person as its author."""

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli import _service_errors, console_actor
from app.services import acting, teams

teams_cli = AppGroup("teams", help="Work teams (tim kerja): members and the team leader.")
acting_cli = AppGroup("acting", help="Acting heads (Plt/Plh) of units.")


@teams_cli.command("create")
@click.option("--code", required=True, help="Short unique code, e.g. TIM-SPBE.")
@click.option("--name", required=True, help="The team's name.")
@click.option("--unit", "unit_code", required=True, help="Code of the unit the team sits in.")
@click.option("--leader", required=True, help="NIP or username of the team leader (ketua tim).")
@click.option("--member", "members", multiple=True, help="NIP or username; repeat for more.")
@_service_errors
def create_team(code, name, unit_code, leader, members):
    team = teams.create_team(console_actor(), code, name, unit_code, leader, list(members))
    click.echo(_("Team %(code)s created: %(name)s.", code=team.code, name=team.name))


@teams_cli.command("list")
@_service_errors
def list_teams():
    items = teams.visible_teams(console_actor())
    counts = teams.member_counts(team.id for team in items)
    for team in items:
        state = "" if team.active else " " + _("inactive")
        leader = team.leader.login if team.leader else "-"
        click.echo(
            f"{team.code}  {team.name}  {team.unit.code}  {leader}  "
            + _("%(n)d members", n=counts.get(team.id, 0))
            + state
        )


@teams_cli.command("add-member")
@click.argument("code")
@click.argument("login")
@_service_errors
def add_member(code, login):
    teams.add_member(console_actor(), code, login)
    click.echo(_("%(login)s added to %(code)s.", login=login, code=code))


@teams_cli.command("remove-member")
@click.argument("code")
@click.argument("login")
@click.option(
    "--reassign",
    "reassign",
    multiple=True,
    help="CARD_ID=LOGIN: who takes over an open card on the team's boards (default: unassigned).",
)
@_service_errors
def remove_member(code, login, reassign):
    handover = {}
    for item in reassign:
        card_id, sep, person = item.partition("=")
        if not sep or not card_id.strip():
            raise click.UsageError(_("Write --reassign CARD_ID=LOGIN."))
        handover[card_id.strip()] = person.strip()
    handed = teams.remove_member(console_actor(), code, login, handover)
    click.echo(_("%(login)s removed from %(code)s.", login=login, code=code))
    for card in handed:
        to = card.assignee.login if card.assignee else _("nobody")
        click.echo(_("  card %(id)d %(title)s -> %(to)s", id=card.id, title=card.title, to=to))


@teams_cli.command("set-leader")
@click.argument("code")
@click.argument("login")
@_service_errors
def set_leader(code, login):
    team = teams.set_leader(console_actor(), code, login)
    click.echo(_("%(name)s now leads %(code)s.", name=team.leader.name, code=team.code))


@acting_cli.command("appoint")
@click.option("--unit", "unit_code", required=True, help="Code of the unit.")
@click.option("--user", "login", required=True, help="NIP or username of the person acting.")
@click.option("--kind", type=click.Choice(["plt", "plh"]), required=True)
@click.option("--from", "starts_on", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "ends_on", required=True, help="Last day (included), YYYY-MM-DD.")
@click.option("--decree", required=True, help="Number of the surat perintah.")
@_service_errors
def appoint(unit_code, login, kind, starts_on, ends_on, decree):
    item = acting.appoint(console_actor(), unit_code, login, kind, starts_on, ends_on, decree)
    click.echo(
        _(
            "Appointment %(id)d: %(name)s is %(kind)s of %(unit)s from %(start)s to %(end)s.",
            id=item.id,
            name=item.user.name,
            kind=item.kind.capitalize(),
            unit=item.unit.code,
            start=item.starts_on.isoformat(),
            end=item.ends_on.isoformat(),
        )
    )


@acting_cli.command("list")
@click.option("--unit", "unit_code", help="Only this unit.")
@_service_errors
def list_acting(unit_code):
    for item in acting.appointments(console_actor(), unit_code):
        click.echo(
            f"{item.id}  {item.unit.code}  {item.kind}  {item.user.login}  {item.user.name}  "
            f"{item.starts_on.isoformat()}..{item.ends_on.isoformat()}  {acting.status(item)}  "
            f"{item.decree}"
        )


@acting_cli.command("end")
@click.argument("item_id", type=int)
@_service_errors
def end(item_id):
    item = acting.end(console_actor(), item_id)
    click.echo(_("Appointment %(id)d ended.", id=item.id))
