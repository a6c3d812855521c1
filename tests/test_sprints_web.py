"""Planning, starting, working, closing and reviewing a sprint in the browser."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Card, Sprint
from app.services import cards, sprints
from tests.conftest import get_user

GOAL = "Semua permohonan informasi Oktober dijawab"


def page(response) -> str:
    return response.get_data(as_text=True)


def make_cards(app, org, *titles, column=None, **fields):
    with app.app_context():
        admin = get_user("admin", org)
        return [
            cards.create_card(
                admin,
                org.board_id,
                {"title": title, "due_date": "2026-12-31", **fields},
                column_id=column,
            ).card.id
            for title in titles
        ]


def create_sprint_form(client, org, **values):
    data = {"name": "Sprint Oktober", "goal": GOAL, "start": "2026-10-05", "end": "2026-10-16"}
    return client.post(f"/boards/{org.board_id}/sprints", data={**data, **values})


def test_head_plans_starts_and_the_board_shows_the_goal_and_progress(app, client, auth, org):
    first, second = make_cards(app, org, "Jawab permohonan 01", "Jawab permohonan 02")
    auth.login(org.nips["kasi"])
    response = create_sprint_form(client, org)
    assert response.status_code == 302
    sprint_url = response.headers["Location"]
    plan = page(client.get(sprint_url))
    assert GOAL in plan and "Jawab permohonan 01" in plan
    sprint_id = int(sprint_url.rsplit("/", 1)[1])
    response = client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [first, second]})
    assert response.status_code == 302
    assert client.post(f"/sprints/{sprint_id}/start").status_code == 302
    with app.app_context():
        assert db.session.get(Sprint, sprint_id).state == "active"
        cards.move_card(get_user("kasi", org), first, org.done)
    board = page(client.get(f"/boards/{org.board_id}"))
    bar = re.search(r'<section class="sprint-bar".*?</section>', board, re.S).group(0)
    assert GOAL in bar and "Sprint Oktober" in bar
    assert '<progress max="2" value="1"' in bar


def test_members_read_sprints_but_see_no_planning_forms(app, client, auth, org):
    make_cards(app, org, "Kartu A")
    with app.app_context():
        sprint_id = sprints.create_sprint(
            get_user("kasi", org),
            org.board_id,
            {"name": "Sprint 1", "goal": GOAL, "start": "2026-10-05", "end": "2026-10-16"},
        ).id
    auth.login(org.nips["staff"])
    listing = page(client.get(f"/boards/{org.board_id}/sprints"))
    assert "Sprint 1" in listing and 'name="goal"' not in listing
    detail = page(client.get(f"/sprints/{sprint_id}"))
    assert GOAL in detail and 'name="card_ids"' not in detail
    assert client.post(f"/sprints/{sprint_id}/start").status_code == 403


def test_bad_sprint_form_shows_the_message_next_to_each_field(client, auth, org):
    auth.login(org.nips["kasi"])
    response = create_sprint_form(client, org, goal="  ", start="2026-10-20", end="2026-10-05")
    assert response.status_code == 422
    html = page(response)
    assert 'id="sprint-goal-error"' in html and 'id="sprint-end-error"' in html
    assert 'aria-invalid="true"' in html
    response = create_sprint_form(client, org, start="5 Oktober", end="")
    assert 'id="sprint-start-error"' in page(response) and 'id="sprint-end-error"' in page(response)


def test_starting_an_empty_sprint_or_a_second_active_one_is_refused(app, client, auth, org):
    (card,) = make_cards(app, org, "Kartu A")
    auth.login(org.nips["kasi"])
    first = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    second = int(
        create_sprint_form(client, org, name="Sprint B").headers["Location"].rsplit("/", 1)[1]
    )
    refused = client.post(f"/sprints/{first}/start")
    assert refused.status_code == 409 and 'role="alert"' in page(refused)
    client.post(f"/sprints/{first}/cards", data={"card_ids": [card]})
    assert client.post(f"/sprints/{first}/start").status_code == 302
    (other,) = make_cards(app, org, "Kartu B")
    client.post(f"/sprints/{second}/cards", data={"card_ids": [other]})
    assert client.post(f"/sprints/{second}/start").status_code == 409
    with app.app_context():
        assert db.session.get(Sprint, second).state == "planned"


def test_close_form_needs_a_verdict_and_a_note_when_not_met_and_carries_cards(
    app, client, auth, org
):
    done, open_one, open_two = make_cards(app, org, "Selesai satu", "Belum dua", "Belum tiga")
    auth.login(org.nips["kasi"])
    sprint_id = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    following = int(
        create_sprint_form(
            client, org, name="Sprint November", start="2026-10-19", end="2026-10-30"
        )
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [done, open_one, open_two]})
    client.post(f"/sprints/{sprint_id}/start")
    with app.app_context():
        cards.move_card(get_user("kasi", org), done, org.done)
    form = page(client.get(f"/sprints/{sprint_id}/close"))
    assert "Belum dua" in form and "Selesai satu" not in form.split("pick-list")[-1]
    refused = client.post(f"/sprints/{sprint_id}/close", data={"goal_met": "partly", "note": ""})
    assert refused.status_code == 422 and 'id="close-note-error"' in page(refused)
    refused = client.post(f"/sprints/{sprint_id}/close", data={"goal_met": "maybe"})
    assert refused.status_code == 422 and 'id="goal-met-error"' in page(refused)
    response = client.post(
        f"/sprints/{sprint_id}/close",
        data={
            "goal_met": "partly",
            "note": "Dua surat menunggu tanda tangan",
            "carry_mode": "each",
            f"carry-{open_one}": "next",
            f"carry-{open_two}": "backlog",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    with app.app_context():
        assert db.session.get(Card, open_one).sprint_id == following
        assert db.session.get(Card, open_two).sprint_id is None
        assert db.session.get(Sprint, sprint_id).goal_met == "partly"
    review = page(client.get(f"/sprints/{sprint_id}/review"))
    assert "Dua surat menunggu tanda tangan" in review and GOAL in review
    assert '<svg class="chart" id="burndown-' in review and "<desc" in review


def test_close_all_to_the_next_sprint_without_one_is_refused(app, client, auth, org):
    (card,) = make_cards(app, org, "Kartu A")
    auth.login(org.nips["kasi"])
    sprint_id = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [card]})
    client.post(f"/sprints/{sprint_id}/start")
    refused = client.post(
        f"/sprints/{sprint_id}/close",
        data={"goal_met": "no", "note": "Tertunda", "carry_mode": "all", "carry_over": "next"},
    )
    assert refused.status_code == 422 and 'id="carry-error"' in page(refused)
    ok = client.post(
        f"/sprints/{sprint_id}/close",
        data={"goal_met": "no", "note": "Tertunda", "carry_mode": "all", "carry_over": "backlog"},
    )
    assert ok.status_code == 302


def test_scope_changes_after_the_start_are_recorded_and_shown(app, client, auth, org):
    first, second, late = make_cards(app, org, "Awal satu", "Awal dua", "Masuk belakangan")
    auth.login(org.nips["kasi"])
    sprint_id = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [first, second]})
    client.post(f"/sprints/{sprint_id}/start")
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [late]})
    client.post(f"/sprints/{sprint_id}/cards/{second}/remove")
    review = page(client.get(f"/sprints/{sprint_id}/review"))
    scope = review.split('id="scope"')[1].split("</section>")[0]
    assert "Masuk belakangan" in scope and "Awal dua" in scope and "Awal satu" not in scope


def test_done_cards_in_another_sprint_cannot_be_committed(app, client, auth, org):
    (finished,) = make_cards(app, org, "Sudah selesai", column=org.done)
    auth.login(org.nips["kasi"])
    sprint_id = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    refused = client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [finished]})
    assert refused.status_code == 422 and 'id="card-ids-error"' in page(refused)
    refused = client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": ["abc"]})
    assert refused.status_code == 422


def test_reports_page_draws_charts_with_text_alternatives(app, client, auth, org):
    make_cards(app, org, "Kartu selesai", column=org.done)
    auth.login(org.nips["staff"])
    html = page(client.get(f"/boards/{org.board_id}/reports"))
    for chart in ("throughput", "cfd", "flow-times"):
        assert f'<svg class="chart" id="{chart}"' in html
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert html.count("<table") >= 4
    bad = client.get(f"/boards/{org.board_id}/reports?from=2026-13-01&aging=x")
    assert bad.status_code == 422 and 'id="report-from-error"' in page(bad)


def test_exports_list_done_cards_per_person_as_csv_and_xlsx(app, client, auth, org):
    make_cards(app, org, "=SUM(A1)", "Laporan bulanan", column=org.done, assignee=org.nips["staff"])
    make_cards(app, org, "Belum selesai", assignee=org.nips["staff"])
    make_cards(app, org, "Punya Dewi", column=org.done, assignee=org.nips["staff2"])
    auth.login(org.nips["staff"])
    base = f"/boards/{org.board_id}/reports"
    response = client.get(f"{base}/done.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(page(response).lstrip("\ufeff"))))
    titles = [row[2] for row in rows[1:]]
    assert sorted(titles) == sorted(["'=SUM(A1)", "Laporan bulanan", "Punya Dewi"])
    assert all(row[8].startswith("http://localhost/cards/") for row in rows[1:])
    mine = list(
        csv.reader(
            io.StringIO(
                page(client.get(f"{base}/done.csv?person={org.nips['staff']}")).lstrip("\ufeff")
            )
        )
    )
    assert [row[1] for row in mine[1:]] == [org.nips["staff"]] * 2
    response = client.get(f"{base}/done.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == 3  # everything, then one sheet per person
    first = book.worksheets[0]
    assert [first.cell(row=r, column=3).value for r in range(3, first.max_row + 1)].count(
        "Punya Dewi"
    ) == 1
    assert client.get(f"{base}/done.csv?from=kemarin").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Card.id).where(Card.title == "Belum selesai"))


@pytest.mark.pg
def test_the_sprint_bar_costs_the_same_queries_whatever_the_sprint_size(app, client, auth, org):
    from tests.query_counter import count_queries

    def board_queries() -> int:
        with count_queries(app) as statements:
            assert client.get(f"/boards/{org.board_id}").status_code == 200
        return len(statements)

    few = make_cards(app, org, "Satu", "Dua")
    auth.login(org.nips["kasi"])
    sprint_id = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": few})
    client.post(f"/sprints/{sprint_id}/start")
    small = board_queries()
    more = make_cards(app, org, *[f"Tambahan {i}" for i in range(12)])
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": more})
    with app.app_context():
        cards.move_card(get_user("kasi", org), more[0], org.done)
    assert board_queries() == small
    assert '<progress max="14" value="1"' in page(client.get(f"/boards/{org.board_id}"))


def test_garbage_in_sprint_and_report_forms_is_a_4xx_never_a_500(app, client, auth, org):
    huge, long = "9" * 30, "x" * 30_000
    (card,) = make_cards(app, org, "Kartu A")
    auth.login(org.nips["kasi"])
    sprint_id = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [card]})
    client.post(f"/sprints/{sprint_id}/start")
    b = org.board_id
    requests = [
        ("post", f"/boards/{b}/sprints", {"name": long, "goal": long, "start": huge, "end": "-"}),
        ("post", f"/boards/{b}/sprints", {"name": "x\x00", "goal": "y", "start": "2026-02-30"}),
        ("post", f"/sprints/{sprint_id}/cards", {"card_ids": [huge, "-1", ""]}),
        ("post", f"/sprints/{sprint_id}/cards/{huge}/remove", {}),
        ("post", f"/sprints/{huge}/start", {}),
        ("post", f"/sprints/{sprint_id}/close", {"goal_met": long, "note": long}),
        (
            "post",
            f"/sprints/{sprint_id}/close",
            {"goal_met": "no", "note": "x", "carry_mode": "each", f"carry-{huge}": "next"},
        ),
        ("post", f"/sprints/{sprint_id}/close", {"goal_met": "yes", "carry_over": long}),
        ("get", f"/boards/{b}/reports?from={huge}&to=2026-02-30&aging=-5", None),
        ("get", f"/boards/{b}/reports/done.csv?from=2026-01-01&to=2026-12-31&person={long}", None),
        ("get", f"/boards/{b}/reports/done.xlsx?from=1999-01-01", None),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data=data)
        assert 400 <= response.status_code < 500, (url, response.status_code)
    with app.app_context():
        assert db.session.get(Sprint, sprint_id).state == "active"
