"""Issue 27: a person's evidence (bukti dukung) per period across every board, grouped by RHK;
its XLSX/CSV exports with whole names and NIPs; the heads' feedback; the coverage view; and the
privacy of all of it (a colleague gets 404, on the pages and the API)."""

import csv
import io
from datetime import date, datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, Card, Sprint, Unit, User
from app.services import evidence, feedback
from app.services.errors import Invalid, NotFound
from tests.conftest import NIPS, get_user
from tests.performance_fixtures import build_performance, done_card
from tests.query_counter import count_queries

STAFF = NIPS["staff"]
Q4 = evidence.period_of_key("2026-Q4")


@pytest.fixture
def world(app, org):
    return build_performance(app, org)


def text(response) -> str:
    return response.get_data(as_text=True)


def titles(cards) -> list[str]:
    return [card.title for card in cards]


# --- the evidence ---------------------------------------------------------------------------------


def test_quarter_evidence_groups_done_cards_from_two_boards_under_their_rhk(app, org, world):
    with app.app_context():
        staff = get_user("staff", org)
        data = evidence.evidence(staff, staff, Q4)
        serve, report = data.groups
        assert serve.rhk.id == world.serve and report.rhk.id == world.report
        assert titles(serve.cards) == [
            "Aplikasi SIMPEG versi 2",
            "Bantu siaran pers",
            "Perbaikan formulir pengaduan",
        ]
        assert {card.board for card in serve.cards} == {
            "Layanan Aplikasi",
            "Pengaduan Aplikasi",
            "Liputan IKP",
        }
        # No work toward the report RHK this quarter: the 31 Dec 20:00 UTC card is 1 Jan WIB.
        assert report.cards == []
        # Not linked to an RHK, including the card done at 01:00 WIB on 1 October.
        assert titles(data.unlinked) == ["Tengah malam Oktober", "Rapat koordinasi SPBE"]
        first = serve.cards[0]
        assert first.done_on == date(2026, 10, 5) and first.due_date == date(2026, 12, 31)
        assert [d.name for d in first.documents] == ["berita acara.pdf"]
        assert [c.reason for c in first.deadline_changes] == ["Menunggu data dari BKD"]
        # The archived card counts; the board staff cannot open is theirs to report, unlinked.
        assert serve.cards[2].archived
        assert [card.may_open for card in serve.cards] == [True, False, True]
        assert data.card_count == 5


def test_a_month_is_its_own_period(app, org, world):
    with app.app_context():
        staff = get_user("staff", org)
        data = evidence.evidence(staff, staff, evidence.period_of_key("2026-10"))
        assert titles(data.groups[0].cards) == ["Aplikasi SIMPEG versi 2", "Bantu siaran pers"]
        assert titles(data.unlinked) == ["Tengah malam Oktober"]


def test_a_head_above_both_units_may_open_every_card_a_kasi_not(app, org, world):
    with app.app_context():
        staff = get_user("staff", org)
        kasi, kadis = get_user("kasi", org), get_user("kadis", org)
        assert [c.may_open for c in evidence.evidence(kasi, staff, Q4).groups[0].cards] == [
            True,
            False,
            True,
        ]
        assert all(c.may_open for c in evidence.evidence(kadis, staff, Q4).groups[0].cards)


@pytest.mark.parametrize("who", ["staff2", "outsider", "admin"])
def test_nobody_but_the_person_and_their_heads_sees_the_evidence(app, org, world, who):
    with app.app_context(), pytest.raises(NotFound):
        evidence.evidence(get_user(who, org), get_user("staff", org), Q4)


@pytest.mark.parametrize(
    "args,field",
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-Q5"}, "period"),
        ({"period": "Q4"}, "period"),
        ({"start": "2026-10-01"}, "to"),
        ({"start": "2026-12-01", "end": "2026-10-01"}, "from"),
        ({"start": "2025-01-01", "end": "2026-12-31"}, "from"),
        ({"start": "1 Okt", "end": "2026-10-31"}, "from"),
    ],
)
def test_bad_periods_are_refused_naming_the_field(app, args, field):
    with app.app_context(), pytest.raises(Invalid) as refused:
        evidence.clean_period(**args, today=date(2026, 12, 7))
    assert field in refused.value.fields


def test_free_dates_and_the_default_month(app):
    with app.app_context():
        free = evidence.clean_period(None, "2026-10-15", "2026-11-14", today=date(2026, 12, 7))
        assert (free.start, free.end, free.key) == (date(2026, 10, 15), date(2026, 11, 14), None)
        default = evidence.clean_period(today=date(2026, 12, 7))
        assert (default.start, default.end, default.key) == (
            date(2026, 12, 1),
            date(2026, 12, 31),
            "2026-12",
        )


def test_evidence_costs_the_same_queries_whatever_the_number_of_cards(app, org, world):
    def queries() -> int:
        with app.app_context():
            staff = get_user("staff", org)
            with count_queries(app) as statements:
                evidence.evidence(staff, staff, Q4)
            return len(statements)

    before = queries()
    with app.app_context():
        admin, staff = get_user("admin", org), get_user("staff", org)
        board = db.session.get(Card, world.first).board
        for number in range(6):
            done_card(admin, board, f"Tambahan {number}", datetime(2026, 11, 2, 3), assignee=staff)
    assert queries() == before


# --- the page and the exports ---------------------------------------------------------------------


def test_the_person_opens_their_quarter_evidence_page(client, auth, world):
    auth.login(STAFF)
    page = client.get(f"/people/{STAFF}/evidence?period=2026-Q4")
    assert page.status_code == 200
    body = text(page)
    for title in ("Aplikasi SIMPEG versi 2", "Bantu siaran pers", "Rapat koordinasi SPBE"):
        assert title in body
    assert "Pekerjaan Dewi" not in body and "Belum selesai" not in body
    assert STAFF in body and "Seksi Aplikasi" in body
    assert f'href="/cards/{world.first}/documents/{world.document}"' in body
    # The card on a board staff cannot open is listed without a link.
    assert f'href="/cards/{world.hidden}"' not in body
    assert f'href="/cards/{world.first}"' in body


def test_a_bad_period_on_the_page_says_so_and_shows_this_month(client, auth, world):
    auth.login(STAFF)
    page = client.get(f"/people/{STAFF}/evidence?period=2026-Q9")
    assert page.status_code == 422
    assert 'role="alert"' in text(page)


@pytest.mark.parametrize("who", ["staff2", "outsider", "admin"])
def test_a_colleague_gets_404_for_someone_elses_evidence(client, auth, api, world, who):
    login = "admin" if who == "admin" else NIPS[who]
    auth.login(login)
    for path in ("", ".xlsx", ".csv"):
        assert client.get(f"/people/{STAFF}/evidence{path}?period=2026-Q4").status_code == 404
    assert api(who).get(f"/api/v1/users/{STAFF}/evidence?period=2026-Q4").status_code == 404
    assert api(who).get(f"/api/v1/users/{STAFF}/feedback").status_code == 404


def test_the_xlsx_opens_with_whole_sheet_names_and_the_name_and_nip(app, org, client, auth, world):
    with app.app_context():
        staff = get_user("staff", org)
        staff.name = "Dr. Agus Pratama Wicaksono Nugroho, S.Kom., M.T."
        db.session.commit()
    auth.login(NIPS["kasi"])
    response = client.get(f"/people/{STAFF}/evidence.xlsx?period=2026-Q4")
    assert response.status_code == 200
    disposition = unquote(response.headers["Content-Disposition"])
    assert "Dr. Agus Pratama Wicaksono Nugroho, S.Kom., M.T." in disposition
    assert STAFF in disposition and "2026-Q4" in disposition
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == 2
    assert all(len(name) <= 31 for name in book.sheetnames)
    for sheet in book.worksheets:
        cells = [c for row in sheet.iter_rows(max_row=5, values_only=True) for c in row if c]
        assert "Dr. Agus Pratama Wicaksono Nugroho, S.Kom., M.T." in cells and STAFF in cells
    rhk_sheet = book.worksheets[0]
    rows = [row for row in rhk_sheet.iter_rows(values_only=True)]
    header = rows.index(next(row for row in rows if row[0] in ("No", "No.")))
    first, second = rows[header + 1], rows[header + 2]
    assert first[1] == "Terlayaninya permohonan aplikasi perangkat daerah"
    assert "12 permohonan" in first[3] and "90%" in first[3]
    assert "Aplikasi SIMPEG versi 2" in first[4] and "2026-10-05" in first[4]
    assert f"http://localhost/cards/{world.first}" in first[5]
    # Kasi cannot open the IKP board: its card is evidence, without a link.
    assert f"/cards/{world.hidden}" not in first[5]
    assert "berita acara.pdf" in first[6]
    assert second[1] == "Tersusunnya laporan kinerja aplikasi"
    unlinked = [row[1] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert "Rapat koordinasi SPBE" in unlinked and "Tengah malam Oktober" in unlinked


def test_the_csv_has_one_row_per_rhk_then_the_unlinked_work(client, auth, world):
    auth.login(STAFF)
    response = client.get(f"/people/{STAFF}/evidence.csv?from=2026-10-01&to=2026-12-31")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert [row[1] for row in rows if len(row) > 1 and row[1] == STAFF] == [STAFF]
    rhk_rows = [row for row in rows if len(row) > 1 and row[1].startswith("Ter")]
    assert [row[1] for row in rhk_rows] == [
        "Terlayaninya permohonan aplikasi perangkat daerah",
        "Tersusunnya laporan kinerja aplikasi",
    ]
    assert any(row[1:2] == ["Rapat koordinasi SPBE"] for row in rows)


def test_the_board_export_names_a_persons_sheet_by_the_whole_nip(app, org, client, auth, world):
    with app.app_context():
        staff = get_user("staff", org)
        staff.name = "Dr. Agus Pratama Wicaksono Nugroho, S.Kom., M.T."
        db.session.commit()
    auth.login(NIPS["kasi"])
    response = client.get(f"/boards/{org.board_id}/reports/done.xlsx?from=2026-09-01&to=2026-12-31")
    book = load_workbook(io.BytesIO(response.data))
    assert STAFF in book.sheetnames and NIPS["staff2"] in book.sheetnames
    first_row = book[STAFF].cell(row=1, column=1).value
    assert "Dr. Agus Pratama Wicaksono Nugroho, S.Kom., M.T." in first_row and STAFF in first_row


def test_the_api_answers_the_evidence_for_the_person(api, world):
    response = api("staff").get(f"/api/v1/users/{STAFF}/evidence?from=2026-10-01&to=2026-12-31")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["user"] == STAFF and body["period"]["start"] == "2026-10-01"
    assert [len(group["cards"]) for group in body["rhk"]] == [3, 0]
    hidden = next(c for c in body["rhk"][0]["cards"] if c["id"] == world.hidden)
    assert hidden["url"] is None
    assert body["rhk"][0]["cards"][0]["documents"][0]["url"].endswith(
        f"/cards/{world.first}/documents/{world.document}"
    )
    assert [c["title"] for c in body["unlinked"]] == [
        "Tengah malam Oktober",
        "Rapat koordinasi SPBE",
    ]
    bad = api("staff").get(f"/api/v1/users/{STAFF}/evidence?period=2026-13")
    assert bad.status_code == 422 and "period" in bad.get_json()["error"]["fields"]


# --- feedback -------------------------------------------------------------------------------------


def test_a_head_writes_feedback_the_person_and_heads_above_read_it(client, auth, api, app, world):
    auth.login(NIPS["kasi"])
    saved = client.post(
        f"/people/{STAFF}/feedback", data={"period": "2026-Q4", "body": "Laporan tepat waktu."}
    )
    assert saved.status_code == 302
    auth.logout()
    auth.login(STAFF)
    assert "Laporan tepat waktu." in text(client.get(f"/people/{STAFF}/evidence?period=2026-11"))
    assert "Laporan tepat waktu." not in text(
        client.get(f"/people/{STAFF}/evidence?period=2026-Q3")
    )
    assert [
        f["body"]
        for f in api("kabid").get(f"/api/v1/users/{STAFF}/feedback").get_json()["feedback"]
    ] == ["Laporan tepat waktu."]
    with app.app_context():
        entry = db.session.scalar(select(AdminEvent).where(AdminEvent.kind == "feedback.written"))
        # Audited without the text: the site administrator reads this log.
        assert "Laporan" not in repr(entry.after) and entry.after["period"] == "2026-Q4"


def test_the_person_cannot_write_their_own_feedback(client, auth, api, world):
    auth.login(STAFF)
    refused = client.post(f"/people/{STAFF}/feedback", data={"period": "2026-Q4", "body": "Bagus"})
    assert refused.status_code == 403
    assert (
        api("staff")
        .post(f"/api/v1/users/{STAFF}/feedback", json={"period": "2026-Q4", "body": "Bagus"})
        .status_code
        == 403
    )
    assert (
        api("staff2")
        .post(f"/api/v1/users/{STAFF}/feedback", json={"period": "2026-Q4", "body": "Bagus"})
        .status_code
        == 404
    )


def test_bad_feedback_is_refused_next_to_the_field(client, auth, api, world):
    auth.login(NIPS["kasi"])
    page = client.post(f"/people/{STAFF}/feedback", data={"period": "2026-14", "body": " "})
    assert page.status_code == 422
    assert 'id="feedback-period-error"' in text(page) and 'id="feedback-body-error"' in text(page)
    answer = api("kasi").post(f"/api/v1/users/{STAFF}/feedback", json={"period": "x", "body": ""})
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"period", "body"}


def test_only_the_author_changes_feedback_and_the_change_is_logged(api, app, world):
    created = api("kasi").post(
        f"/api/v1/users/{STAFF}/feedback", json={"period": "2026-10", "body": "Awal"}
    )
    assert created.status_code == 201
    feedback_id = created.get_json()["id"]
    assert (
        api("kabid").patch(f"/api/v1/feedback/{feedback_id}", json={"body": "Ubah"}).status_code
        == 403
    )
    assert (
        api("staff").patch(f"/api/v1/feedback/{feedback_id}", json={"body": "Ubah"}).status_code
        == 403
    )
    assert (
        api("staff2").patch(f"/api/v1/feedback/{feedback_id}", json={"body": "Ubah"}).status_code
        == 404
    )
    changed = api("kasi").patch(f"/api/v1/feedback/{feedback_id}", json={"body": "Sudah membaik"})
    assert changed.status_code == 200 and changed.get_json()["body"] == "Sudah membaik"
    with app.app_context():
        kinds = db.session.scalars(
            select(AdminEvent.kind).where(AdminEvent.target_kind == "feedback")
        ).all()
        assert kinds == ["feedback.written", "feedback.edited"]


# --- coverage -------------------------------------------------------------------------------------


def test_a_heads_coverage_lists_the_rhk_with_no_work_and_the_unlinked_work(
    app, client, auth, world
):
    with app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "SEKSI-APL"))
    auth.login(NIPS["kasi"])
    page = client.get(f"/units/{unit_id}/skp/coverage?period=2026-Q4")
    assert page.status_code == 200
    body = text(page)
    assert "Tersusunnya laporan kinerja aplikasi" in body
    assert "Rapat koordinasi SPBE" in body
    with app.app_context():
        kasi = db.session.scalar(select(User).where(User.nip == NIPS["kasi"]))
        rows = {row.person.login: row for row in evidence.coverage(kasi, unit_id, Q4).people}
        assert [r.text for r in rows[STAFF].rhk_without_work] == [
            "Tersusunnya laporan kinerja aplikasi"
        ]
        assert [c.title for c in rows[STAFF].unlinked] == [
            "Tengah malam Oktober",
            "Rapat koordinasi SPBE",
        ]
        assert rows[STAFF].linked_cards == 3
        assert rows[NIPS["staff2"]].rhk_without_work == []


@pytest.mark.parametrize("who,status", [("staff", 404), ("outsider", 404), ("admin", 404)])
def test_coverage_is_for_the_units_heads(app, client, auth, world, who, status):
    with app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "SEKSI-APL"))
    auth.login("admin" if who == "admin" else NIPS[who])
    assert client.get(f"/units/{unit_id}/skp/coverage?period=2026-Q4").status_code == status


# --- dialogue notes of a sprint review ------------------------------------------------------------


def test_a_dialogue_note_is_seen_by_its_person_and_not_by_a_colleague(app, org, api, world):
    from app.services import sprints

    with app.app_context():
        admin = get_user("admin", org)
        sprint = sprints.create_sprint(
            admin,
            org.board_id,
            {
                "name": "Sprint Oktober",
                "goal": "Layanan cepat",
                "start": "2026-10-05",
                "end": "2026-10-16",
            },
        )
        sprints.add_cards(admin, sprint.id, [world.open])
        sprint_id = sprint.id
    note = {"user": STAFF, "body": "Sepakat fokus ke laporan."}
    assert api("staff").post(f"/api/v1/sprints/{sprint_id}/dialogue", json=note).status_code == 403
    saved = api("kasi").post(f"/api/v1/sprints/{sprint_id}/dialogue", json=note)
    assert saved.status_code == 200, saved.get_json()
    assert [
        n["body"]
        for n in api("staff").get(f"/api/v1/sprints/{sprint_id}/dialogue").get_json()["notes"]
    ] == ["Sepakat fokus ke laporan."]
    assert api("staff2").get(f"/api/v1/sprints/{sprint_id}/dialogue").get_json()["notes"] == []
    stranger = {"user": NIPS["outsider"], "body": "x"}
    refused = api("kasi").post(f"/api/v1/sprints/{sprint_id}/dialogue", json=stranger)
    assert refused.status_code == 422 and "user" in refused.get_json()["error"]["fields"]
    with app.app_context():
        assert feedback.sprint_people(db.session.get(Sprint, sprint_id))


def test_the_sprint_review_records_a_dialogue_note_only_its_person_reads(
    app, org, client, auth, world
):
    from app.services import sprints

    with app.app_context():
        admin = get_user("admin", org)
        sprint = sprints.create_sprint(
            admin,
            org.board_id,
            {"name": "Sprint Nov", "goal": "Laporan", "start": "2026-11-02", "end": "2026-11-13"},
        )
        sprints.add_cards(admin, sprint.id, [world.open])
        sprint_id = sprint.id
    review = f"/sprints/{sprint_id}/review"
    auth.login(NIPS["kasi"])
    form = client.get(review).get_data(as_text=True)
    assert f'action="/sprints/{sprint_id}/dialogue"' in form and "Agus Pratama" in form
    saved = client.post(
        f"/sprints/{sprint_id}/dialogue", data={"person": STAFF, "body": "Target laporan jelas."}
    )
    assert saved.status_code == 302
    auth.logout()
    auth.login(STAFF)
    assert "Target laporan jelas." in client.get(review).get_data(as_text=True)
    auth.logout()
    auth.login(NIPS["staff2"])
    colleague = client.get(review).get_data(as_text=True)
    assert "Target laporan jelas." not in colleague and 'id="dialogue"' not in colleague
    assert (
        client.post(
            f"/sprints/{sprint_id}/dialogue", data={"person": STAFF, "body": "x"}
        ).status_code
        == 403
    )


def test_the_author_changes_feedback_on_the_page_and_a_blank_text_is_refused(
    client, auth, api, world
):
    created = api("kasi").post(
        f"/api/v1/users/{STAFF}/feedback", json={"period": "2026-Q4", "body": "Awal"}
    )
    feedback_id = created.get_json()["id"]
    auth.login(NIPS["kasi"])
    page = text(client.get(f"/people/{STAFF}/evidence?period=2026-Q4"))
    assert f'action="/feedback/{feedback_id}?' in page
    refused = client.post(f"/feedback/{feedback_id}", data={"body": "   "})
    assert refused.status_code == 422
    assert f'id="feedback-edit-{feedback_id}-error"' in text(refused)
    saved = client.post(f"/feedback/{feedback_id}", data={"body": "Sudah membaik"})
    assert saved.status_code == 302 and "period=2026-Q4" in saved.headers["Location"]
    assert "Sudah membaik" in text(client.get(saved.headers["Location"]))
    auth.logout()
    auth.login(NIPS["kabid"])
    # Kabid reads it but may not change Kasi's words: no form, and a 403 for a forged post.
    assert f'action="/feedback/{feedback_id}?' not in text(
        client.get(f"/people/{STAFF}/evidence?period=2026-Q4")
    )
    assert client.post(f"/feedback/{feedback_id}", data={"body": "x"}).status_code == 403


def test_coverage_costs_the_same_queries_whatever_the_number_of_cards(app, org, world):
    with app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "SEKSI-APL"))

    def queries() -> int:
        with app.app_context():
            kasi = get_user("kasi", org)
            with count_queries(app) as statements:
                evidence.coverage(kasi, unit_id, Q4)
            return len(statements)

    before = queries()
    with app.app_context():
        admin, staff2 = get_user("admin", org), get_user("staff2", org)
        board = db.session.get(Card, world.first).board
        for number in range(5):
            done_card(admin, board, f"Dewi {number}", datetime(2026, 11, 3, 3), assignee=staff2)
    assert queries() == before
