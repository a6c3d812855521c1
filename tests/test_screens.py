"""What a Kepala Seksi and a staff member read at a glance (issue 26): one warning per fact,
folded for members; refusals that offer the missing field; sprint wording and confirmations;
the sprint marker and the "this sprint only" filter."""

import re
from datetime import timedelta

from app.extensions import db
from app.models import Card, Sprint
from app.plugins import one_warning_per_fact
from app.services import cards, sprints
from app.web import local_today
from cergas.plugin import BoardWarning
from tests.conftest import get_user
from tests.i18n_helpers import t
from tests.test_web_move import HTMX_DIALOG, HTMX_DROP, fill_doing, new_card, page

GOAL = "Semua permohonan informasi dijawab"


# --- warnings --------------------------------------------------------------------------------


def test_warnings_about_the_same_fact_are_shown_once_the_most_severe():
    found = [
        ("workload", BoardWarning("Only Ahmad holds it: train someone", "info", "skill:x")),
        ("sla", BoardWarning("3 requests are late", "danger")),
        ("competency", BoardWarning("Only Ahmad holds it: train a second person", key="skill:x")),
        ("other", BoardWarning("A fact of its own")),
    ]
    kept = one_warning_per_fact(found)
    assert [(plugin, w.text) for plugin, w in kept] == [
        ("competency", "Only Ahmad holds it: train a second person"),
        ("sla", "3 requests are late"),
        ("other", "A fact of its own"),
    ]


def test_competency_and_workload_name_the_single_holder_fact_alike():
    from plugins.workload import fact_key
    from plugins.workload.load import WorkloadWarning

    warning = WorkloadWarning("single_holder", "…", "info", ["ahmad"], skill="public-speaking")
    assert fact_key(warning) == "skill-single-holder:public-speaking"


def test_board_warnings_fold_into_one_line_led_by_the_most_severe(app):
    items = [
        ("workload", BoardWarning("Beban tidak seimbang", "warning")),
        ("sla", BoardWarning("3 permohonan lewat tenggat", "danger")),
    ]
    with app.test_request_context():
        macros = app.jinja_env.get_template("boards/_macros.html").module
        html = str(macros.warning_list(items))
    assert html.strip().startswith('<details class="warnings-box board-warning-danger"')
    summary = re.search(r"<summary>(.*?)</summary>", html, re.S).group(1)
    assert "3 permohonan lewat tenggat" in summary and "Beban" not in summary
    assert html.count('<li class="board-warning') == 2


def test_heads_get_the_warnings_open_members_folded(client, auth, org):
    auth.login(org.nips["staff"])
    assert "data-board-manager" not in page(client.get(f"/boards/{org.board_id}"))
    auth.login(org.nips["kasi"])
    assert 'data-board-manager="1"' in page(client.get(f"/boards/{org.board_id}"))


# --- refusals where the hand is ----------------------------------------------------------------


def test_drop_refused_for_a_missing_due_date_offers_the_move_form(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org, "Tanpa tenggat", due=False)
    auth.login(org.nips["staff"])
    response = client.post(
        f"/cards/{card_id}/move", data={"column_id": org.doing, "position": "0"}, headers=HTMX_DROP
    )
    assert response.status_code == 422
    link = f'href="/cards/{card_id}/move?column_id={org.doing}"'
    assert link in page(response) and t("Set a due date and move…") in page(response)
    form = page(client.get(f"/cards/{card_id}/move?column_id={org.doing}", headers=HTMX_DIALOG))
    assert 'name="due_date" type="date"' in form and 'name="version"' in form


def test_move_form_sets_the_first_due_date_and_moves_in_one_step(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org, "Tanpa tenggat", due=False)
    auth.login(org.nips["staff"])
    refused = client.post(f"/cards/{card_id}/move", data={"column_id": org.doing})
    assert refused.status_code == 422 and 'id="move-due-error"' in page(refused)
    due = (local_today("Asia/Jakarta") + timedelta(5)).isoformat()
    moved = client.post(
        f"/cards/{card_id}/move", data={"column_id": org.doing, "due_date": due, "version": "1"}
    )
    assert moved.status_code == 302
    with app.app_context():
        card = db.session.get(Card, card_id)
        assert (card.column_id, card.due_date.isoformat()) == (org.doing, due)


def test_a_due_date_given_with_a_refused_move_is_not_kept(app, client, auth, org):
    with app.app_context():
        fill_doing(org)
        card_id = new_card(org, "Tanpa tenggat", due=False)
    auth.login(org.nips["staff"])
    due = (local_today("Asia/Jakarta") + timedelta(5)).isoformat()
    refused = client.post(
        f"/cards/{card_id}/move", data={"column_id": org.doing, "due_date": due, "version": "1"}
    )
    assert refused.status_code == 409
    assert f'value="{due}"' in page(refused)  # offered again as typed
    with app.app_context():
        card = db.session.get(Card, card_id)
        assert (card.column_id, card.due_date) == (org.backlog, None)


# --- sprints -----------------------------------------------------------------------------------


def planned_sprint(app, org, name, start, end):
    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = new_card(org, "Kartu sprint")
        sprint = sprints.create_sprint(
            kasi,
            org.board_id,
            {"name": name, "goal": GOAL, "start": start.isoformat(), "end": end.isoformat()},
        )
        sprints.add_cards(kasi, sprint.id, [card_id])
        return sprint.id, card_id


def test_sprint_label_never_says_sprint_twice(app):
    with app.test_request_context():
        assert sprints.sprint_label("Sprint 49") == "Sprint 49"
        assert sprints.sprint_label("sprint januari") == "sprint januari"
        assert sprints.sprint_label("Januari") == "Sprint Januari"


def test_starting_before_the_start_date_asks_for_confirmation(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    sprint_id, _card = planned_sprint(
        app, org, "Sprint 49", today + timedelta(3), today + timedelta(17)
    )
    auth.login(org.nips["kasi"])
    html = page(client.get(f"/sprints/{sprint_id}"))
    assert 'name="confirm_early"' in html
    refused = client.post(f"/sprints/{sprint_id}/start")
    assert refused.status_code == 409 and 'id="confirm-early-error"' in page(refused)
    assert "Sprint Sprint" not in page(refused)
    with app.app_context():
        assert db.session.get(Sprint, sprint_id).state == "planned"
    started = client.post(f"/sprints/{sprint_id}/start", data={"confirm_early": "1"})
    assert started.status_code == 302
    board = page(client.get(started.headers["Location"]))
    assert "Sprint 49 dimulai" in board and "Sprint Sprint" not in board


def test_closing_before_the_end_date_asks_for_confirmation(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    sprint_id, card_id = planned_sprint(app, org, "Sprint 49", today, today + timedelta(14))
    auth.login(org.nips["kasi"])
    assert client.post(f"/sprints/{sprint_id}/start").status_code == 302
    form = page(client.get(f"/sprints/{sprint_id}/close"))
    assert "<h1>Tutup Sprint 49</h1>" in form and 'name="confirm_early"' in form
    data = {"goal_met": "yes", "carry_over": "backlog"}
    refused = client.post(f"/sprints/{sprint_id}/close", data=data)
    assert refused.status_code == 409 and 'id="confirm-early-error"' in page(refused)
    closed = client.post(f"/sprints/{sprint_id}/close", data={**data, "confirm_early": "1"})
    assert closed.status_code == 302
    with app.app_context():
        assert db.session.get(Sprint, sprint_id).state == "closed"


def test_review_names_people_and_the_next_sprint(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    sprint_id, card_id = planned_sprint(app, org, "Sprint 49", today, today + timedelta(14))
    with app.app_context():
        kasi = get_user("kasi", org)
        sprints.start_sprint(kasi, sprint_id)
        following = sprints.create_sprint(
            kasi,
            org.board_id,
            {
                "name": "Sprint 50",
                "goal": GOAL,
                "start": (today + timedelta(15)).isoformat(),
                "end": (today + timedelta(29)).isoformat(),
            },
        )
        card = db.session.get(Card, card_id)
        cards.update_card(
            kasi,
            card_id,
            {"due_date": (today + timedelta(9)).isoformat()},
            version=card.version,
            deadline_reason="Menunggu data",
        )
        sprints.close_sprint(kasi, sprint_id, "partly", "Data terlambat", "next", following.id)
    auth.login(org.nips["kasi"])
    review = page(client.get(f"/sprints/{sprint_id}/review"))
    assert "→ Sprint 50" in review
    assert "<td>Siti Rahmawati</td>" in review and org.nips["kasi"] not in review


def test_sprint_cards_carry_a_marker_and_can_be_shown_alone(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    sprint_id, in_sprint = planned_sprint(app, org, "Sprint 49", today, today + timedelta(14))
    with app.app_context():
        sprints.start_sprint(get_user("kasi", org), sprint_id)
        other = new_card(org, "Di luar sprint")
    auth.login(org.nips["staff"])
    board = page(client.get(f"/boards/{org.board_id}"))
    card = re.search(rf'data-card-id="{in_sprint}".*?</li>', board, re.S).group(0)
    assert 'class="sprint-mark"' in card
    outside = re.search(rf'data-card-id="{other}".*?</li>', board, re.S).group(0)
    assert 'class="sprint-mark"' not in outside
    only = page(client.get(f"/boards/{org.board_id}?sprint=1"))
    assert f'data-card-id="{in_sprint}"' in only and f'data-card-id="{other}"' not in only
