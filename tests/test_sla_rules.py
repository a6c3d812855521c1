# ruff: noqa: F811 - the `desk` fixture is imported from tests.sla_fixtures
"""Issue 19, finding 7: an SLA clock cannot be hidden by a type change. A clock's policy is
fixed when it starts; a later type change (only by a head, with a reason, in the history) or a
change of the board's policies neither moves nor hides it, and the card stays in the heads'
compliance report."""

import csv
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Board, Card, Notification
from app.services import accounts
from app.services import plugins as board_plugins
from cergas.plugin import default_calendar, plugin_store
from plugins.sla.alerts import run_tick
from plugins.sla.report import board_report
from tests.conftest import PASSWORD
from tests.sla_fixtures import NIPS, POLICIES, at, desk, user, wib  # noqa: F401

pytestmark = pytest.mark.pg

# Created Wednesday 23 December 10:00 WIB, 3 working days: due Wednesday 30 December 16:00.
RECEIVED = "2026-12-23T10:00"
DUE = "2026-12-30T16:00:00+07:00"


def token(d, who: str) -> dict:
    """The API's headers for `who` (the API answers in the language asked for)."""
    with d.app.app_context():
        bearer = f"Bearer {accounts.create_token(user(who))}"
    return {"Authorization": bearer, "Accept-Language": "en"}


def version(d, card_id: int) -> int:
    with d.app.app_context():
        return db.session.get(Card, card_id).version


def card_type(d, card_id: int) -> str:
    with d.app.app_context():
        return db.session.get(Card, card_id).type


def patch(d, who: str, card_id: int, when: str, reason=None, **changes):
    body = {"version": version(d, card_id), **changes}
    if reason is not None:
        body["reason"] = reason
    headers = token(d, who)
    with at(when):
        return d.app.test_client().patch(f"/api/v1/cards/{card_id}", json=body, headers=headers)


def sla_of(d, card_id: int, when: str) -> dict | None:
    headers = token(d, "kasi")
    with at(when):
        response = d.app.test_client().get(f"/api/v1/cards/{card_id}", headers=headers)
    assert response.status_code == 200
    return response.get_json()["plugins"].get("sla")


def login(d, who: str):
    client = d.app.test_client()
    client.post("/login", data={"username": NIPS[who], "password": PASSWORD})
    return client


def set_policies(d, policies):
    with d.app.app_context():
        board_plugins.set_board_plugin(
            user("kasi"), d.s.board_id, "sla", settings={"policies": policies}
        )


def report(d, when: str):
    with d.app.app_context():
        return board_report(db.session.get(Board, d.s.board_id), wib(when))


def stored_clock(d, card_id: int) -> dict | None:
    """The card's stored clock: its origin and the policy it runs under."""
    from plugins.sla.fixed import stored_policy

    with d.app.app_context():
        record = plugin_store("sla").get(f"clock:{card_id}")
        if record is None:
            return None
        return {"origin": record[2], "policy": stored_policy(card_id).as_json()}


def forget_clock(d, card_id: int):
    """As a card from before clocks were stored: no stored clock."""
    with d.app.app_context():
        plugin_store("sla").delete(f"clock:{card_id}")
    assert stored_clock(d, card_id) is None


def events(d, card_id: int, kind: str) -> list[dict]:
    headers = token(d, "kasi")
    response = d.app.test_client().get(f"/api/v1/cards/{card_id}/events", headers=headers)
    return [event for event in response.get_json()["events"] if event["kind"] == kind]


# --- the member's type change -------------------------------------------------------------------


def test_a_member_cannot_change_the_type_of_a_card_whose_clock_runs_api(desk):
    card_id = desk.create(RECEIVED, "Pengaduan jalan rusak")
    before = version(desk, card_id)
    response = patch(desk, "petugas", card_id, "2026-12-24T09:00", type="tugas")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "vetoed"
    assert [veto["plugin"] for veto in error["vetoes"]] == ["sla"]
    assert "only a head of the board's unit can change its type" in error["message"]
    # Nothing changed; a reason does not help a member.
    assert (card_type(desk, card_id), version(desk, card_id)) == ("pengaduan", before)
    response = patch(
        desk, "petugas", card_id, "2026-12-24T09:00", type="tugas", reason="Salah jenis"
    )
    assert response.status_code == 409
    assert card_type(desk, card_id) == "pengaduan"
    clock = sla_of(desk, card_id, "2026-12-24T09:00")
    assert (clock["policy"], clock["due_at"]) == ("pengaduan", DUE)


def test_a_member_cannot_change_the_type_on_the_card_page(desk):
    card_id = desk.create(RECEIVED, "Pengaduan lampu jalan")
    client = login(desk, "petugas")
    with at("2026-12-24T09:00"):
        response = client.post(
            f"/cards/{card_id}",
            data={"version": version(desk, card_id), "type": "tugas", "reason": "Bukan pengaduan"},
        )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "only a head of the board&#39;s unit can change its type" in page
    assert card_type(desk, card_id) == "pengaduan"
    assert events(desk, card_id, "updated") == []


def test_other_edits_by_a_member_are_not_affected(desk):
    card_id = desk.create(RECEIVED, "Pengaduan air")
    response = patch(desk, "petugas", card_id, "2026-12-24T09:00", title="Pengaduan air bersih")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["plugins"]["sla"]["due_at"] == DUE


# --- the head's type change ---------------------------------------------------------------------


def test_a_head_changes_the_type_only_with_a_reason_and_the_clock_stays(desk):
    card_id = desk.create(RECEIVED, "Pengaduan sampah")
    response = patch(desk, "kasi", card_id, "2026-12-24T09:00", type="tugas")
    assert response.status_code == 409
    assert "say why its type changes" in response.get_json()["error"]["message"]
    response = patch(desk, "kasi", card_id, "2026-12-24T09:00", type="tugas", reason="  ")
    assert response.status_code == 409
    assert card_type(desk, card_id) == "pengaduan"

    reason = "Ternyata permintaan rapat koordinasi, bukan pengaduan"
    response = patch(desk, "kasi", card_id, "2026-12-24T09:00", type="tugas", reason=reason)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["type"] == "tugas"
    # The clock keeps its policy and due moment.
    assert body["plugins"]["sla"]["policy"] == "pengaduan"
    assert body["plugins"]["sla"]["due_at"] == DUE
    assert sla_of(desk, card_id, "2026-12-31T09:00")["state"] == "breached"
    # The history says who changed the type, from what, to what, and why.
    (updated,) = events(desk, card_id, "updated")
    assert updated["actor"] == NIPS["kasi"]
    assert updated["data"]["changes"] == {"type": ["pengaduan", "tugas"]}
    assert updated["data"]["reason"] == reason
    # Still in the compliance report, under the type it came in as, marked as changed.
    data = report(desk, "2026-12-31T09:00")
    assert (data.by_type["pengaduan"].open, data.by_type["pengaduan"].late) == (1, 1)
    assert "tugas" not in data.by_type
    (line,) = data.lines
    assert (line.card_id, line.clock_type, line.type) == (card_id, "pengaduan", "tugas")
    assert [b.card_id for b in data.breaches] == [card_id]
    assert [changed.card_id for changed in data.type_changes] == [card_id]


def test_a_head_with_a_reason_on_the_card_page_and_the_report_shows_the_change(desk):
    card_id = desk.create(RECEIVED, "Pengaduan trotoar")
    client = login(desk, "kasi")
    with at("2026-12-24T09:00"):
        refused = client.post(
            f"/cards/{card_id}", data={"version": version(desk, card_id), "type": "tugas"}
        )
        assert refused.status_code == 409
        assert "say why its type changes" in refused.get_data(as_text=True)
        saved = client.post(
            f"/cards/{card_id}",
            data={"version": version(desk, card_id), "type": "tugas", "reason": "Salah pilih"},
        )
    assert saved.status_code == 302
    assert card_type(desk, card_id) == "tugas"
    with at("2026-12-24T09:00"):
        board = client.get(f"/boards/{desk.s.board_id}").get_data(as_text=True)
        page = client.get(f"/plugins/sla/boards/{desk.s.board_id}").get_data(as_text=True)
        csv_text = client.get(f"/plugins/sla/boards/{desk.s.board_id}/report.csv").get_data(
            as_text=True
        )
    assert "working days left" in board  # the badge is still on the card
    assert "Type changed while the clock ran" in page and "Pengaduan trotoar" in page
    header, row = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    values = dict(zip(header, row, strict=True))
    assert (values["type"], values["type_now"], values["due_at"]) == ("pengaduan", "tugas", DUE)


def test_an_admin_is_a_head_for_this_rule(desk):
    card_id = desk.create(RECEIVED, "Pengaduan drainase")
    with desk.app.app_context():
        headers = {"Authorization": f"Bearer {accounts.create_token(_admin())}"}
    with at("2026-12-24T09:00"):
        response = desk.app.test_client().patch(
            f"/api/v1/cards/{card_id}",
            json={"version": version(desk, card_id), "type": "tugas", "reason": "Koreksi admin"},
            headers=headers,
        )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["plugins"]["sla"]["due_at"] == DUE


def _admin():
    from app.models import User

    return db.session.scalar(select(User).where(User.username == "admin"))


# --- the policy is fixed when the clock starts --------------------------------------------------


def ten_days_due() -> str:
    return default_calendar("Asia/Jakarta").due(wib(RECEIVED), 10, "working_days").isoformat()


def test_a_settings_change_does_not_move_a_running_clock(desk):
    card_id = desk.create(RECEIVED, "Pengaduan pertama")
    longer = [dict(POLICIES[0], duration=10), *POLICIES[1:]]
    set_policies(desk, longer)
    assert sla_of(desk, card_id, "2026-12-24T09:00")["due_at"] == DUE
    # A card that comes in now runs under the new policy.
    later = desk.create(RECEIVED, "Pengaduan kedua")
    assert sla_of(desk, later, "2026-12-24T09:00")["due_at"] == ten_days_due()
    # Removing the policy hides neither clock, nor takes the cards out of the report.
    set_policies(desk, POLICIES[1:])
    assert sla_of(desk, card_id, "2026-12-24T09:00")["due_at"] == DUE
    assert sla_of(desk, later, "2026-12-24T09:00")["due_at"] == ten_days_due()
    data = report(desk, "2026-12-24T09:00")
    assert data.by_type["pengaduan"].open == 2
    assert {line.card_id for line in data.lines} == {card_id, later}


def test_a_clock_that_starts_when_active_is_fixed_by_the_move(desk):
    card_id = desk.create("2026-12-21T09:00", "Permohonan data", type_="informasi")
    assert stored_clock(desk, card_id) is None  # not started: no clock yet
    assert sla_of(desk, card_id, "2026-12-21T09:30") is None
    desk.move("2026-12-21T10:00", card_id, "Diproses")
    record = stored_clock(desk, card_id)
    assert record["origin"] == "active"
    assert record["policy"]["duration"] == 10
    due = sla_of(desk, card_id, "2026-12-22T09:00")["due_at"]
    set_policies(desk, [POLICIES[0], dict(POLICIES[1], duration=2), POLICIES[2]])
    assert sla_of(desk, card_id, "2026-12-22T09:00")["due_at"] == due
    # A head changes its type (with a reason): the clock stays.
    response = patch(
        desk, "kasi", card_id, "2026-12-22T09:00", type="tugas", reason="Bukan permohonan"
    )
    assert response.status_code == 200
    assert response.get_json()["plugins"]["sla"]["due_at"] == due


def test_before_its_clock_starts_a_member_may_reclassify_a_card(desk):
    card_id = desk.create("2026-12-21T09:00", "Permohonan salinan", type_="informasi")
    response = patch(desk, "petugas", card_id, "2026-12-21T09:30", type="tugas")
    assert response.status_code == 200
    desk.move("2026-12-21T10:00", card_id, "Diproses")
    assert stored_clock(desk, card_id) is None
    assert sla_of(desk, card_id, "2026-12-21T11:00") is None


def test_a_type_change_into_a_policy_starts_the_clock_from_when_the_card_came_in(desk):
    card_id = desk.create(RECEIVED, "Surat masuk", type_="tugas")
    assert sla_of(desk, card_id, "2026-12-24T09:00") is None
    # A member may give a card a clock; it counts from when the card came in.
    response = patch(desk, "petugas", card_id, "2026-12-28T09:00", type="pengaduan")
    assert response.status_code == 200
    assert response.get_json()["plugins"]["sla"]["due_at"] == DUE
    assert stored_clock(desk, card_id)["origin"] == "type_change"
    # ... but not take it away again.
    response = patch(desk, "petugas", card_id, "2026-12-28T09:30", type="tugas")
    assert response.status_code == 409
    assert card_type(desk, card_id) == "pengaduan"


def test_a_done_card_may_change_type_and_keeps_its_result(desk):
    card_id = desk.create(RECEIVED, "Pengaduan selesai")
    desk.move("2026-12-28T10:00", card_id, "Selesai")
    response = patch(
        desk, "petugas", card_id, "2026-12-28T11:00", type="informasi-publik", title="Selesai"
    )
    assert response.status_code == 200, response.get_json()
    clock = response.get_json()["plugins"]["sla"]
    assert (clock["policy"], clock["state"], clock["due_at"]) == ("pengaduan", "met", DUE)
    data = report(desk, "2026-12-29T09:00")
    assert data.by_type["pengaduan"].met == 1


def test_the_tick_alerts_a_card_whose_type_changed(desk):
    card_id = desk.create(RECEIVED, "Pengaduan pasar")
    response = patch(desk, "kasi", card_id, "2026-12-24T09:00", type="tugas", reason="Koreksi")
    assert response.status_code == 200
    with desk.app.app_context():
        counts = run_tick(wib("2026-12-31T09:00"))
        assert counts["breached"] == 1
        kinds = db.session.scalars(select(Notification.kind)).all()
    assert set(kinds) == {"sla_breached"}


# --- cards from before clocks were stored -------------------------------------------------------


def test_a_card_without_a_stored_clock_keeps_it_through_a_type_change(desk):
    card_id = desk.create(RECEIVED, "Pengaduan lama")
    forget_clock(desk, card_id)
    # Nothing disappears: its clock is computed from its type, as before.
    assert sla_of(desk, card_id, "2026-12-24T09:00")["due_at"] == DUE
    response = patch(desk, "petugas", card_id, "2026-12-24T09:00", type="tugas")
    assert response.status_code == 409
    assert stored_clock(desk, card_id) is None  # the refused edit stored nothing
    response = patch(desk, "kasi", card_id, "2026-12-24T09:00", type="tugas", reason="Koreksi")
    assert response.status_code == 200
    assert stored_clock(desk, card_id)["origin"] == "upgrade"
    assert response.get_json()["plugins"]["sla"]["due_at"] == DUE
    assert report(desk, "2026-12-24T09:00").by_type["pengaduan"].open == 1


def test_the_tick_and_the_command_fix_the_clocks_of_older_cards(desk):
    open_id = desk.create(RECEIVED, "Pengaduan terbuka")
    done_id = desk.create(RECEIVED, "Pengaduan selesai")
    desk.move("2026-12-28T10:00", done_id, "Selesai")
    for card_id in (open_id, done_id):
        forget_clock(desk, card_id)
    with desk.app.app_context():
        assert run_tick(wib("2026-12-24T09:00"))["fixed"] == 1
        assert run_tick(wib("2026-12-24T09:05"))["fixed"] == 0
    assert stored_clock(desk, open_id)["origin"] == "upgrade"
    assert stored_clock(desk, done_id) is None  # the tick reads open cards only
    result = desk.app.test_cli_runner().invoke(args=["sla", "fix-clocks"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "Clocks fixed: 1"
    assert stored_clock(desk, done_id)["policy"]["type"] == "pengaduan"
    # Now fixed, a settings change no longer moves them.
    set_policies(desk, [dict(POLICIES[0], duration=10), *POLICIES[1:]])
    assert sla_of(desk, open_id, "2026-12-24T09:00")["due_at"] == DUE
    assert sla_of(desk, done_id, "2026-12-29T09:00")["state"] == "met"


# --- the case, on the demo data ---------------------------------------------------------


@pytest.mark.slow  # builds the twelve-week demo office; in the full run
def test_on_the_demo_a_member_cannot_hide_an_information_request_clock(database_url):
    """`permohonan-informasi` to `tugas` by a member of the information desk: refused, the card
    keeps its clock and its line in the head's report; the head may, with a reason."""
    from app import demo
    from app.demo.office import PEOPLE
    from app.models import BoardColumn
    from cergas.plugin import find_user
    from tests.conftest import make_app

    app = make_app(database_url, CERGAS_PLUGINS="sla")
    try:
        with app.app_context():
            demo.create_demo()
            board = db.session.scalar(select(Board).where(Board.name == "Layanan Informasi Publik"))
            card = db.session.scalar(
                select(Card)
                .join(BoardColumn, BoardColumn.id == Card.column_id)
                .where(
                    Card.board_id == board.id,
                    Card.type == "permohonan-informasi",
                    BoardColumn.kind != "done",
                )
                .order_by(Card.id)
            )
            card_id, version_now, board_id = card.id, card.version, board.id
            member = next(p for p in PEOPLE if p.unit == "SEKSI-PIP" and p.role == "member")
            head = next(p for p in PEOPLE if p.key == "kasi_pip")
            tokens = {
                "member": accounts.create_token(find_user(member.login)),
                "head": accounts.create_token(find_user(head.login)),
            }
            before = board_report(board).by_type["permohonan-informasi"].total

        def patch_as(who, **body):
            return app.test_client().patch(
                f"/api/v1/cards/{card_id}",
                json={"version": version_now, "type": "tugas", **body},
                headers={"Authorization": f"Bearer {tokens[who]}", "Accept-Language": "en"},
            )

        refused = patch_as("member")
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "vetoed"
        accepted = patch_as("head", reason="Permintaan internal, bukan permohonan informasi")
        assert accepted.status_code == 200, accepted.get_json()
        assert accepted.get_json()["plugins"]["sla"]["policy"] == "permohonan-informasi"
        with app.app_context():
            data = board_report(db.session.get(Board, board_id))
            assert data.by_type["permohonan-informasi"].total == before
            assert card_id in {line.card_id for line in data.type_changes}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
