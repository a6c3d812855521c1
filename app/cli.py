"""The `cergas` command: Flask's CLI bound to the app, plus Cergas' own commands.

`cergas run`, `cergas db upgrade` and every other Flask command work as `flask --app wsgi ...`
would. The commands below stay thin: they parse options, call app/services and turn a
ServiceError into a one-line message and exit code 1 (never a traceback).
"""

import contextlib
import functools
import logging
import time

import click
from flask.cli import AppGroup, FlaskGroup, run_command, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import OperationalError

from app import archive_cli
from app.extensions import db
from app.models import ROLES, TIMEZONES, Unit, User
from app.services import accounts, signin, units
from app.services.cards import find_user
from app.services.errors import ServiceError


def _service_errors(command):
    """Report a refused use case as `Error: message` (plus each bad field) and exit 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ServiceError as exc:
            db.session.rollback()
            lines = [exc.message]
            lines += [f"  {name}: {message}" for name, message in sorted(exc.fields.items())]
            raise click.ClickException("\n".join(lines)) from None

    return wrapper


def _require_schema() -> None:
    """Fail clearly when the tables are missing instead of with a database traceback."""
    try:
        ready = inspect(db.engine).has_table("users")
    except OperationalError as exc:
        message = _("Cannot reach the database: %(error)s", error=exc.orig)
        raise click.ClickException(message) from None
    if not ready:
        raise click.ClickException(
            _("The database has no tables yet. Run `cergas db upgrade` first.")
        )


def console_actor() -> User:
    """Whoever runs the server's commands: an administrator (they can read the database anyway)
    who is nobody in the database (never saved); the administrative log records their changes
    with no person as author."""
    return User(name=_("Server console"), username="console", is_admin=True, active=True)


def _user_from_options(nip: str | None, username: str | None) -> User:
    login = nip or username
    if not login or (nip and username):
        raise click.UsageError(_("Give exactly one of --nip or --username."))
    user = find_user(login)
    if user is None:
        raise click.ClickException(_("No user has the NIP or username %(login)s.", login=login))
    return user


units_cli = AppGroup("units", help="Organisational units (Dinas > Bidang > Seksi).")
users_cli = AppGroup("users", help="People, their unit and role.")
tokens_cli = AppGroup("tokens", help="API tokens for the JSON API.")


@units_cli.command("create")
@click.option("--code", required=True, help="Short unique code, e.g. BID-APTIKA.")
@click.option("--name", required=True, help="Full name of the unit.")
@click.option("--parent", "parent_code", help="Code of the parent unit.")
@click.option(
    "--tz",
    "timezone",
    type=click.Choice(list(TIMEZONES)),
    default="Asia/Jakarta",
    show_default=True,
    help="Time zone: WIB, WITA or WIT.",
)
@_service_errors
def create_unit(code, name, parent_code, timezone):
    """Create a unit."""
    _require_schema()
    unit = units.create_unit(code, name, parent_code=parent_code, timezone=timezone)
    click.echo(
        _(
            "Created unit %(code)s: %(name)s (%(zone)s)",
            code=unit.code,
            name=unit.name,
            zone=unit.zone_abbr,
        )
    )


@units_cli.command("list")
def list_units():
    """List the units as a tree."""
    _require_schema()
    rows = units.tree()
    if not rows:
        click.echo(_("No units yet."))
    for row in rows:
        unit = row.unit
        inactive = "" if unit.active else "  " + _("(inactive)")
        click.echo(f"{'  ' * row.depth}{unit.code}  {unit.name}  [{unit.zone_abbr}]{inactive}")


def _edited(unit) -> None:
    parent = unit.parent.code if unit.parent is not None else "-"
    state = _("active") if unit.active else _("inactive")
    click.echo(
        _(
            "Unit %(code)s: %(name)s, under %(parent)s, %(zone)s, %(state)s",
            code=unit.code,
            name=unit.name,
            parent=parent,
            zone=unit.zone_abbr,
            state=state,
        )
    )


@units_cli.command("edit")
@click.argument("code")
@click.option("--name", help="New name.")
@click.option("--parent", "parent_code", help="Code of the new parent unit.")
@click.option("--top", is_flag=True, help="Make it a top unit (no parent).")
@click.option("--tz", "timezone", help="Time zone: Asia/Jakarta, Asia/Makassar, Asia/Jayapura.")
@_service_errors
def edit_unit(code, name, parent_code, top, timezone):
    """Rename a unit, move it under another parent, or change its time zone."""
    _require_schema()
    if parent_code and top:
        raise click.UsageError(_("Give --parent or --top, not both."))
    changes = {}
    if name is not None:
        changes["name"] = name
    if parent_code is not None or top:
        changes["parent"] = None if top else parent_code
    if timezone is not None:
        changes["timezone"] = timezone
    if not changes:
        raise click.UsageError(_("Give at least one of --name, --parent, --top or --tz."))
    _edited(units.edit_unit(None, code, changes))


@units_cli.command("rename")
@click.argument("code")
@click.argument("name")
@_service_errors
def rename_unit(code, name):
    """Give a unit a new name."""
    _require_schema()
    _edited(units.rename_unit(None, code, name))


@units_cli.command("move")
@click.argument("code")
@click.argument("parent_code", required=False)
@_service_errors
def move_unit(code, parent_code):
    """Move a unit under PARENT_CODE (without it: make it a top unit)."""
    _require_schema()
    _edited(units.move_unit(None, code, parent_code))


@units_cli.command("deactivate")
@click.argument("code")
@_service_errors
def deactivate_unit(code):
    """Deactivate a unit that has no active people, boards, sub-units or teams."""
    _require_schema()
    _edited(units.deactivate_unit(None, code))


@units_cli.command("reactivate")
@click.argument("code")
@_service_errors
def reactivate_unit(code):
    """Make an inactive unit active again."""
    _require_schema()
    _edited(units.reactivate_unit(None, code))


@users_cli.command("create")
@click.option("--nip", help="18-digit NIP.")
@click.option("--username", help="Username, for people without a NIP.")
@click.option("--name", required=True, help="Full name with titles.")
@click.option("--unit", "unit_code", help="Code of the unit the person belongs to.")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--admin", is_flag=True, help="Make the person a site administrator.")
@click.option("--email")
@click.option("--locale", type=click.Choice(["id", "en"]))
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters; asked for when not given.",
)
@_service_errors
def create_user(nip, username, name, unit_code, role, admin, email, locale, password):
    """Create a person, optionally in a unit with a role."""
    _require_schema()
    if not nip and not username:
        raise click.UsageError(_("Give --nip or --username."))
    user = accounts.create_user(
        name,
        password,
        nip=nip,
        username=username,
        unit_code=unit_code,
        role=role,
        admin=admin,
        email=email,
        locale=locale,
    )
    click.echo(_("Created user %(login)s: %(name)s", login=user.login, name=user.name))
    if unit_code:
        click.echo(_("Unit %(unit)s, role %(role)s", unit=unit_code, role=role))
    if admin:
        click.echo(_("Site administrator."))


@users_cli.command("list")
@click.option("--search", "query", help="Part of a name, NIP or username.")
@click.option("--unit", "unit_code", help="A unit code (with its sub-units).")
@click.option("--role", type=click.Choice(ROLES))
@click.option(
    "--status",
    type=click.Choice(["active", "inactive", "all"]),
    default="all",
    show_default=True,
)
@_service_errors
def list_users(query, unit_code, role, status):
    """List people with their units and roles."""
    from app.people.cli import console_actor
    from app.services import people

    _require_schema()
    filters = people.clean_filters(
        {"q": query, "unit": unit_code, "role": role, "status": status, "sub_units": "1"}
    )
    actor, shown = console_actor(), 0
    while True:
        page = people.list_people(actor, filters, per_page=200)
        for user in page.items:
            roles = ", ".join(f"{m.unit.code} ({m.role})" for m in user.memberships) or "-"
            flags = " " + _("admin") if user.is_admin else ""
            flags += "" if user.active else " " + _("inactive")
            click.echo(f"{user.login:<18}  {user.name:<40}  {roles}{flags}")
        shown += len(page.items)
        if page.page >= page.pages:
            break
        filters["page"] = page.page + 1
    if not shown:
        click.echo(
            _("No users yet.") if not any((query, unit_code, role)) else _("Nobody matches.")
        )


@tokens_cli.command("create")
@click.option("--nip", help="NIP of the token's owner.")
@click.option("--username", help="Username of the token's owner.")
@click.option("--name", "token_name", default="cli", show_default=True, help="A label.")
@_service_errors
def create_token(nip, username, token_name):
    """Create an API token; it is printed once, alone on the last line."""
    _require_schema()
    user = _user_from_options(nip, username)
    token = accounts.create_token(user, token_name)
    click.echo(
        _(
            "API token for %(login)s (%(name)s); store it now, it is not shown again:",
            login=user.login,
            name=user.name,
        )
    )
    click.echo(token)


@tokens_cli.command("revoke")
@click.option("--nip", help="NIP of the tokens' owner.")
@click.option("--username", help="Username of the tokens' owner.")
@_service_errors
def revoke_tokens(nip, username):
    """Revoke every API token of a person."""
    _require_schema()
    user = _user_from_options(nip, username)
    count = accounts.revoke_tokens(user)
    click.echo(
        ngettext(
            "Revoked %(num)d token of %(login)s.",
            "Revoked %(num)d tokens of %(login)s.",
            count,
            login=user.login,
        )
    )


@click.command("demo")
@with_appcontext
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when the database has users."
)
# --reset (issue 26): start the demo afresh, on a database that already holds one.
@click.option(
    "--reset",
    is_flag=True,
    help="Empty the database and the document folder first (asks unless --yes).",
)
@click.option("--yes", is_flag=True, help="With --reset: do not ask for confirmation.")
@click.option(
    "--weeks",
    type=click.IntRange(1, 26),
    default=12,
    show_default=True,
    help="Weeks of work played before today (fewer build faster, e.g. in tests).",
)
@_service_errors
def demo(if_empty, reset, yes, weeks):
    """Fill an empty database with a believable Diskominfo office and its last twelve weeks."""
    from app import demo as demo_data

    if reset and if_empty:
        raise click.UsageError(_("Use either --reset or --if-empty, not both."))
    if reset:
        from app.demo.reset import empty_document_folder, reset_database

        url = db.engine.url.render_as_string(hide_password=True)
        if not yes:
            click.confirm(
                _(
                    "This deletes ALL data in %(db)s and every stored document, then builds "
                    "the demo office again. Continue?",
                    db=url,
                ),
                abort=True,
            )
        reset_database()
        folder = empty_document_folder()
        click.echo(_("Emptied the database %(db)s.", db=url))
        if folder is not None:
            click.echo(_("Emptied the document folder %(folder)s.", folder=str(folder)))
    _require_schema()
    if db.session.scalar(select(func.count(User.id))):
        if if_empty:
            return
        raise click.ClickException(
            _("The database already has users; `cergas demo` only fills an empty database.")
        )
    summary = demo_data.create_demo(weeks=weeks)
    click.echo(
        _(
            "Demo office created: %(units)d units, %(people)d people, %(boards)d boards, "
            "%(cards)d cards.",
            units=summary.units,
            people=summary.people,
            boards=summary.boards,
            cards=summary.cards,
        )
    )
    click.echo(_("Log in with a NIP or username below; password: %(pw)s", pw=demo_data.PASSWORD))
    for login, name, description in summary.logins:
        click.echo(f"  {login:<18}  {name:<32}  {description}")


@click.command("setup")
@with_appcontext
@click.option("--code-only", is_flag=True, help="Only print a one-time code for /setup.")
@click.option("--nip", help="The first administrator's NIP.")
@click.option("--username", help="Or a username, for someone without a NIP.")
@click.option("--name", help="The administrator's full name with degrees.")
@click.option("--email", help="The administrator's email (optional).")
@click.option("--password", help="Asked for (twice) when not given.")
@click.option("--unit-code", help="The office's top unit: its short code, e.g. DISKOMINFO.")
@click.option("--unit-name", help="The top unit's name.")
@click.option("--tz", "timezone", help="The top unit's time zone: WIB, WITA or WIT.")
@_service_errors
def setup_command(code_only, nip, username, name, email, password, unit_code, unit_name, timezone):
    """The first start: create the first administrator and the office's top unit (asks for
    what is not given), or with --code-only print a code to do it in the browser at /setup."""
    from app.services import setup

    _require_schema()
    if setup.admin_exists():
        raise click.ClickException(
            _("An administrator exists already: sign in and manage Cergas in the browser.")
        )
    if code_only:
        code = setup.issue_code()
        click.echo(
            _(
                "Open /setup in a browser and enter this code (valid for %(hours)d hours, once):",
                hours=setup.SETUP_CODE_HOURS,
            )
        )
        click.echo(code)
        return
    if not nip and not username:
        login = click.prompt(_("Administrator's NIP (or a username without NIP)")).strip()
        if login.isdigit():
            nip = login
        else:
            username = login
    name = name or click.prompt(_("Full name with degrees"))
    if email is None:
        email = click.prompt(_("Email (optional)"), default="", show_default=False)
    if password is None:
        password = click.prompt(
            _("Password (at least 8 characters)"), hide_input=True, confirmation_prompt=True
        )
    data = {
        "nip": nip,
        "username": username,
        "name": name,
        "email": email,
        "password": password,
        "password_confirm": password,
    }
    # Check the answers before a code is spent, so a typo costs nothing.
    setup.clean_admin(data)
    unit_name = unit_name or click.prompt(_("The office's top unit: its name"))
    unit_code = unit_code or click.prompt(_("Its short code (e.g. DISKOMINFO)"))
    timezone = timezone or click.prompt(
        _("Its time zone"), type=click.Choice(["WIB", "WITA", "WIT"]), default="WIB"
    )
    fields = {}
    for field, cleaner, value in (
        ("unit_code", units.clean_code, unit_code),
        ("unit_name", units.clean_name, unit_name),
        ("tz", units.clean_timezone, timezone),
    ):
        try:
            cleaner(value)
        except ValueError as exc:
            fields[field] = str(exc)
    if fields:
        raise ServiceError("validation_error", _("Some fields are not valid."), fields=fields)
    if db.session.scalar(select(Unit.id).where(Unit.code == unit_code.strip())):
        raise click.ClickException(
            _("A unit with code %(code)s exists already.", code=unit_code.strip())
        )
    code_id = setup.check_code(setup.issue_code(), "cli")
    admin = setup.create_first_admin(code_id, data)
    unit = units.create_unit(unit_code, unit_name, None, timezone, actor=admin)
    click.echo(_("Administrator %(login)s: %(name)s", login=admin.login, name=admin.name))
    click.echo(
        _(
            "Top unit %(code)s: %(name)s (%(zone)s)",
            code=unit.code,
            name=unit.name,
            zone=unit.zone_abbr,
        )
    )
    click.echo(_("Sign in at /login; add the units below it at /admin/units."))


def _run_with_setup_code(run):
    """`cergas run`, which first prints a setup code when the database has no administrator
    (once, not again in the reloader's child process)."""
    import os

    from flask.cli import ScriptInfo

    @functools.wraps(run.callback)
    @click.pass_context
    def callback(ctx, **kwargs):
        from app.services import setup

        if os.environ.get("WERKZEUG_RUN_MAIN") != "true":
            setup.announce(ctx.ensure_object(ScriptInfo).load_app())
        return ctx.invoke(run.callback, **kwargs)

    return click.Command(
        run.name, callback=callback, params=run.params, help=run.help, short_help=run.short_help
    )


def _plugin_host():
    from flask import current_app

    return current_app.extensions["cergas_plugins"]


@click.command("plugins")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def plugins_command(as_json):
    """List every plugin: name, title, version, status (loaded/failed/incompatible/disabled),
    hooks, errors, and why an incompatible plugin is not loaded."""
    import json

    records = sorted(_plugin_host().records.values(), key=lambda record: record.name)
    if as_json:
        keys = (
            "name",
            "title",
            "description",
            "version",
            "api_range",
            "hooks",
            "status",
            "reason",
            "warnings",
            "errors",
            "last_error",
        )
        rows = [{key: record.to_dict()[key] for key in keys} for record in records]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not records:
        click.echo(_("No plugins are installed."))
        return
    width = max(len(record.name) for record in records)
    title_width = max(len(record.display_title) for record in records)
    for record in records:
        version = record.version or "-"
        click.echo(
            f"{record.name:<{width}}  {record.display_title:<{title_width}}  {version:<10}  "
            f"{record.status:<12}  " + _("errors: %(num)d", num=record.errors)
        )
        indent = f"{'':<{width}}  "
        if record.reason:
            click.echo(indent + _("not loaded: %(reason)s", reason=record.reason))
        if record.hooks:
            click.echo(indent + ", ".join(record.hooks))
        for warning in record.warnings:
            click.echo(indent + _("warning: %(warning)s", warning=warning))
        if record.last_error:
            click.echo(indent + _("last error: %(error)s", error=record.last_error))


def _parse_now(value: str | None):
    """`--now` as an aware UTC datetime; a time without a zone is taken as UTC."""
    from datetime import UTC, datetime

    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.ClickException(
            _("--now must be an ISO-8601 time, e.g. 2026-11-30T08:00:00+07:00.")
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


TICK_LOCK_KEY = 0x43455247  # "CERG": the PostgreSQL advisory lock of `cergas tick`


@contextlib.contextmanager
def _tick_lock():
    """Yield True when this process may run the periodic work, False when another `cergas tick`
    holds the lock. PostgreSQL: a session advisory lock (any host). SQLite file: an exclusive
    lock on a file next to the database (one host). In-memory SQLite: always True."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            got = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": TICK_LOCK_KEY})
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": TICK_LOCK_KEY})
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield True
        return
    import fcntl

    with open(f"{database}.tick-lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


TICK_ROUND_SECONDS = 60
# Deliveries one tick sends at most (a small install without `cergas worker`).
TICK_DELIVERIES = 200
# Where the time of the last tick is kept: the platform's own row of the key-value store.
TICK_STORE = "cergas.tick"


def _ran_moments_ago(now) -> bool:
    """True when a tick already ran for a moment less than a minute from `now`: cron on
    several hosts whose clocks or start-up differ by seconds then runs the work once, not once
    after another. Then `now` is recorded as the last tick (under the tick lock)."""
    from datetime import datetime

    from app.services.plugin_store import plugin_store

    store = plugin_store(TICK_STORE)
    last = store.get("last_now")
    if isinstance(last, str):
        elapsed = (now - datetime.fromisoformat(last)).total_seconds()
        if abs(elapsed) < TICK_ROUND_SECONDS:
            db.session.rollback()
            return True
    store.set("last_now", now.isoformat())
    return False


# How often `cergas worker` reads the Telegram bot's updates (linking codes).
TELEGRAM_POLL_SECONDS = 15


def _poll_telegram() -> str:
    """Link the Telegram chats that sent the bot a /start code (app/services/chat_links.py);
    what went wrong, or "" (a Telegram that cannot be read does not fail the tick)."""
    from app.services import chat_links
    from app.services.channels import DeliveryFailed

    try:
        chat_links.poll_telegram()
    except DeliveryFailed as exc:
        db.session.rollback()
        return exc.message
    return ""


@click.command("tick")
@with_appcontext
@click.option(
    "--now", "now_text", metavar="ISO-8601", help="Pretend it is this time (default: now)."
)
def tick(now_text):
    """Run every plugin's periodic work once, make the recurring cards that are due, remove
    ended or expired login sessions, and link the Telegram chats that sent the bot a code;
    meant for cron (e.g. every 5 minutes).

    A plugin that fails does not stop the others; the command then reports it and exits 1.
    While one tick runs, another (from cron on another host, or a slow previous run) skips."""
    now = _parse_now(now_text)
    _require_schema()
    host = _plugin_host()
    implementations = [
        impl.plugin_name for impl in reversed(host.pm.hook.cergas_periodic.get_hookimpls())
    ]
    with _tick_lock() as mine:
        if not mine:
            click.echo(_("Another `cergas tick` is running; this one did nothing."))
            return
        if _ran_moments_ago(now):
            click.echo(_("A `cergas tick` ran less than a minute ago; this one did nothing."))
            return
        answered = {plugin for plugin, _result in host.call("cergas_periodic", now=now)}
        purged = accounts.purge_sessions()
        signin.purge_log()
        from app.services import recurrences

        recurring = recurrences.run_due(now)
        archived = archive_cli.archive_in_tick(now)  # issue 25: done cards leave their boards
        from app.services import notify_events

        try:
            reminded = notify_events.run_reminders(now).sent
        except Exception:  # noqa: BLE001 - reminders never stop the rest of the tick
            logging.getLogger("cergas.tick").exception("deadline reminders failed")
            db.session.rollback()
            reminded = 0
        telegram_problem = _poll_telegram()
        db.session.remove()
        from app.services import outbox

        delivered = outbox.run_due(limit=TICK_DELIVERIES, now=now)
    failed = [name for name in implementations if name not in answered]
    click.echo(
        ngettext(
            "Periodic work at %(now)s: %(num)d plugin ran.",
            "Periodic work at %(now)s: %(num)d plugins ran.",
            len(implementations),
            now=now.isoformat(),
        )
    )
    if purged:
        click.echo(
            ngettext(
                "Removed %(num)d ended or expired login session.",
                "Removed %(num)d ended or expired login sessions.",
                purged,
            )
        )
    if reminded:
        click.echo(
            ngettext(
                "Sent %(num)d deadline reminder.", "Sent %(num)d deadline reminders.", reminded
            )
        )
    if recurring.made or recurring.problems:
        click.echo(
            _(
                "Recurring cards: %(made)d made, %(problems)d refused (see the boards' settings).",
                made=recurring.made,
                problems=recurring.problems,
            )
        )
    archive_cli.say_archived(archived)
    if telegram_problem:
        click.echo(_("Telegram links: %(error)s", error=telegram_problem), err=True)
    if delivered:
        click.echo(
            ngettext(
                "Deliveries: %(num)d handled.",
                "Deliveries: %(num)d handled.",
                delivered,
            )
        )
    if failed:
        for name in failed:
            record = host.records.get(name)
            error = record.last_error if record is not None else ""
            click.echo(_("Plugin %(name)s failed: %(error)s", name=name, error=error), err=True)
        raise click.ClickException(
            ngettext("%(num)d plugin failed.", "%(num)d plugins failed.", len(failed))
        )


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--idle",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="Seconds to sleep when nothing is due.",
)
def worker_command(once, batch, idle):
    """Send the outbox's deliveries (email, chat, webhooks, plugin channels) as they fall due,
    retrying failures with growing delays; stops cleanly on SIGTERM or Ctrl-C (the batch in
    hand is finished first). Run one or more on any host: each delivery goes out once."""
    import signal
    import threading

    from app.services import outbox

    _require_schema()
    stop = threading.Event()

    def ask_to_stop(signum, frame):
        stop.set()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    name = outbox.worker_name()
    total = 0
    polled = 0.0
    try:
        while not stop.is_set():
            if time.monotonic() - polled >= TELEGRAM_POLL_SECONDS:
                # People linking their Telegram get their answer within seconds, not at the
                # next tick.
                polled = time.monotonic()
                problem = _poll_telegram()
                if problem:
                    click.echo(_("Telegram links: %(error)s", error=problem), err=True)
            try:
                handled = outbox.run_due(limit=batch, worker=name)
                db.session.remove()
            except OperationalError as exc:  # the database went away: wait and try again
                db.session.remove()
                click.echo(_("Database error, retrying: %(error)s", error=exc.orig), err=True)
                handled = 0
                if once:
                    raise click.ClickException(str(exc.orig)) from None
            total += handled
            if once and handled < batch:
                break
            if not handled:
                stop.wait(idle)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(ngettext("%(num)d delivery handled.", "%(num)d deliveries handled.", total))


deliveries_cli = AppGroup("deliveries", help="The outbox's deliveries.")


@deliveries_cli.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(1))
@click.option("--all", "every", is_flag=True, help="Every failed and dead delivery.")
@_service_errors
def retry_deliveries(ids, every):
    """Send failed or dead deliveries again now (by id, or --all)."""
    from app.services import outbox

    if not ids and not every:
        raise click.UsageError(_("Name delivery ids or use --all."))
    count = outbox.retry(None if every else list(ids), actor=None)
    click.echo(
        ngettext("%(num)d delivery queued again.", "%(num)d deliveries queued again.", count)
    )


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@_service_errors
def backup_command(path):
    """Write a consistent copy of the live SQLite database to PATH (safe while Cergas runs)."""
    from app.services import backup

    info = backup.backup(path)
    click.echo(
        _(
            "Backup written to %(path)s: %(cards)d cards, %(events)d events, %(size)d bytes.",
            path=info.path,
            cards=info.cards,
            events=info.events,
            size=info.size,
        )
    )


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_service_errors
def restore_command(path, yes):
    """Replace the SQLite database's content with the backup at PATH. Stop the servers first."""
    from app.services import backup

    if not yes:
        click.confirm(
            _("Replace everything in %(db)s with %(path)s?", db=db.engine.url.database, path=path),
            abort=True,
        )
    info = backup.restore(path)
    click.echo(
        _(
            "Restored %(path)s: %(cards)d cards, %(events)d events.",
            path=info.path,
            cards=info.cards,
            events=info.events,
        )
    )
    click.echo(_("The database as it was before is kept in %(path)s.", path=info.kept))


documents_cli = AppGroup("documents", help="Documents on cards and where their bytes live.")


@documents_cli.command("check")
@with_appcontext
@click.option(
    "--orphans", "list_orphans", is_flag=True, help="Also list unused files (local folder only)."
)
@click.option(
    "--delete-orphans",
    is_flag=True,
    help="Delete unused files older than a day (implies --orphans).",
)
@_service_errors
def check_documents(list_orphans, delete_orphans):
    """Check that every stored version's file is in the document store (exit 1 if any is
    missing)."""
    from app.services import document_store
    from app.storage import StorageError

    _require_schema()
    missing = checked = 0
    try:
        for version in document_store.versions_checked():
            checked += 1
            if version is not None:
                missing += 1
                click.echo(
                    _(
                        "Missing: card %(card)d, document %(document)d “%(name)s”, version "
                        "%(version)d (stored as %(key)s)",
                        card=version.card_id,
                        document=version.attachment_id,
                        name=version.name,
                        version=version.number,
                        key=version.storage_key,
                    )
                )
    except StorageError as exc:
        raise click.ClickException(
            _("The document store cannot be reached: %(error)s", error=exc)
        ) from None
    if list_orphans or delete_orphans:
        for orphan in document_store.orphans():
            click.echo(
                _(
                    "Unused: %(path)s (%(size)d bytes, %(when)s)",
                    path=orphan.path,
                    size=orphan.size,
                    when=orphan.modified.strftime("%Y-%m-%d %H:%M UTC"),
                )
            )
        if delete_orphans:
            deleted = document_store.delete_orphans()
            click.echo(
                ngettext(
                    "Deleted %(num)d unused file older than a day.",
                    "Deleted %(num)d unused files older than a day.",
                    len(deleted),
                )
            )
    if missing:
        raise click.ClickException(
            ngettext(
                "%(num)d of %(total)d versions has no file in the document store.",
                "%(num)d of %(total)d versions have no file in the document store.",
                missing,
                total=checked,
            )
        )
    click.echo(
        ngettext(
            "Checked %(num)d version: its file is in the document store.",
            "Checked %(num)d versions: every file is in the document store.",
            checked,
        )
    )


def init_app(app):
    """Register Cergas' commands on the app, so they appear under `cergas` and `flask`."""
    from app.auth import commands  # noqa: F401  (adds the password commands to `users`)
    from app.import_cli import import_people, import_units
    from app.people import cli as _people_cli  # noqa: F401  (adds to `cergas users`)
    from app.scaffold import plugin_cli
    from app.teams.cli import acting_cli, teams_cli

    users_cli.add_command(import_people)
    units_cli.add_command(import_units)
    for command in (units_cli, users_cli, tokens_cli, demo, plugins_command, tick, setup_command):
        app.cli.add_command(command)
    app.cli.add_command(teams_cli)
    app.cli.add_command(acting_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(plugin_cli)
    app.cli.add_command(documents_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(deliveries_cli)
    app.cli.add_command(archive_cli.cards_cli)  # `cergas cards archive-due` (issue 25)
    from app.skp.cli import rhk_cli  # `cergas rhk import` (issue 27)

    app.cli.add_command(rhk_cli)
    from app.search.cli import search_cli  # `cergas search reindex` (issue 25)

    app.cli.add_command(search_cli)


def _create_app():
    from app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """Cergas: a work board for Indonesian regional government units."""


main.add_command(_run_with_setup_code(run_command))
