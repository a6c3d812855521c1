"""`cergas sla due`: the front-desk question "when is this due if I accept it now?"."""

import pytest

import plugins.sla as sla_plugin
from app.extensions import db
from app.services import accounts
from tests.conftest import make_app


@pytest.fixture
def runner(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"sla": sla_plugin})
    with app.app_context():
        accounts.create_unit("RSUD", "RSUD Kabupaten", timezone="Asia/Makassar")
        accounts.create_unit("DISDUK", "Dinas Dukcapil", timezone="Asia/Jayapura")
        from app.models import Unit, UnitCalendar

        rsud = db.session.scalar(db.select(Unit).where(Unit.code == "RSUD"))
        db.session.add(UnitCalendar(unit_id=rsud.id, every_day=True))
        db.session.commit()
    yield app.test_cli_runner()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def due(runner, *args):
    result = runner.invoke(args=["sla", "due", *args])
    return result, result.output.strip().splitlines()[-1] if result.output.strip() else ""


@pytest.mark.parametrize(
    "args, last_line",
    [
        # The example: Wednesday before Christmas, 3 working days.
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "working_days"],
         "2026-12-30T16:00:00+07:00"),
        (["--from", "2026-12-23T10:00+07:00", "--duration", "8", "--unit", "working_hours"],
         "2026-12-28T09:30:00+07:00"),
        (["--from", "2026-12-23T10:00", "--duration", "90", "--unit", "working_minutes"],
         "2026-12-23T11:30:00+07:00"),
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "calendar_days"],
         "2026-12-26T10:00:00+07:00"),
        # KIP: 10 working days over Idul Fitri 2027 (8-12 and 15 March off).
        (["--from", "2027-03-01T09:00", "--duration", "10", "--unit", "working_days"],
         "2027-03-23T16:00:00+07:00"),
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "working_days",
          "--tz", "Asia/Makassar"], "2026-12-30T16:00:00+08:00"),
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "working_days",
          "--org-unit", "DISDUK"], "2026-12-30T16:00:00+09:00"),
        # An RSUD works every day: Christmas and the weekend count.
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "working_days",
          "--org-unit", "RSUD"], "2026-12-26T16:00:00+08:00"),
    ],
)  # fmt: skip
def test_prints_the_due_moment_on_the_last_line(runner, args, last_line):
    result, last = due(runner, *args)
    assert result.exit_code == 0, result.output
    assert last == last_line


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "kemarin", "--duration", "3", "--unit", "working_days"], "ISO-8601"),
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "weeks"], "weeks"),
        (["--from", "2026-12-23T10:00", "--duration", "-1", "--unit", "working_days"], "0"),
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "working_days",
          "--org-unit", "NOPE"], "NOPE"),
        (["--from", "2026-12-23T10:00", "--duration", "3", "--unit", "working_days",
          "--tz", "Mars/Olympus"], "Mars/Olympus"),
    ],
)  # fmt: skip
def test_bad_input_is_a_usage_error(runner, args, message):
    result = runner.invoke(args=["sla", "due", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
