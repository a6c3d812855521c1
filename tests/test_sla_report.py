# ruff: noqa: F811 - the `desk` fixture is imported from tests.sla_fixtures
"""The per-board SLA report: compliance per month and card type, breaches with assignee and
lateness, and the CSV export, checked against a seeded history."""

import csv
import io

from tests.conftest import PASSWORD
from tests.sla_fixtures import NIPS, at, desk  # noqa: F401


def seed(d):
    """November: 2 pengaduan met, 1 missed. December: 1 pengaduan met, 1 open and late,
    1 informasi open on track, 1 tugas (no policy)."""
    ids = {}
    ids["nov_met_1"] = d.create("2026-11-02T09:00", "Nov tepat 1")  # due 5 Nov 16:00
    d.move("2026-11-04T10:00", ids["nov_met_1"], "Selesai")
    ids["nov_met_2"] = d.create("2026-11-10T09:00", "Nov tepat 2")  # due 13 Nov 16:30
    d.move("2026-11-13T16:30", ids["nov_met_2"], "Selesai")
    ids["nov_missed"] = d.create("2026-11-16T09:00", "Nov terlambat")  # due 19 Nov 16:00
    d.move("2026-11-20T09:30", ids["nov_missed"], "Selesai")  # 2 working hours late
    ids["dec_met"] = d.create("2026-12-01T09:00", "Des tepat")
    d.move("2026-12-02T09:00", ids["dec_met"], "Selesai")
    ids["dec_late"] = d.create("2026-12-14T09:00", "Des masih terbuka")  # due 17 Dec 16:00
    ids["dec_info"] = d.create("2026-12-21T09:00", "Permohonan informasi", type_="informasi")
    d.move("2026-12-21T10:00", ids["dec_info"], "Diproses")
    ids["tugas"] = d.create("2026-12-21T09:00", "Tugas tanpa SLA", type_="tugas")
    return ids


def client_for(d, who):
    client = d.app.test_client()
    client.post("/login", data={"username": NIPS[who], "password": PASSWORD})
    return client


def test_report_figures_match_the_history(desk):
    from plugins.sla.report import board_report
    from tests.sla_fixtures import wib

    seed(desk)
    with desk.app.app_context():
        from app.extensions import db
        from app.models import Board

        report = board_report(db.session.get(Board, desk.s.board_id), wib("2026-12-22T10:00"))
        nov = report.months["2026-11"]["pengaduan"]
        assert (nov.met, nov.missed, nov.open) == (2, 1, 0)
        assert round(nov.compliance, 3) == 0.667
        dec = report.months["2026-12"]
        assert (dec["pengaduan"].met, dec["pengaduan"].missed, dec["pengaduan"].open) == (1, 0, 1)
        assert dec["pengaduan"].late == 1
        assert (dec["informasi"].open, dec["informasi"].late) == (1, 0)
        assert "tugas" not in dec
        assert (report.total.met, report.total.missed, report.total.open) == (3, 1, 2)
        breaches = [(line.title, line.clock.state, line.assignee.login) for line in report.breaches]
        assert breaches == [
            ("Des masih terbuka", "breached", NIPS["petugas"]),
            ("Nov terlambat", "missed", NIPS["petugas"]),
        ]
        missed = report.breaches[1]
        assert missed.clock.late_seconds == 2 * 3600


def test_report_page_for_heads(desk):
    seed(desk)
    with at("2026-12-22T10:00"):
        page = client_for(desk, "kasi").get(f"/plugins/sla/boards/{desk.s.board_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nov terlambat" in html and "Des masih terbuka" in html
    assert "67%" in html
    assert "Agus Pratama" in html


def test_report_csv_lists_every_card_with_a_clock(desk):
    ids = seed(desk)
    with at("2026-12-22T10:00"):
        response = client_for(desk, "kadis").get(
            f"/plugins/sla/boards/{desk.s.board_id}/report.csv"
        )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_id = {int(row["card_id"]): row for row in rows}
    assert ids["tugas"] not in by_id
    assert len(rows) == 6
    missed = by_id[ids["nov_missed"]]
    assert missed["state"] == "missed"
    assert missed["late_seconds"] == "7200"
    assert missed["due_at"] == "2026-11-19T16:00:00+07:00"
    assert missed["done_at"] == "2026-11-20T09:30:00+07:00"
    assert missed["assignee"] == NIPS["petugas"]
    assert by_id[ids["dec_late"]]["state"] == "breached"
    assert by_id[ids["dec_info"]]["month"] == "2026-12"


def test_report_is_for_heads_only(desk):
    url = f"/plugins/sla/boards/{desk.s.board_id}"
    assert client_for(desk, "petugas").get(url).status_code == 403
    assert client_for(desk, "petugas").get(url + "/report.csv").status_code == 403
    assert client_for(desk, "outsider").get(url).status_code == 404
    assert desk.app.test_client().get(url).status_code in (302, 401)
    assert client_for(desk, "kasi").get("/plugins/sla/boards/999999").status_code == 404


def test_index_lists_the_boards_a_head_may_report_on(desk):
    page = client_for(desk, "kasi").get("/plugins/sla/")
    assert page.status_code == 200
    assert "Layanan Pengaduan" in page.get_data(as_text=True)
    member = client_for(desk, "petugas").get("/plugins/sla/")
    assert "Layanan Pengaduan" not in member.get_data(as_text=True)
