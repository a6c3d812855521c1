# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""The paraf rules hold on every path (issue 19, findings 1 to 6): a type change, a creation, a
reassignment, an edit after paraf, an assignee toggled during a round and a delegation named by a
third party cannot walk around the chain. Each test tries the walk-around of its finding."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Event
from app.services import plugins as board_plugins
from plugins.approvals import paraf
from plugins.approvals.clock import jakarta_today
from tests.approvals_fixtures import CHAIN, NIPS, api, build, chain, shared  # noqa: F401
from tests.conftest import PASSWORD


def move(app, s, who, column, card_id=None):
    return api(app, s, who).post(
        f"/api/v1/cards/{card_id or s.card_id}/move", json={"column_id": s.column[column]}
    )


def card_json(app, s, who="drafter", card_id=None):
    return api(app, s, who).get(f"/api/v1/cards/{card_id or s.card_id}").get_json()


def approval(app, s, who="drafter"):
    return card_json(app, s, who)["plugins"]["approvals"]


def decide(app, s, who, decision, note=None, **extra):
    body = {"decision": decision, **extra}
    if note is not None:
        body["note"] = note
    return api(app, s, who).post(f"/api/v1/cards/{s.card_id}/approval", json=body)


def patch(app, s, who, card_id=None, **fields):
    card_id = card_id or s.card_id
    version = card_json(app, s, "admin", card_id)["version"]
    return app.test_client().patch(
        f"/api/v1/cards/{card_id}",
        json={"version": version, **fields},
        headers={"Authorization": f"Bearer {s.tokens[who]}"},
    )


def history(app, s):
    data = api(app, s, "drafter").get(f"/api/v1/cards/{s.card_id}/events").get_json()
    return data["events"]


def approve_all(app, s):
    assert move(app, s, "drafter", "Paraf").status_code == 200
    for who in ("kasi", "kabid", "kadis"):
        assert decide(app, s, who, "approve").status_code == 200, who
    assert approval(app, s)["state"] == "approved"


def delegate(app, s, who, **body):
    today = jakarta_today()
    body.setdefault("kind", "plh")
    body.setdefault("start", today.isoformat())
    body.setdefault("end", (today + timedelta(days=2)).isoformat())
    return api(app, s, who).post("/api/v1/delegations", json=body)


def browser(app, who):
    client = app.test_client()
    response = client.post("/login", data={"username": NIPS[who], "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


# --- 1. a type change does not skip the gate ---------------------------------------------------


def test_a_member_cannot_change_the_type_of_a_card_waiting_for_paraf(chain):
    app, s = chain
    assert move(app, s, "drafter", "Paraf").status_code == 200
    refused = patch(app, s, "drafter", type="tugas", reason="Bukan surat")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "vetoed"
    assert card_json(app, s)["type"] == "surat-keluar"
    assert approval(app, s)["state"] == "pending"
    # The walk-around of finding 1 stops here: the card cannot reach Terkirim.
    assert move(app, s, "drafter", "Terkirim").status_code == 409


def test_a_head_changes_the_type_only_with_a_reason_and_the_round_ends(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    without = patch(app, s, "kasi", type="tugas")
    assert without.status_code == 409
    assert "alasan" in without.get_json()["error"]["message"]
    changed = patch(app, s, "kasi", type="tugas", reason="Ternyata tugas internal, bukan surat")
    assert changed.status_code == 200, changed.get_json()
    assert approval(app, s)["state"] == "none"
    voided = [e for e in history(app, s) if e["kind"] == "approval_voided"]
    assert voided and voided[-1]["data"]["note"] == "Ternyata tugas internal, bukan surat"
    updated = [e for e in history(app, s) if e["kind"] == "updated"][-1]
    assert updated["data"]["reason"] == "Ternyata tugas internal, bukan surat"
    # As a task it may be done; it cannot become a letter again there.
    assert move(app, s, "drafter", "Terkirim").status_code == 200
    back = patch(app, s, "kasi", type="surat-keluar", reason="Kembalikan")
    assert back.status_code == 409
    assert card_json(app, s)["type"] == "tugas"


def test_the_card_form_shows_a_refused_type_change_and_keeps_the_reason(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    version = card_json(app, s)["version"]
    form = {"type": "tugas", "version": str(version), "reason": "Salah jenis"}
    refused = browser(app, "drafter").post(f"/cards/{s.card_id}", data=form)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Hanya kepala unit ini atau admin yang boleh mengubah jenis kartu" in page
    assert "Salah jenis" in page  # the form keeps what was typed
    assert card_json(app, s)["type"] == "surat-keluar"
    saved = browser(app, "kasi").post(f"/cards/{s.card_id}", data=form)
    assert saved.status_code in (302, 303)
    assert card_json(app, s)["type"] == "tugas"
    assert approval(app, s)["state"] == "none"


def test_a_member_cannot_change_the_type_of_an_approved_or_rejected_card(chain):
    app, s = chain
    approve_all(app, s)
    assert patch(app, s, "drafter", type="tugas", reason="x").status_code == 409
    assert approval(app, s)["state"] == "approved"
    # A rejected letter does not become a task that may be done either.
    created = api(app, s, "drafter").post(
        f"/api/v1/boards/{s.board_id}/cards",
        json={"title": "Surat kedua", "type": "surat-keluar", "column_id": s.column["Paraf"]}
        | {"due_date": "2026-12-31"},
    )
    second = created.get_json()["id"]
    rejected = api(app, s, "kasi").post(
        f"/api/v1/cards/{second}/approval", json={"decision": "reject", "note": "Tidak perlu"}
    )
    assert rejected.status_code == 200
    assert patch(app, s, "drafter", card_id=second, type="tugas", reason="x").status_code == 409
    assert move(app, s, "drafter", "Terkirim", card_id=second).status_code == 409


# --- 2. creating a card in a column passes the same rules as moving it there ---------------------


def test_the_api_cannot_create_a_chained_card_in_a_done_column(chain):
    app, s = chain
    with app.app_context():
        before = db.session.scalar(select(func.count(Card.id)))
    created = api(app, s, "drafter").post(
        f"/api/v1/boards/{s.board_id}/cards",
        json={
            "title": "Surat langsung terkirim",
            "type": "surat-keluar",
            "column_id": s.column["Terkirim"],
            "due_date": "2026-12-31",
        },
    )
    assert created.status_code == 409
    error = created.get_json()["error"]
    assert error["code"] == "vetoed"
    assert "buat di kolom lain" in error["vetoes"][0]["message"]
    assert "Paraf" in error["vetoes"][0]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id))) == before
    # A card of a type without a chain is created there as before.
    plain = api(app, s, "drafter").post(
        f"/api/v1/boards/{s.board_id}/cards",
        json={"title": "Arsip", "column_id": s.column["Terkirim"], "due_date": "2026-12-31"},
    )
    assert plain.status_code == 201


def test_the_board_add_form_cannot_create_a_chained_card_in_a_done_column(chain):
    app, s = chain
    # The board's add form creates cards of the default type; give that type a chain.
    tasks = {**CHAIN, "type": "tugas"}
    saved = app.test_client().put(
        f"/api/v1/boards/{s.board_id}/plugins/approvals/settings",
        json={"settings": {"chains": [CHAIN, tasks]}},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    assert saved.status_code == 200, saved.get_json()
    client = browser(app, "drafter")
    with app.app_context():
        before = db.session.scalar(select(func.count(Card.id)))
    form = {"title": "Tugas langsung selesai", "column_id": str(s.column["Terkirim"])}
    form["due_date"] = "2026-12-31"
    page = client.post(f"/boards/{s.board_id}/cards", data=form)
    assert page.status_code == 409
    assert "buat di kolom lain" in page.get_data(as_text=True)
    htmx = client.post(f"/boards/{s.board_id}/cards", data=form, headers={"HX-Request": "true"})
    assert htmx.status_code == 409
    assert "buat di kolom lain" in htmx.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id))) == before


# --- 3. a step is reassigned only from above, never to oneself; one step per person ----------


def test_a_head_cannot_take_over_the_steps_of_superiors(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    assert decide(app, s, "kasi", "approve").status_code == 200
    # The head of the board's unit takes the Kabid's step: refused, she is below that post.
    taken = decide(app, s, "kasi", "reassign", to=NIPS["kasi"], step=2)
    assert taken.status_code == 403
    # The Kabid holds the post: not above it either.
    assert decide(app, s, "kabid", "reassign", to=NIPS["plh"], step=2).status_code == 403
    # The Kepala Dinas is above, but not to himself, nor to someone who decided a step already.
    to_self = decide(app, s, "kadis", "reassign", to=NIPS["kadis"], step=2)
    assert to_self.status_code == 422 and "to" in to_self.get_json()["error"]["fields"]
    twice = decide(app, s, "kadis", "reassign", to=NIPS["kasi"], step=2)
    assert twice.status_code == 422 and "to" in twice.get_json()["error"]["fields"]
    assert decide(app, s, "admin", "reassign", to=NIPS["kasi"], step=2).status_code == 422
    assert decide(app, s, "kadis", "reassign", to=NIPS["plh"], step=2).status_code == 200
    assert decide(app, s, "plh", "approve", step=2).status_code == 200
    # The last step (the Kepala Dinas, at the top) only an admin reassigns.
    assert decide(app, s, "kabid", "reassign", to=NIPS["kabid"], step=3).status_code == 403
    assert decide(app, s, "kasi", "reassign", to=NIPS["kasi"], step=3).status_code == 403
    assert approval(app, s)["steps"][2]["approver"] == NIPS["kadis"]


def test_one_person_decides_at_most_one_step_even_as_a_stand_in(chain):
    app, s = chain
    # The Kasi is named Plh of the Kabid: after her own step she may not decide his.
    assert delegate(app, s, "kabid", to=NIPS["kasi"]).status_code == 201
    move(app, s, "drafter", "Paraf")
    assert decide(app, s, "kasi", "approve", step=1).status_code == 200
    again = decide(app, s, "kasi", "approve", step=2)
    assert again.status_code == 403
    assert again.get_json()["error"]["code"] == "one_step_per_round"
    assert approval(app, s)["current_step"] == 2


def test_the_panel_shows_a_refused_reassignment_next_to_the_field(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    decide(app, s, "kasi", "approve")
    kadis = browser(app, "kadis")
    page = kadis.get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert 'value="reassign"' in page
    kasi_page = browser(app, "kasi").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert 'value="reassign"' not in kasi_page
    answer = kadis.post(
        f"/plugins/approvals/cards/{s.card_id}/decision",
        data={"decision": "reassign", "step": "2", "to": NIPS["kadis"]},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "field-error" in text and f"approvals-to-{s.card_id}" in text


# --- 4. an approval stamps what it approved ----------------------------------------------------


def test_rewriting_an_approved_card_voids_the_approval_and_starts_a_new_round(chain):
    app, s = chain
    approve_all(app, s)
    rewritten = patch(
        app, s, "drafter", title="Surat lain sama sekali", description="Isi yang belum diparaf"
    )
    assert rewritten.status_code == 200
    state = approval(app, s)
    assert state["state"] == "pending" and state["round"] == 2 and state["current_step"] == 1
    voided = [e for e in history(app, s) if e["kind"] == "approval_voided"][-1]
    assert voided["data"]["fields"] == ["title", "description"]
    refused = move(app, s, "drafter", "Terkirim")
    assert refused.status_code == 409
    assert "Siti Rahmawati" in refused.get_json()["error"]["vetoes"][0]["message"]
    # The new round approves the new text, which may then go out.
    for who in ("kasi", "kabid", "kadis"):
        assert decide(app, s, who, "approve").status_code == 200
    assert move(app, s, "drafter", "Terkirim").status_code == 200


def test_a_card_done_after_paraf_keeps_its_content(chain):
    app, s = chain
    approve_all(app, s)
    assert move(app, s, "drafter", "Terkirim").status_code == 200
    for fields in ({"title": "Judul baru"}, {"description": "Isi baru"}, {"type": "tugas"}):
        refused = patch(app, s, "kasi", reason="Perbaikan", **fields)
        assert refused.status_code == 409, fields
        assert "sudah keluar" in refused.get_json()["error"]["message"]
    card = card_json(app, s)
    assert card["title"] == "Surat undangan rapat koordinasi" and card["type"] == "surat-keluar"
    # Fields the paraf does not cover stay editable.
    assert patch(app, s, "drafter", labels=["arsip"]).status_code == 200


def test_leaving_review_after_approval_voids_it(chain):
    app, s = chain
    approve_all(app, s)
    assert move(app, s, "drafter", "Dikerjakan").status_code == 200
    assert approval(app, s)["state"] == "none"
    assert "approval_voided" in [e["kind"] for e in history(app, s)]
    assert move(app, s, "drafter", "Terkirim").status_code == 409


def test_the_done_gate_compares_the_stamp_with_the_current_content(chain):
    app, s = chain
    approve_all(app, s)
    # An edit while the plugin is switched off on the board is not seen by its hook ...
    with app.app_context():
        from app.models import User

        kasi = db.session.scalar(select(User).where(User.nip == NIPS["kasi"]))
        board_plugins.set_board_plugin(kasi, s.board_id, "approvals", enabled=False)
    assert patch(app, s, "drafter", title="Diubah diam-diam").status_code == 200
    with app.app_context():
        kasi = db.session.scalar(select(User).where(User.nip == NIPS["kasi"]))
        board_plugins.set_board_plugin(kasi, s.board_id, "approvals", enabled=True)
    # ... but the gate is: what was approved is not what the card says now.
    refused = move(app, s, "drafter", "Terkirim")
    assert refused.status_code == 409
    assert "tidak sama dengan yang disetujui" in refused.get_json()["error"]["vetoes"][0]["message"]
    page = browser(app, "drafter").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert "Paraf tidak berlaku lagi" in page and "Kartu berubah setelah diparaf" in page


@pytest.mark.pg
def test_an_edit_refused_by_the_core_keeps_the_approval(chain):
    app, s = chain
    approve_all(app, s)
    with app.app_context():
        before = db.session.scalar(select(func.count(Event.id)))
    # The hook voids the round, then the core refuses the due date change without a reason:
    # the void rolls back with the edit.
    refused = patch(app, s, "drafter", title="Judul baru", due_date="2027-01-15")
    assert refused.status_code == 422
    assert approval(app, s)["state"] == "approved"
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == before
        card = db.session.get(Card, s.card_id)
        assert paraf.approval_holds(paraf.state_of(card.id), card)
    assert move(app, s, "drafter", "Terkirim").status_code == 200


# --- 5. nobody who was assignee during the round decides a step of it -------------------------


def test_toggling_the_assignee_does_not_open_self_approval(chain):
    app, s = chain
    assert patch(app, s, "kasi", assignee=NIPS["kasi"]).status_code == 200
    move(app, s, "drafter", "Paraf")
    assert patch(app, s, "kasi", assignee=None).status_code == 200
    refused = decide(app, s, "kasi", "approve")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "self_approval"
    # Assigned for a moment during the round counts too.
    assert patch(app, s, "drafter", assignee=NIPS["kabid"]).status_code == 200
    assert patch(app, s, "drafter", assignee=None).status_code == 200
    assert decide(app, s, "admin", "reassign", to=NIPS["plh"], step=1).status_code == 200
    assert decide(app, s, "plh", "approve", step=1).status_code == 200
    assert decide(app, s, "kabid", "approve", step=2).status_code == 403
    # Nor through a stand-in: the Kabid's Plh may not decide the Kabid's step.
    assert delegate(app, s, "kabid", to=NIPS["drafter"]).status_code == 201
    through = decide(app, s, "drafter", "approve", step=2)
    assert through.status_code == 403
    # Withdrawn and resubmitted, the round hands its list on.
    assert move(app, s, "drafter", "Dikerjakan").status_code == 200
    assert move(app, s, "drafter", "Paraf").status_code == 200
    assert decide(app, s, "kasi", "approve", step=1).status_code == 403
    # After a return for revision, the next round starts a fresh list.
    assert decide(app, s, "admin", "reassign", to=NIPS["plh"], step=1).status_code == 200
    assert decide(app, s, "plh", "return", note="Perbaiki", step=1).status_code == 200
    assert move(app, s, "drafter", "Paraf").status_code == 200
    assert decide(app, s, "kasi", "approve", step=1).status_code == 200
    assert decide(app, s, "kabid", "approve", step=2).status_code == 200


def test_an_assignee_of_the_round_acting_as_a_stand_in_is_refused(chain):
    app, s = chain
    # The Plh of the Kasi was the card's assignee when the round started.
    assert patch(app, s, "kasi", assignee=NIPS["plh"]).status_code == 200
    move(app, s, "drafter", "Paraf")
    assert patch(app, s, "kasi", assignee=None).status_code == 200
    assert delegate(app, s, "kasi", to=NIPS["plh"]).status_code == 201
    refused = decide(app, s, "plh", "approve", step=1)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "self_approval"
    page = browser(app, "plh").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert 'value="approve"' not in page
    assert "pada putaran paraf ini" in page


# --- 6. delegations: one's own, to a plausible colleague, for a bounded time -------------------


def test_nobody_names_the_kepala_dinas_as_their_own_plh_until_2100(chain):
    app, s = chain
    today = jakarta_today().isoformat()
    refused = delegate(app, s, "drafter", to=NIPS["kadis"], start=today, end="2100-12-31")
    assert refused.status_code == 422
    fields = refused.get_json()["error"]["fields"]
    assert "to" in fields and "end" in fields
    # A colleague of the own unit, for a bounded time, is fine.
    assert delegate(app, s, "drafter", to=NIPS["plh"]).status_code == 201
    # The Kepala Dinas still names a Plh of his own.
    assert delegate(app, s, "kadis", to=NIPS["sekretaris"]).status_code == 201


def test_a_refused_stand_in_gets_one_message_whatever_the_reason(chain):
    app, s = chain
    assert delegate(app, s, "kasi", to=NIPS["kabid"]).status_code == 201  # the Kasi is away
    messages = set()
    for stand_in in ("nobody-at-all", NIPS["drafter"], NIPS["kadis"], NIPS["kasi"]):
        refused = delegate(app, s, "drafter", to=stand_in)
        assert refused.status_code == 422, stand_in
        messages.add(refused.get_json()["error"]["fields"]["to"])
    assert len(messages) == 1
    (message,) = messages
    assert "Hendra" not in message and "Siti" not in message
    # A third party cannot name someone else's stand-in, whoever that someone is.
    for approver in (NIPS["kadis"], "nobody-at-all"):
        other = delegate(app, s, "drafter", **{"from": approver, "to": NIPS["plh"]})
        assert other.status_code == 403
        assert "Hendra" not in other.get_json()["error"]["message"]


def test_being_someones_stand_in_never_blocks_ones_own_delegation(chain):
    app, s = chain
    # The Kabid names the Kepala Dinas as his Plh (his neighbourhood is the whole Dinas) ...
    assert delegate(app, s, "kabid", to=NIPS["kadis"]).status_code == 201
    # ... and the Kepala Dinas still names his own Plh for the same days.
    assert delegate(app, s, "kadis", to=NIPS["sekretaris"]).status_code == 201


def test_the_delegation_page_shows_a_refused_stand_in_next_to_the_field(chain):
    app, s = chain
    client = browser(app, "drafter")
    today = jakarta_today().isoformat()
    page = client.post(
        "/plugins/approvals/delegations",
        data={"from": "", "to": NIPS["kadis"], "kind": "plh", "start": today, "end": today},
    )
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert 'id="delegation-to-error"' in text or "field-error" in text
    assert "Hendra" not in text.split("<h2>")[0]


# --- races: an edit and the last paraf at the same moment -------------------------------------


@pytest.mark.pg
def test_an_edit_racing_the_last_paraf_never_leaves_a_stale_approval(shared):
    app, s = shared
    move(app, s, "drafter", "Paraf")
    decide(app, s, "kasi", "approve")
    decide(app, s, "kabid", "approve")
    version = card_json(app, s, "admin")["version"]
    barrier = threading.Barrier(2)
    results = {}

    def approve():
        client = api(app, s, "kadis")
        barrier.wait()
        body = {"decision": "approve", "step": 3}
        results["approve"] = client.post(f"/api/v1/cards/{s.card_id}/approval", json=body)

    def edit():
        client = app.test_client()
        barrier.wait()
        results["edit"] = client.patch(
            f"/api/v1/cards/{s.card_id}",
            json={"version": version, "title": "Diubah bersamaan"},
            headers={"Authorization": f"Bearer {s.tokens['drafter']}"},
        )

    threads = [threading.Thread(target=approve), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results["edit"].status_code == 200
    assert results["approve"].status_code in (200, 409)
    with app.app_context():
        card = db.session.get(Card, s.card_id)
        state = paraf.state_of(card.id)
        assert card.title == "Diubah bersamaan"
        # Whatever the order, an approval never outlives the text it approved.
        assert not paraf.approval_holds(state, card)
        assert state["state"] == "pending" and state["round"] == 2
    assert move(app, s, "drafter", "Terkirim").status_code == 409
