"""The `cergas` command line: units, users, tokens and the demo office, including refusals."""

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask_babel import gettext
from sqlalchemy import func, select

from app import create_app
from app import demo as demo_data
from app.extensions import db
from app.models import (
    ApiToken,
    Board,
    BoardColumn,
    Card,
    Comment,
    DeadlineChange,
    Event,
    Membership,
    Unit,
    User,
)
from app.services import accounts
from tests.conftest import NIPS, PASSWORD, make_app
from tests.conftest import test_config as config_for

ROOT = Path(__file__).resolve().parent.parent
DEMO_REFUSAL = "The database already has users; `cergas demo` only fills an empty database."


def invoke(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input)


def refused_cleanly(result, exit_code=1):
    """A refusal is a message and an exit code, never a traceback."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "Error" in result.output


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def make_units(runner):
    top = invoke(runner, "units", "create", "--code", "DISKOMINFO", "--name", "Diskominfo")
    assert top.exit_code == 0, top.output
    result = invoke(
        runner,
        "units",
        "create",
        "--code",
        "BID-APTIKA",
        "--name",
        "Bidang Aplikasi Informatika",
        "--parent",
        "DISKOMINFO",
        "--tz",
        "Asia/Makassar",
    )
    assert result.exit_code == 0, result.output
    return result


# Units


def test_units_create_builds_a_tree_with_time_zones(app, runner):
    result = make_units(runner)
    assert "BID-APTIKA" in result.output
    with app.app_context():
        child = db.session.scalar(select(Unit).where(Unit.code == "BID-APTIKA"))
        assert child.parent.code == "DISKOMINFO"
        assert child.timezone == "Asia/Makassar"
        assert child.parent.timezone == "Asia/Jakarta"
    listing = invoke(runner, "units", "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].startswith("DISKOMINFO")
    assert lines[1].startswith("  BID-APTIKA") and "WITA" in lines[1]


def test_units_create_refuses_a_duplicate_code(app, runner):
    make_units(runner)
    result = invoke(runner, "units", "create", "--code", "DISKOMINFO", "--name", "Lagi")
    refused_cleanly(result)
    assert "DISKOMINFO" in result.output
    with app.app_context():
        assert count(Unit) == 2


def test_units_create_refuses_an_unknown_parent(app, runner):
    result = invoke(
        runner, "units", "create", "--code", "SEKSI", "--name", "Seksi", "--parent", "X"
    )
    refused_cleanly(result)
    assert "parent:" in result.output
    with app.app_context():
        assert count(Unit) == 0


def test_units_create_refuses_a_time_zone_outside_indonesia(app, runner):
    result = invoke(runner, "units", "create", "--code", "U", "--name", "U", "--tz", "Europe/Paris")
    refused_cleanly(result, exit_code=2)
    with app.app_context():
        assert count(Unit) == 0


# Users


def test_users_create_with_nip_joins_the_unit_with_its_role(app, runner):
    make_units(runner)
    result = invoke(
        runner,
        "users",
        "create",
        "--nip",
        NIPS["kabid"],
        "--name",
        "Budi Santoso",
        "--unit",
        "BID-APTIKA",
        "--role",
        "head",
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 0, result.output
    assert NIPS["kabid"] in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.nip == NIPS["kabid"]))
        assert [(m.unit.code, m.role) for m in user.memberships] == [("BID-APTIKA", "head")]
        assert not user.is_admin
        assert accounts.authenticate(NIPS["kabid"], PASSWORD).id == user.id


def test_users_create_with_username_and_admin_flag(app, runner):
    result = invoke(
        runner,
        "users",
        "create",
        "--username",
        "admin",
        "--name",
        "Administrator",
        "--admin",
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "admin"))
        assert user.is_admin and user.nip is None and user.memberships == []


def test_users_create_asks_for_the_password_when_not_given(app, runner):
    result = invoke(
        runner,
        "users",
        "create",
        "--username",
        "operator",
        "--name",
        "Operator",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    with app.app_context():
        assert accounts.authenticate("operator", PASSWORD).username == "operator"


@pytest.mark.parametrize(
    "nip",
    ["19700101199503100", "1970010119950310011", "19700101199503100X"],
    ids=["17 digits", "19 digits", "letter"],
)
def test_users_create_refuses_a_nip_that_is_not_18_digits(app, runner, nip):
    make_units(runner)
    result = invoke(
        runner,
        "users",
        "create",
        "--nip",
        nip,
        "--name",
        "Salah NIP",
        "--unit",
        "DISKOMINFO",
        "--password",
        PASSWORD,
    )
    refused_cleanly(result)
    assert "nip:" in result.output
    with app.app_context():
        assert count(User) == 0


def test_users_create_refuses_an_unknown_unit_and_short_password(app, runner):
    result = invoke(
        runner, "users", "create", "--username", "staf", "--name", "Staf", "--unit", "NOPE",
        "--password", "pendek",
    )  # fmt: skip
    refused_cleanly(result)
    assert "password:" in result.output
    result = invoke(
        runner, "users", "create", "--username", "staf", "--name", "Staf", "--unit", "NOPE",
        "--password", PASSWORD,
    )  # fmt: skip
    refused_cleanly(result)
    assert "unit:" in result.output
    with app.app_context():
        assert count(User) == 0 and count(Membership) == 0


def test_users_create_refuses_a_taken_nip(app, runner):
    args = ["users", "create", "--nip", NIPS["staff"], "--name", "Agus", "--password", PASSWORD]
    assert invoke(runner, *args).exit_code == 0
    refused_cleanly(invoke(runner, *args))
    with app.app_context():
        assert count(User) == 1


def test_users_create_needs_a_nip_or_username(app, runner):
    result = invoke(runner, "users", "create", "--name", "Tanpa Login", "--password", PASSWORD)
    refused_cleanly(result, exit_code=2)


def test_users_list_shows_login_units_and_roles(app, runner, org):
    result = invoke(runner, "users", "list")
    assert result.exit_code == 0
    kasi = next(line for line in result.output.splitlines() if line.startswith(NIPS["kasi"]))
    assert "Siti Rahmawati" in kasi and "SEKSI-APL (head)" in kasi


# Tokens


def test_tokens_create_prints_the_token_alone_on_the_last_line(app, runner, org):
    result = invoke(runner, "tokens", "create", "--nip", NIPS["staff"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("cg_") and " " not in token
    with app.app_context():
        assert accounts.user_for_token(token).nip == NIPS["staff"]
        assert db.session.scalar(select(ApiToken.token_hash)) != token  # only the hash is kept


def test_tokens_create_accepts_a_username(app, runner, org):
    result = invoke(runner, "tokens", "create", "--username", "admin")
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        assert accounts.user_for_token(token).username == "admin"


def test_tokens_revoke_disables_every_token_of_the_person(app, runner, org):
    first = invoke(runner, "tokens", "create", "--nip", NIPS["staff"]).output.split()[-1]
    second = invoke(runner, "tokens", "create", "--nip", NIPS["staff"]).output.split()[-1]
    other = invoke(runner, "tokens", "create", "--nip", NIPS["kasi"]).output.split()[-1]
    result = invoke(runner, "tokens", "revoke", "--nip", NIPS["staff"])
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    with app.app_context():
        assert accounts.user_for_token(first) is None
        assert accounts.user_for_token(second) is None
        assert accounts.user_for_token(other).nip == NIPS["kasi"]


@pytest.mark.parametrize("command", ["create", "revoke"])
def test_tokens_for_an_unknown_person_are_refused(app, runner, org, command):
    result = invoke(runner, "tokens", command, "--nip", "199901012020011999")
    refused_cleanly(result)
    with app.app_context():
        assert count(ApiToken) == 0


def test_tokens_need_exactly_one_of_nip_or_username(app, runner, org):
    refused_cleanly(invoke(runner, "tokens", "create"), exit_code=2)
    both = invoke(runner, "tokens", "create", "--nip", NIPS["staff"], "--username", "admin")
    refused_cleanly(both, exit_code=2)


# Demo


def column_counts():
    return db.session.execute(
        select(BoardColumn, func.count(Card.id))
        .outerjoin(Card, Card.column_id == BoardColumn.id)
        .group_by(BoardColumn.id)
    ).all()


@pytest.mark.slow  # builds a two-week demo office; in the full run
def test_demo_fills_an_empty_database_with_the_promised_office(app, runner):
    # Two weeks of history keep this quick; tests/test_demo_history.py checks the twelve.
    result = invoke(runner, "demo", "--weeks", "2")
    assert result.exit_code == 0, result.output
    assert demo_data.PASSWORD in result.output
    with app.app_context():
        people = db.session.scalars(select(User).where(User.nip.is_not(None))).all()
        assert len(people) >= 12
        # Three work boards, the publication board with its history (competency), the team's.
        assert count(Unit) >= 3 and count(Board) == 5
        # What the boards show today (about ninety cards) and two weeks of finished work.
        assert 100 <= count(Card) <= 130
        assert f" {count(Card)} " in result.output  # the summary counts them all
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        depth = {code: 0 for code in units}
        for code, unit in units.items():
            parent = unit.parent
            while parent is not None:
                depth[code] += 1
                parent = parent.parent
        assert max(depth.values()) >= 2  # Dinas > Bidang > Seksi
        assert db.session.scalar(select(func.count(User.id)).where(User.is_admin)) >= 1


@pytest.mark.slow  # builds the demo office; in the full run
def test_demo_nips_look_like_real_nips(app, runner):
    invoke(runner, "demo")
    with app.app_context():
        for nip in db.session.scalars(select(User.nip).where(User.nip.is_not(None))):
            assert len(nip) == 18 and nip.isdigit()
            born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
            appointed = date(int(nip[8:12]), int(nip[12:14]), 1)
            assert (appointed - born).days > 18 * 365
            assert nip[14] in "12"


@pytest.mark.slow  # builds the demo office; in the full run
def test_demo_has_exactly_one_column_at_its_wip_limit_and_none_over(app, runner):
    invoke(runner, "demo")
    with app.app_context():
        limited = [(col, n) for col, n in column_counts() if col.wip_limit is not None]
        assert [col.name for col, n in limited if n == col.wip_limit] == ["Diproses"]
        assert all(n <= col.wip_limit for col, n in limited)


@pytest.mark.slow  # builds the demo office; in the full run
def test_demo_has_overdue_cards_and_slipped_deadlines_with_reasons(app, runner):
    invoke(runner, "demo")
    today = demo_data.local_today()
    with app.app_context():
        overdue = db.session.scalars(
            select(Card)
            .join(BoardColumn, Card.column_id == BoardColumn.id)
            .where(Card.due_date < today, BoardColumn.kind != "done")
        ).all()
        assert len(overdue) >= 3
        changes = db.session.scalars(select(DeadlineChange)).all()
        assert len(changes) >= 5
        assert all(len(change.reason) > 20 and change.actor_id for change in changes)
        assert db.session.scalar(select(func.sum(Card.deadline_changes))) == len(changes)
        logged = db.session.scalar(
            select(func.count(Event.id)).where(Event.kind == "deadline_changed")
        )
        assert logged == len(changes)
        assert count(Comment) >= 5


@pytest.mark.slow  # builds the demo office; in the full run
def test_demo_cards_carry_believable_details(app, runner):
    invoke(runner, "demo")
    with app.app_context():
        cards = db.session.scalars(select(Card)).all()
        assert len({card.type for card in cards}) >= 6
        assert sum(1 for card in cards if card.assignee_id) >= 35
        assert sum(1 for card in cards if card.estimate) >= 35
        assert sum(1 for card in cards if card.labels) >= 40
        assert sum(1 for card in cards if card.description) >= 20
        created = db.session.scalar(select(func.count(Event.id)).where(Event.kind == "created"))
        assert created == len(cards)  # made through the services, so the history is true


@pytest.mark.slow  # builds the demo office; in the full run
def test_demo_accounts_log_in_with_the_documented_password(app, runner):
    invoke(runner, "demo")
    with app.app_context():
        for person in (demo_data.PEOPLE[0], demo_data.PEOPLE[-1]):
            assert accounts.authenticate(person.login, demo_data.PASSWORD).name == person.name
        assert accounts.authenticate(demo_data.ADMIN_USERNAME, demo_data.PASSWORD).is_admin


def test_demo_logins_are_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert demo_data.PASSWORD in readme
    assert f"`{demo_data.ADMIN_USERNAME}`" in readme
    for person in demo_data.PEOPLE:
        assert f"`{person.login}`" in readme, f"{person.name} is missing from the README"


def test_demo_reset_asks_first_and_changes_nothing_when_refused(app, runner, org):
    with app.app_context():
        users_before = count(User)
    result = invoke(runner, "demo", "--reset", input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert count(User) == users_before


def test_demo_reset_and_if_empty_do_not_go_together(runner):
    result = invoke(runner, "demo", "--reset", "--if-empty", "--yes")
    assert result.exit_code == 2 and "--reset" in result.output


@pytest.mark.slow  # migrates a database from nothing and builds a demo
def test_demo_reset_empties_the_database_and_documents_then_builds_the_demo(tmp_path):
    folder = tmp_path / "documents"
    (folder / "ab").mkdir(parents=True)
    (folder / "ab" / "old-document").write_bytes(b"old")
    app = make_app(f"sqlite:///{tmp_path}/cergas.db", DOCUMENT_FOLDER=str(folder))
    try:
        with app.app_context():
            accounts.create_user("Orang Lama", "rahasia-panjang-1", username="orang.lama")
        result = app.test_cli_runner().invoke(args=["demo", "--reset", "--yes", "--weeks", "1"])
        assert result.exit_code == 0, result.output
        assert demo_data.PASSWORD in result.output  # the summary and the logins
        with app.app_context():
            assert db.session.scalar(select(User).where(User.username == "orang.lama")) is None
            assert count(User) == len(demo_data.PEOPLE) + 1
        assert not (folder / "ab" / "old-document").exists()
        assert any(folder.rglob("*"))  # the new demo's draft letters
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_demo_refuses_a_database_that_has_users(app, runner, org):
    with app.app_context():
        cards_before = count(Card)
    result = invoke(runner, "demo")
    refused_cleanly(result)
    with app.app_context():
        assert gettext(DEMO_REFUSAL) in result.output
        assert count(Card) == cards_before and count(Board) == 1


def test_demo_if_empty_quietly_does_nothing_when_there_are_users(app, runner, org):
    result = invoke(runner, "demo", "--if-empty")
    assert result.exit_code == 0 and result.output == ""
    with app.app_context():
        assert count(Board) == 1


@pytest.mark.slow  # builds the demo office; in the full run
def test_demo_if_empty_fills_an_empty_database(app, runner):
    result = invoke(runner, "demo", "--if-empty")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(Board) == 5  # 3 work boards, publication (competency), a team board


# Wiring


def test_commands_on_a_database_without_tables_say_to_run_db_upgrade():
    app = create_app(config_for("sqlite://"))
    with app.app_context():
        expected = gettext("The database has no tables yet. Run `cergas db upgrade` first.")
    for args in (["demo"], ["units", "list"], ["tokens", "create", "--username", "admin"]):
        result = app.test_cli_runner().invoke(args=args)
        refused_cleanly(result)
        assert expected in result.output


def test_the_cergas_script_offers_flask_and_cergas_commands(tmp_path, monkeypatch):
    from app.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SECRET_KEY", "test")
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("run", "db", "routes", "units", "users", "tokens", "demo"):
        assert f"\n  {command} " in result.output, command
