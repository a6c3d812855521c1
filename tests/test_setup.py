"""The first start: an empty database leads to /setup; a one-time code from the server's log
creates the first administrator, who then makes the office's top unit (issue 21)."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, SetupCode, Unit, User, utcnow
from app.services import setup
from app.services.errors import Conflict, Invalid, NotFound, TooManyAttempts
from tests.conftest import PASSWORD

pytestmark = pytest.mark.pg

ADMIN = {
    "nip": "198503152010011002",
    "username": "",
    "name": "Drs. Bambang Setiawan, M.Si.",
    "email": "bambang@diskominfo.example.go.id",
    "password": "kantor-kita-2026",
    "password_confirm": "kantor-kita-2026",
}


def new_code(app) -> str:
    with app.app_context():
        return setup.issue_code()


def test_every_page_of_an_empty_database_leads_to_setup(app, client):
    for path in ("/", "/login", "/boards", "/admin/units"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/setup"), path
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/boards").status_code == 401
    page = client.get("/setup")
    assert page.status_code == 200
    assert "cergas setup --code-only" in page.get_data(as_text=True)


def test_the_whole_first_start_in_the_browser(app, client):
    code = new_code(app)
    response = client.post("/setup", data={"code": code.lower().replace("-", " ")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/setup/admin")
    assert client.get("/setup/admin").status_code == 200
    response = client.post("/setup/admin", data=ADMIN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/setup/unit")
    # Signed in as the new administrator: the unit step opens.
    page = client.get("/setup/unit")
    assert page.status_code == 200
    response = client.post(
        "/setup/unit",
        data={
            "code": "DISKOMINFO",
            "name": "Dinas Komunikasi dan Informatika",
            "timezone": "Asia/Makassar",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/units")
    units_page = client.get("/admin/units").get_data(as_text=True)
    assert "Dinas Komunikasi dan Informatika" in units_page
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.nip == ADMIN["nip"]))
        assert admin.is_admin and admin.email == ADMIN["email"]
        unit = db.session.scalar(select(Unit).where(Unit.code == "DISKOMINFO"))
        assert unit.timezone == "Asia/Makassar" and unit.parent_id is None
        kinds = [
            (event.kind, event.target_kind, event.actor_id)
            for event in db.session.scalars(select(AdminEvent).order_by(AdminEvent.id))
        ]
        assert kinds == [
            ("setup.code_used", "setup", admin.id),
            ("user.created", "user", admin.id),
            ("unit.created", "unit", admin.id),
        ]
    # Setup is over: the pages are gone, the unit step sends to the units page.
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data={"code": code}).status_code == 404
    assert client.get("/setup/admin").status_code == 404
    assert client.get("/setup/unit").status_code == 302
    # And the login page is a login page again.
    client.post("/logout")
    assert client.get("/login").status_code == 200


def test_a_wrong_code_is_refused_next_to_the_field(app, client):
    new_code(app)
    response = client.post("/setup", data={"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    # Without a good code the admin step sends back to the code.
    response = client.get("/setup/admin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/setup")
    with app.app_context():
        assert db.session.scalar(select(User.id)) is None


def test_a_used_code_is_refused(app, client):
    code = new_code(app)
    assert client.post("/setup", data={"code": code}).status_code == 302
    with app.app_context():
        code_id = setup.check_code(code)
        setup.create_first_admin(code_id, ADMIN)
        with pytest.raises(NotFound):
            setup.check_code(code)
        with pytest.raises(Conflict):
            setup.issue_code()
    # The other browser that had entered the code cannot make a second admin.
    assert (
        client.post("/setup/admin", data={**ADMIN, "nip": "199001012015011004"}).status_code == 404
    )


def test_a_code_works_once_even_before_an_admin_exists(app):
    """The code is spent by the admin it made; a second use (say, after a failed commit of the
    first admin elsewhere) finds it used."""
    code = new_code(app)
    with app.app_context():
        code_id = setup.check_code(code)
        db.session.execute(
            SetupCode.__table__.update().where(SetupCode.id == code_id).values(used_at=utcnow())
        )
        db.session.commit()
        with pytest.raises(Invalid) as refused:
            setup.check_code(code)
        assert "code" in refused.value.fields
        with pytest.raises(Invalid) as refused:
            setup.create_first_admin(code_id, ADMIN)
        assert "code" in refused.value.fields
        assert db.session.scalar(select(User.id)) is None


def test_an_expired_code_is_refused(app, client):
    code = new_code(app)
    with app.app_context():
        db.session.execute(
            SetupCode.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    assert client.post("/setup", data={"code": code}).status_code == 422


def test_several_printed_codes_all_work(app):
    first, second = new_code(app), new_code(app)
    with app.app_context():
        assert setup.check_code(first) != setup.check_code(second)
        hashes = list(db.session.scalars(select(SetupCode.code_hash)))
    # Only digests are kept.
    assert first.replace("-", "") not in "".join(hashes)


def test_guessing_codes_is_slowed_down(app, client):
    new_code(app)
    statuses = [
        client.post("/setup", data={"code": f"WRONG-{n:04d}"}).status_code
        for n in range(setup.FREE_PER_ADDRESS + 1)
    ]
    assert statuses[:-1] == [422] * setup.FREE_PER_ADDRESS
    assert statuses[-1] == 429
    # Even the right code waits, from this address.
    with app.app_context(), pytest.raises(TooManyAttempts):
        setup.check_code(setup.issue_code(), "127.0.0.1")


def test_admin_form_errors_are_shown_and_nothing_is_made(app, client):
    code = new_code(app)
    client.post("/setup", data={"code": code})
    bad = {
        **ADMIN,
        "nip": "12345",
        "email": "bukan-email",
        "password": "pendek",
        "password_confirm": "lain",
    }
    response = client.post("/setup/admin", data=bad)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for field in ("admin-nip-error", "admin-email-error", "admin-password-error"):
        assert field in body
    assert "pendek" not in body  # passwords are not echoed back
    response = client.post("/setup/admin", data={**ADMIN, "password_confirm": "lain-lagi-2026"})
    assert response.status_code == 422
    assert "admin-password-confirm-error" in response.get_data(as_text=True)
    response = client.post("/setup/admin", data={**ADMIN, "nip": "", "username": ""})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(User.id)) is None
        assert db.session.scalar(select(SetupCode.used_at)) is None
    # The code is still good for a corrected form.
    assert (
        client.post(
            "/setup/admin", data={**ADMIN, "nip": "", "username": "admin.kantor"}
        ).status_code
        == 302
    )


def test_unit_step_refuses_bad_input_and_non_admins(app, client):
    code = new_code(app)
    client.post("/setup", data={"code": code})
    client.post("/setup/admin", data=ADMIN)
    response = client.post(
        "/setup/unit", data={"code": "kode salah!", "name": "", "timezone": "UTC"}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for field in ("unit-code-error", "unit-name-error", "unit-timezone-error"):
        assert field in body
    with app.app_context():
        from app.services import accounts

        accounts.create_user("Pegawai", PASSWORD, username="pegawai")
    client.post("/logout")
    client.post("/login", data={"username": "pegawai", "password": PASSWORD})
    assert client.get("/setup/unit").status_code == 403


def test_the_server_prints_a_code_only_while_there_is_no_admin(app):
    stream = io.StringIO()
    # Under TESTING nothing is printed unless a test asks (passes a stream).
    assert setup.announce(app) is None
    code = setup.announce(app, stream)
    assert code and code in stream.getvalue() and "/setup" in stream.getvalue()
    with app.app_context():
        setup.create_first_admin(setup.check_code(code), ADMIN)
    assert setup.announce(app, io.StringIO()) is None


def test_cli_setup_prints_a_code(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["setup", "--code-only"])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    with app.app_context():
        assert setup.check_code(code)


def test_cli_setup_does_the_whole_setup_from_flags(app):
    runner = app.test_cli_runner()
    args = [
        "setup",
        "--username",
        "admin.kantor",
        "--name",
        "Admin Kantor",
        "--email",
        "",
        "--password",
        "kantor-kita-2026",
        "--unit-code",
        "BAPPEDA",
        "--unit-name",
        "Badan Perencanaan Pembangunan Daerah",
        "--tz",
        "WIT",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin.kantor"))
        assert admin.is_admin
        unit = db.session.scalar(select(Unit).where(Unit.code == "BAPPEDA"))
        assert unit.timezone == "Asia/Jayapura"
    again = runner.invoke(args=["setup", "--code-only"])
    assert again.exit_code == 1 and again.output.startswith("Error: ")


def test_cli_setup_prompts_and_refuses_bad_answers(app):
    runner = app.test_cli_runner()
    answers = "\n".join(
        [
            "198503152010011002",
            "Admin Kantor",
            "",
            "kantor-kita-2026",
            "kantor-kita-2026",
            "Dinas X",
            "kode salah",
            "WIB",
            "",
        ]
    )
    result = runner.invoke(args=["setup"], input=answers)
    assert result.exit_code == 1
    assert "Error: " in result.output
    with app.app_context():
        # Nothing was made, and no code spent.
        assert db.session.scalar(select(User.id)) is None
        assert db.session.scalar(select(SetupCode.id)) is None
    answers = answers.replace("kode salah", "DINAS-X")
    result = runner.invoke(args=["setup"], input=answers)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.nip)) == "198503152010011002"
