# ruff: noqa: F811 - the `desk` fixture is imported from tests.sla_fixtures
"""SLA clocks on cards: due moments on the unit's working calendar, pause columns, states in
the card API (`plugins.sla`) and badges on the board, for all cards at once."""

import pytest

from tests.query_counter import count_queries
from tests.sla_fixtures import api_get, at, desk  # noqa: F401


def sla_of(d, card_id, when, who="petugas"):
    with at(when):
        response = api_get(d.app, who, f"/api/v1/cards/{card_id}")
    assert response.status_code == 200
    return response.get_json()["plugins"].get("sla")


def test_due_is_close_of_the_third_working_day_over_christmas(desk):
    card = desk.create("2026-12-23T10:00", "Pengaduan jalan rusak")
    sla = sla_of(desk, card, "2026-12-23T11:00")
    assert sla == {
        "policy": "pengaduan",
        "due_at": "2026-12-30T16:00:00+07:00",
        "state": "on_track",
        "remaining_seconds": int((5 + 3 * 8.5) * 3600),
    }


@pytest.mark.parametrize(
    "when, state",
    [
        ("2026-12-29T09:00", "on_track"),  # 5 + 8.5 + 1.5 = 15 h of 31.5 used
        ("2026-12-30T09:00", "at_risk"),  # 25 of 31.5 h used: past 75 %
        ("2026-12-30T16:00", "at_risk"),  # exactly due: not late yet
        ("2026-12-30T16:01", "breached"),
    ],
)
def test_states_follow_the_share_of_time_used(desk, when, state):
    card = desk.create("2026-12-23T10:00", "Pengaduan lampu jalan")
    assert sla_of(desk, card, when)["state"] == state


def test_breached_card_shows_negative_remaining_working_time(desk):
    card = desk.create("2026-12-23T10:00", "Pengaduan sampah")
    sla = sla_of(desk, card, "2026-12-31T09:30")
    assert sla["state"] == "breached"
    assert sla["remaining_seconds"] == -2 * 3600


def test_pause_column_stops_the_clock_and_moves_the_due_moment(desk):
    card = desk.create("2026-12-23T10:00", "Pengaduan izin")
    desk.move("2026-12-28T08:00", card, "Diproses")
    desk.move("2026-12-28T10:00", card, "Menunggu kelengkapan")
    paused = sla_of(desk, card, "2026-12-29T12:00")
    assert paused["state"] == "paused"
    # Waiting Monday 10:00 → Wednesday 10:00 is 2 working days (17 h): due moves with it.
    desk.move("2026-12-30T10:00", card, "Diproses")
    running = sla_of(desk, card, "2026-12-30T11:00")
    assert running["state"] == "on_track"
    assert running["due_at"] == "2027-01-04T16:00:00+07:00"  # 31 Dec, (1 Jan off), 4 Jan


def test_reaching_done_stops_the_clock_as_met_or_missed(desk):
    on_time = desk.create("2026-12-23T10:00", "Tepat waktu")
    desk.move("2026-12-30T15:00", on_time, "Selesai")
    late = desk.create("2026-12-23T10:00", "Terlambat")
    desk.move("2026-12-31T08:30", late, "Selesai")
    met = sla_of(desk, on_time, "2027-02-01T10:00")
    assert met["state"] == "met" and met["remaining_seconds"] == 3600
    missed = sla_of(desk, late, "2027-02-01T10:00")
    assert missed["state"] == "missed" and missed["remaining_seconds"] == -3600


def test_start_active_waits_for_the_first_active_column(desk):
    card = desk.create("2026-12-01T09:00", "Permohonan informasi", type_="informasi")
    assert sla_of(desk, card, "2026-12-10T09:00") is None
    desk.move("2026-12-10T09:00", card, "Diproses")
    # KIP: 10 working days, 24 and 25 December off.
    assert sla_of(desk, card, "2026-12-10T10:00")["due_at"] == "2026-12-28T16:00:00+07:00"


def test_working_hours_policy(desk):
    card = desk.create("2026-12-23T14:00", "KTP-el", type_="dukcapil")
    sla = sla_of(desk, card, "2026-12-23T14:30")
    # 2 h on Wednesday, then 2 h from Monday 07:30.
    assert sla["due_at"] == "2026-12-28T09:30:00+07:00"


def test_cards_without_a_policy_have_no_sla(desk):
    card = desk.create("2026-12-23T10:00", "Tugas biasa", type_="tugas")
    assert sla_of(desk, card, "2026-12-23T11:00") is None


def test_board_badges_show_time_left_and_lateness(desk):
    from tests.conftest import PASSWORD

    desk.create("2026-12-23T10:00", "Pengaduan A")
    desk.create("2026-12-16T10:00", "Pengaduan B")
    client = desk.app.test_client()
    client.post("/login", data={"username": "199001012015011004", "password": PASSWORD})
    with at("2026-12-23T11:00"):
        page = client.get(f"/boards/{desk.s.board_id}").get_data(as_text=True)
    assert "3 working days left" in page or "3 hari kerja" in page
    assert "badge-success" in page
    assert "badge-danger" in page  # B was due 21 December 16:00
    assert "Late" in page or "Terlambat" in page


def test_badges_cost_the_same_queries_for_many_cards(desk):
    from app.extensions import db
    from app.models import Board, Card

    def badge_queries():
        with desk.app.app_context():
            host = desk.app.extensions["cergas_plugins"]
            board = db.session.get(Board, desk.s.board_id)
            rows = list(db.session.scalars(db.select(Card)))
            with count_queries(desk.app) as statements, at("2026-12-23T11:00"):
                badges = host.card_badges(rows, board)
            return len(badges), len(statements)

    for n in range(3):
        desk.create("2026-12-23T10:00", f"Pengaduan {n}")
    few, small = badge_queries()
    for n in range(20):
        desk.create("2026-12-23T10:00", f"Lagi {n}")
    many, large = badge_queries()
    assert (few, many) == (3, 23)
    assert large == small
