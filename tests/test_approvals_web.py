# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""The approvals pages: the card panel with stamps and decision buttons, the inbox with its nav
counter, the delegation page; and reminders from `cergas tick` once per working day."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, Notification, User
from plugins.approvals.service import jakarta_today  # the day delegations are dated in
from tests.approvals_fixtures import NIPS, api, chain  # noqa: F401
from tests.conftest import PASSWORD


def browser(app, who):
    client = app.test_client()
    response = client.post("/login", data={"username": NIPS[who], "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


def to_review(app, s):
    response = api(app, s, "drafter").post(
        f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column["Paraf"]}
    )
    assert response.status_code == 200


def test_card_panel_shows_the_chain_and_decision_buttons_only_to_the_current_approver(chain):
    app, s = chain
    to_review(app, s)
    kasi = browser(app, "kasi").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert 'data-plugin="approvals"' in kasi
    assert 'value="approve"' in kasi and 'value="return"' in kasi and 'value="reject"' in kasi
    assert "Kabid TIK" in kasi
    drafter = browser(app, "drafter").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert 'data-plugin="approvals"' in drafter
    assert 'value="approve"' not in drafter


def test_decisions_in_the_browser_stamp_the_step_and_return_moves_the_card(chain):
    app, s = chain
    to_review(app, s)
    kasi = browser(app, "kasi")
    url = f"/plugins/approvals/cards/{s.card_id}/decision"
    done = kasi.post(url, data={"decision": "approve", "step": "1"})
    assert done.status_code == 303
    page = kasi.get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert "Siti Rahmawati" in page and "approvals-step-approved" in page

    kabid = browser(app, "kabid")
    missing = kabid.post(
        url, data={"decision": "return", "step": "2"}, headers={"HX-Request": "true"}
    )
    assert missing.status_code == 422
    assert "field-error" in missing.get_data(as_text=True)
    returned = kabid.post(url, data={"decision": "return", "step": "2", "note": "Lampiran kurang"})
    assert returned.status_code == 303
    card = api(app, s, "drafter").get(f"/api/v1/cards/{s.card_id}").get_json()
    assert card["column_id"] == s.column["Dikerjakan"]
    history = kabid.get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert "Lampiran kurang" in history


def test_self_approval_is_explained_on_the_page(chain):
    app, s = chain
    card = api(app, s, "kasi").get(f"/api/v1/cards/{s.card_id}").get_json()
    api(app, s, "kasi")
    app.test_client().patch(
        f"/api/v1/cards/{s.card_id}",
        json={"assignee": NIPS["kasi"], "version": card["version"]},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    to_review(app, s)
    page = browser(app, "kasi").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert 'value="approve"' not in page
    assert "Plh/Plt" in page


def test_inbox_page_and_nav_counter_list_what_waits_on_me(chain):
    app, s = chain
    kasi = browser(app, "kasi")
    empty = kasi.get("/plugins/approvals/inbox").get_data(as_text=True)
    assert '<p class="empty">' in empty and "approvals-inbox-item" not in empty
    to_review(app, s)
    page = kasi.get("/plugins/approvals/inbox").get_data(as_text=True)
    assert "Surat undangan rapat koordinasi" in page
    assert f'data-card-id="{s.card_id}"' in page
    # The nav item (hook cergas_nav_items) shows the count on every page.
    home = kasi.get("/").get_data(as_text=True)
    assert 'data-plugin="approvals"' in home
    assert '<span class="badge badge-warning">1</span>' in home
    other = browser(app, "kabid").get("/").get_data(as_text=True)
    assert '<span class="badge badge-warning">' not in other


def test_inbox_is_oldest_first_with_waited_working_days(chain):
    app, s = chain
    to_review(app, s)
    with app.app_context():
        from plugins.approvals import service

        kasi = db.session.get(User, s.ids["kasi"])
        monday = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
        state = service.state_of(s.card_id)
        state["since"] = service.iso(monday)
        service._save(s.card_id, state)
        db.session.commit()
        # Monday 09:00 WIB to the next Monday 09:00: Tuesday to Friday have closed (the shared
        # working-day calendar's rule), the second Monday has not yet.
        items = service.inbox(kasi, now=monday + timedelta(days=7))
        assert [(i.card.id, i.waited) for i in items] == [(s.card_id, 4)]


def test_delegation_page_creates_and_ends_a_delegation(chain):
    app, s = chain
    kabid = browser(app, "kabid")
    assert kabid.get("/plugins/approvals/delegations").status_code == 200
    today = jakarta_today().isoformat()
    bad = kabid.post(
        "/plugins/approvals/delegations",
        data={"from": "", "to": "nobody", "kind": "plh", "start": today, "end": today},
    )
    assert bad.status_code == 422
    assert 'id="delegation-to-error"' in bad.get_data(as_text=True)
    made = kabid.post(
        "/plugins/approvals/delegations",
        data={"from": "", "to": NIPS["plh"], "kind": "plh", "start": today, "end": today},
    )
    assert made.status_code == 303
    listed = api(app, s, "kabid").get("/api/v1/delegations").get_json()["delegations"]
    assert len(listed) == 1 and listed[0]["active"] and listed[0]["to"] == NIPS["plh"]
    ended = kabid.post(f"/plugins/approvals/delegations/{listed[0]['id']}/revoke")
    assert ended.status_code == 303
    listed = api(app, s, "kabid").get("/api/v1/delegations").get_json()["delegations"]
    assert listed[0]["revoked"] is True
    # Someone unrelated can neither see nor end it.
    assert api(app, s, "drafter").get("/api/v1/delegations").get_json()["delegations"] == []
    assert (
        api(app, s, "drafter").delete(f"/api/v1/delegations/{listed[0]['id']}").status_code == 404
    )


def test_tick_reminds_the_approver_once_per_working_day_after_the_threshold(chain):
    app, s = chain
    to_review(app, s)
    with app.app_context():
        from plugins.approvals import service

        state = service.state_of(s.card_id)
        state["since"] = "2026-12-07T02:00:00Z"  # a Monday, 09:00 WIB
        service._save(s.card_id, state)
        db.session.commit()
    runner = app.test_cli_runner()

    def tick(now):
        result = runner.invoke(args=["tick", "--now", now])
        assert result.exit_code == 0, result.output

    def reminders():
        with app.app_context():
            sent = db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.kind == "approvals_reminder", Notification.user_id == s.ids["kasi"]
                )
            )
            logged = db.session.scalar(
                select(func.count(Event.id)).where(Event.kind == "approval_reminder")
            )
            return sent, logged

    tick("2026-12-10T03:00:00Z")  # Thursday 10:00: Tuesday and Wednesday closed, not more than 2
    assert reminders() == (0, 0)
    tick("2026-12-11T03:00:00Z")  # Friday: 3 working days waited
    assert reminders() == (1, 1)
    tick("2026-12-11T07:00:00Z")  # the same day again: nothing new
    assert reminders() == (1, 1)
    tick("2026-12-12T03:00:00Z")  # Saturday: not a working day
    assert reminders() == (1, 1)
    tick("2026-12-14T03:00:00Z")  # Monday: once more
    assert reminders() == (2, 2)


def test_htmx_decision_redirects_the_page_and_an_error_swaps_the_panel(chain):
    app, s = chain
    to_review(app, s)
    kasi = browser(app, "kasi")
    url = f"/plugins/approvals/cards/{s.card_id}/decision"
    stale = kasi.post(
        url, data={"decision": "approve", "step": "2"}, headers={"HX-Request": "true"}
    )
    assert stale.status_code == 409
    assert 'id="approvals-panel-' in stale.get_data(as_text=True)
    done = kasi.post(url, data={"decision": "approve", "step": "1"}, headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert done.headers["HX-Redirect"] == f"/cards/{s.card_id}"


def test_history_names_the_stand_in_and_whom_they_acted_for(chain):
    app, s = chain
    today = jakarta_today().isoformat()
    body = {"from": NIPS["kabid"], "to": NIPS["plh"], "kind": "plh", "start": today, "end": today}
    assert api(app, s, "kabid").post("/api/v1/delegations", json=body).status_code == 201
    to_review(app, s)
    api(app, s, "kasi").post(f"/api/v1/cards/{s.card_id}/approval", json={"decision": "approve"})
    plh = browser(app, "plh")
    inbox = plh.get("/plugins/approvals/inbox").get_data(as_text=True)
    assert "Plh" in inbox and "Budi Santoso" in inbox
    url = f"/plugins/approvals/cards/{s.card_id}/decision"
    assert plh.post(url, data={"decision": "approve", "step": "2"}).status_code == 303
    page = plh.get(f"/cards/{s.card_id}").get_data(as_text=True)
    line = page[page.index("event-approval_approved", page.index("event-approval_approved") + 1) :]
    line = line[: line.index("</li>")]
    assert "Dewi Lestari" in line and "Kabid TIK" in line
    assert "Plh" in line and "Budi Santoso" in line
