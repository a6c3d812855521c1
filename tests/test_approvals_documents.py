# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""Paraf on a document version (the approvals plugin with documents on cards): an approval
records the versions it covered and stamps them; a new version, a new document, a removal or a
restore voids it through the real hook (`cergas_attachment_before_change`); in a done column a
chained card's documents do not change; a card without documents keeps its old stamp; the panel
and the inbox stay constant in queries."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, Card, Event, User
from app.services import attachments, cards
from app.services import plugins as board_plugins
from app.services.errors import Vetoed
from plugins.approvals import paraf
from tests import documents
from tests.approvals_fixtures import CHAIN, NIPS, api, chain  # noqa: F401
from tests.conftest import PASSWORD
from tests.query_counter import count_queries


def person(key) -> User:
    return db.session.scalar(select(User).where(User.nip == NIPS[key]))


def upload(app, card_id, name="surat.pdf", text="Draf surat", who="drafter") -> int:
    with app.app_context():
        doc = attachments.add(person(who), card_id, documents.upload(documents.pdf(text), name))
        return doc.id


def new_version(app, doc_id, text, name="surat.pdf", who="drafter"):
    with app.app_context():
        attachments.add_version(person(who), doc_id, documents.upload(documents.pdf(text), name))


def move(app, s, column, card_id=None, who="drafter"):
    return api(app, s, who).post(
        f"/api/v1/cards/{card_id or s.card_id}/move", json={"column_id": s.column[column]}
    )


def decide(app, s, who, card_id=None, decision="approve", **extra):
    return api(app, s, who).post(
        f"/api/v1/cards/{card_id or s.card_id}/approval", json={"decision": decision, **extra}
    )


def approval(app, s, card_id=None):
    card = api(app, s, "drafter").get(f"/api/v1/cards/{card_id or s.card_id}").get_json()
    return card["plugins"]["approvals"]


def approve_all(app, s, card_id=None):
    for who in ("kasi", "kabid", "kadis"):
        assert decide(app, s, who, card_id).status_code == 200, who
    assert approval(app, s, card_id)["state"] == "approved"


def sha(app, doc_id) -> str:
    with app.app_context():
        return db.session.get(Attachment, doc_id).current.sha256


def voids(app, card_id) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(Event.data)
            .where(Event.card_id == card_id, Event.kind == "approval_voided")
            .order_by(Event.id)
        )
        return list(rows)


def browser(app, who):
    client = app.test_client()
    response = client.post("/login", data={"username": NIPS[who], "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


def switch(app, s, enabled: bool):
    with app.app_context():
        board_plugins.set_board_plugin(
            person("kasi"), s.board_id, "approvals", enabled=enabled, settings={"chains": [CHAIN]}
        )


@pytest.mark.pg
def test_a_paraf_records_the_version_it_covered_and_a_new_version_voids_it(chain):
    app, s = chain
    doc_id = upload(app, s.card_id)
    assert move(app, s, "Paraf").status_code == 200
    first = {"id": doc_id, "name": "surat.pdf", "version": 1, "sha256": sha(app, doc_id)}
    assert approval(app, s)["documents"] == [first]
    assert decide(app, s, "kasi", step=1).status_code == 200
    state = approval(app, s)
    assert state["steps"][0]["documents"] == [first]
    assert state["steps"][1]["documents"] is None  # not decided yet
    assert decide(app, s, "kabid", step=2).status_code == 200

    new_version(app, doc_id, "Draf surat, perbaikan")
    state = approval(app, s)
    # The round under way is void; in the review column a new one starts at step 1, about v2.
    assert (state["state"], state["round"], state["current_step"]) == ("pending", 2, 1)
    second = {**first, "version": 2, "sha256": sha(app, doc_id)}
    assert second["sha256"] != first["sha256"]
    assert state["documents"] == [second]
    assert [step["status"] for step in state["steps"]] == ["current", "waiting", "waiting"]
    (voided,) = voids(app, s.card_id)
    assert voided["previous"] == "pending" and voided["round"] == 1
    assert (voided["change"], voided["document"], voided["version"]) == ("version", doc_id, 2)
    assert voided["fields"] == ["documents"]
    assert (
        voided["text"]
        == "uploaded a new version of “%(name)s” during paraf: round %(round)d is void"
    )

    # The new round approves version 2; the card may then go out.
    approve_all(app, s)
    state = approval(app, s)
    assert state["documents"] == [second]
    assert [step["documents"] for step in state["steps"]] == [[second]] * 3
    assert move(app, s, "Terkirim").status_code == 200


def test_a_new_version_after_the_approval_voids_it_and_the_panel_says_so(chain):
    app, s = chain
    doc_id = upload(app, s.card_id)
    assert move(app, s, "Paraf").status_code == 200
    approve_all(app, s)
    page = browser(app, "drafter").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert "Diparaf atas: surat.pdf versi 1" in page
    assert "Dokumen yang diparaf" in page

    new_version(app, doc_id, "Versi kedua")
    state = approval(app, s)
    assert (state["state"], state["round"]) == ("pending", 2)
    voided = voids(app, s.card_id)[-1]
    assert voided["previous"] == "approved"
    assert voided["text"] == (
        "uploaded a new version of “%(name)s”: the approval of round %(round)d is void"
    )
    refused = move(app, s, "Terkirim")
    assert refused.status_code == 409
    assert "Siti Rahmawati" in refused.get_json()["error"]["vetoes"][0]["message"]
    page = browser(app, "drafter").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert "Agus Pratama mengunggah versi baru “surat.pdf”: persetujuan putaran 1 batal" in page, (
        "the panel names what voided the approval"
    )
    assert '<span class="approvals-version">versi 2</span>' in page
    assert "Diparaf atas" not in page  # the new round has no paraf yet


@pytest.mark.parametrize("change", ["added", "removed", "restored"])
def test_adding_removing_or_restoring_a_document_voids_an_approval(chain, change):
    app, s = chain
    doc_id = upload(app, s.card_id)
    if change == "restored":
        with app.app_context():
            attachments.remove(person("drafter"), doc_id, "Salah unggah")
    assert move(app, s, "Paraf").status_code == 200
    approve_all(app, s)
    with app.app_context():
        if change == "added":
            attachments.add(
                person("drafter"), s.card_id, documents.upload(documents.docx(), "lampiran.docx")
            )
        elif change == "removed":
            attachments.remove(person("kasi"), doc_id, "Tidak dipakai")
        else:
            attachments.restore(person("kasi"), doc_id)
    state = approval(app, s)
    assert (state["state"], state["round"], state["current_step"]) == ("pending", 2, 1)
    voided = voids(app, s.card_id)[-1]
    assert voided["change"] == change and voided["previous"] == "approved"
    assert move(app, s, "Terkirim").status_code == 409


@pytest.mark.pg
def test_the_documents_of_a_chained_card_in_a_done_column_do_not_change(chain):
    app, s = chain
    doc_id = upload(app, s.card_id)
    assert move(app, s, "Paraf").status_code == 200
    approve_all(app, s)
    assert move(app, s, "Terkirim").status_code == 200
    with app.app_context():
        before = db.session.get(Card, s.card_id).version
        attempts = (
            lambda: attachments.add(
                person("drafter"), s.card_id, documents.upload(documents.pdf("x"), "baru.pdf")
            ),
            lambda: attachments.add_version(
                person("drafter"), doc_id, documents.upload(documents.pdf("v2"), "surat.pdf")
            ),
            lambda: attachments.remove(person("kasi"), doc_id, "Ganti"),
        )
        for attempt in attempts:
            with pytest.raises(Vetoed) as refused:
                attempt()
            assert (
                "Dokumen kartu yang perlu paraf tidak dapat diubah"
                in refused.value.vetoes[0]["message"]
            )
        db.session.expire_all()
        card = db.session.get(Card, s.card_id)
        assert card.version == before and card.attachment_count == 1
        doc = db.session.get(Attachment, doc_id)
        assert doc.latest == 1 and doc.removed_at is None
        assert db.session.scalar(select(func.count(Attachment.id))) == 1
    assert approval(app, s)["state"] == "approved"


def test_a_card_without_documents_keeps_the_stamp_it_had_before_documents(chain):
    app, s = chain
    with app.app_context():
        card = db.session.get(Card, s.card_id)
        old_stamp = paraf.stamp_of(
            {name: getattr(card, name) or "" for name in paraf.STAMPED_FIELDS}
        )
        assert "documents" not in paraf.content_of(card)
        assert paraf.stamp_of(paraf.content_of(card)) == old_stamp
    # An approval given without documents still lets the card go out.
    assert move(app, s, "Paraf").status_code == 200
    approve_all(app, s)
    assert approval(app, s)["documents"] == []
    with app.app_context():
        state = paraf.state_of(s.card_id)
        assert state["stamp"] == old_stamp and "documents" not in state
    # Documents change the content; none (all removed) gives back the stamp of before.
    with app.app_context():
        card = db.session.get(Card, s.card_id)
        infos = [{"id": 1, "name": "a.pdf", "version": 1, "sha256": "0" * 64}]
        assert paraf.stamp_of(paraf.content_of(card, documents=infos)) != old_stamp
        assert paraf.stamp_of(paraf.content_of(card, documents=[])) == old_stamp
    assert move(app, s, "Terkirim").status_code == 200


def test_a_document_changed_while_the_plugin_was_off_keeps_the_card_out_of_done(chain):
    app, s = chain
    doc_id = upload(app, s.card_id)
    assert move(app, s, "Paraf").status_code == 200
    approve_all(app, s)
    switch(app, s, False)
    new_version(app, doc_id, "Diubah diam-diam")  # the hook is not asked: the plugin is off
    switch(app, s, True)
    assert approval(app, s)["state"] == "approved"
    refused = move(app, s, "Terkirim")
    assert refused.status_code == 409
    assert "tidak sama dengan yang disetujui" in refused.get_json()["error"]["vetoes"][0]["message"]
    page = browser(app, "drafter").get(f"/cards/{s.card_id}").get_data(as_text=True)
    assert "Versi baru diunggah setelah paraf: surat.pdf versi 2" in page
    # Out of review and back: a new round approves version 2.
    assert move(app, s, "Dikerjakan").status_code == 200
    assert move(app, s, "Paraf").status_code == 200
    approve_all(app, s)
    assert approval(app, s)["documents"][0]["version"] == 2
    assert move(app, s, "Terkirim").status_code == 200


def chained_card(app, s, title, column="Dikerjakan") -> int:
    with app.app_context():
        return cards.create_card(
            person("drafter"),
            s.board_id,
            {"title": title, "type": "surat-keluar", "due_date": "2026-12-31"},
            column_id=s.column[column],
        ).card.id


def queries(app, client, url) -> int:
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_the_panel_board_and_inbox_are_constant_in_queries_with_documents(chain):
    app, s = chain
    kasi = browser(app, "kasi")
    doc_id = upload(app, s.card_id)
    assert move(app, s, "Paraf").status_code == 200
    approved = chained_card(app, s, "Surat yang sudah diparaf")
    upload(app, approved, "nota.pdf")
    assert move(app, s, "Paraf", approved).status_code == 200
    approve_all(app, s, approved)
    waiting = chained_card(app, s, "Surat yang menunggu")
    upload(app, waiting, "undangan.pdf")
    assert move(app, s, "Paraf", waiting).status_code == 200
    few = [
        queries(app, kasi, f"/cards/{s.card_id}"),
        queries(app, kasi, f"/boards/{s.board_id}"),
        queries(app, kasi, "/plugins/approvals/inbox"),
    ]
    # More documents and versions on the card; more approved and waiting cards with documents.
    for i in range(3):
        new_version(app, doc_id, f"Versi {i + 2}")
        upload(app, s.card_id, f"lampiran-{i}.pdf")
        card_id = chained_card(app, s, f"Surat diparaf {i}")
        upload(app, card_id, f"nota-{i}.pdf")
        assert move(app, s, "Paraf", card_id).status_code == 200
        approve_all(app, s, card_id)
        card_id = chained_card(app, s, f"Surat menunggu {i}")
        upload(app, card_id, f"undangan-{i}.pdf")
        assert move(app, s, "Paraf", card_id).status_code == 200
    many = [
        queries(app, kasi, f"/cards/{s.card_id}"),
        queries(app, kasi, f"/boards/{s.board_id}"),
        queries(app, kasi, "/plugins/approvals/inbox"),
    ]
    assert many == few
    inbox = kasi.get("/plugins/approvals/inbox").get_data(as_text=True)
    assert inbox.count('class="approvals-document-count">1<') == 4
    assert 'class="approvals-document-count">4<' in inbox  # the first card: 1 + 3 documents
    items = api(app, s, "kasi").get("/api/v1/approvals/inbox").get_json()["items"]
    assert sorted(item["card"]["documents"] for item in items) == [1, 1, 1, 1, 4]
