"""The archive (issue 25): done cards leave the board by hand or after the board's delay; an
archived card is read-only on every path, keeps its history and counts in every report; a
restore puts it back at the end of its column under the WIP limits."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import Board, Card, Event, Sprint, utcnow
from app.services import (
    archive,
    attachments,
    boards,
    cards,
    checklists,
    exports,
    follows,
    metrics,
    search,
    sprint_reports,
    sprints,
    work,
)
from app.services.errors import Conflict, Forbidden, Invalid
from app.services.plugin_cards import card_transaction
from app.web import local_today
from tests import documents
from tests.conftest import get_card, get_user
from tests.i18n_helpers import t


def due() -> str:
    return (local_today("Asia/Jakarta") + timedelta(7)).isoformat()


def new_card(org, column=None, title="Laporan bulanan", who="staff", **fields):
    data = {"title": title, "due_date": due(), **fields}
    return cards.create_card(get_user(who, org), org.board_id, data, column_id=column).card.id


def done_card(org, title="Surat balasan", **fields) -> int:
    return new_card(org, org.done, title=title, **fields)


def pdf():
    return documents.upload(documents.pdf(), "surat.pdf")


def kinds(card_id) -> list[str]:
    return list(
        db.session.scalars(select(Event.kind).where(Event.card_id == card_id).order_by(Event.id))
    )


def positions(column_id) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Card.title, Card.position)
        .where(Card.column_id == column_id, Card.archived_at.is_(None))
        .order_by(Card.position)
    )
    return [tuple(row) for row in rows]


def fresh(card_id) -> Card:
    card = get_card(card_id)
    db.session.refresh(card)
    return card


# --- archive_card / restore_card ---------------------------------------------------------------


def test_staff_archives_a_done_card_and_it_leaves_the_board(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        first, second, third = (done_card(org, t) for t in ("Satu", "Dua", "Tiga"))
        version = get_card(second).version
        card = archive.archive_card(staff, second)
        assert archive.is_archived(card)
        assert card.archived_by_id == staff.id and card.version == version + 1
        assert kinds(second)[-1] == "archived"
        # The others close the gap; the board shows only the unarchived cards.
        assert positions(org.done) == [("Satu", 0), ("Tiga", 1)]
        view = boards.load_board(staff, org.board_id)
        assert [c.id for c in view.cards[org.done]] == [first, third]
        assert view.counts[org.done] == 2
        assert work.column_card_counts(org.board_id)[org.done] == 2


def test_archiving_twice_is_refused(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = done_card(org)
        archive.archive_card(staff, card_id)
        with pytest.raises(Conflict) as refused:
            archive.archive_card(staff, card_id)
        assert refused.value.code == "archived"


def test_staff_may_not_archive_a_card_that_is_not_done(app, org):
    with app.app_context():
        card_id = new_card(org, org.doing)
        with pytest.raises(Forbidden):
            archive.archive_card(get_user("staff", org), card_id, reason="Ditarik")
        assert not archive.is_archived(fresh(card_id))


def test_a_head_archives_a_withdrawn_request_only_with_a_reason(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = new_card(org, org.backlog)
        with pytest.raises(Invalid) as refused:
            archive.archive_card(kasi, card_id, reason="   ")
        assert "reason" in refused.value.fields
        archive.archive_card(kasi, card_id, reason="Permohonan ditarik pemohon")
        event = db.session.scalar(
            select(Event).where(Event.card_id == card_id).order_by(Event.id.desc()).limit(1)
        )
        assert event.kind == "archived" and event.data["reason"] == "Permohonan ditarik pemohon"


def test_an_outsider_cannot_archive_or_restore(app, org):
    with app.app_context():
        card_id = done_card(org)
        outsider = get_user("outsider", org)
        with pytest.raises(Exception) as refused:
            archive.archive_card(outsider, card_id)
        assert refused.value.status == 404
        archive.archive_card(get_user("staff", org), card_id)
        with pytest.raises(Exception) as refused:
            archive.restore_card(outsider, card_id)
        assert refused.value.status == 404


def test_restore_puts_the_card_at_the_end_of_its_column(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        first = done_card(org, "Satu")
        done_card(org, "Dua")
        archive.archive_card(staff, first)
        done_card(org, "Tiga")
        card = archive.restore_card(staff, first)
        assert not archive.is_archived(card) and card.archived_by_id is None
        assert positions(org.done) == [("Dua", 0), ("Tiga", 1), ("Satu", 2)]
        assert kinds(first)[-2:] == ["archived", "restored"]


def test_restoring_a_card_that_is_not_archived_is_refused(app, org):
    with app.app_context():
        with pytest.raises(Conflict) as refused:
            archive.restore_card(get_user("staff", org), done_card(org))
        assert refused.value.code == "not_archived"


@pytest.mark.pg  # the PostgreSQL move pipeline and row locks
def test_restore_respects_the_hard_wip_limit_and_a_head_may_override(app, org):
    with app.app_context():
        kasi, staff = get_user("kasi", org), get_user("staff", org)
        withdrawn = new_card(org, org.doing, "Ditarik")
        archive.archive_card(kasi, withdrawn, reason="Ditarik")
        for i in range(3):  # Dikerjakan holds 3 (hard)
            new_card(org, org.doing, f"Kerja {i}")
        with pytest.raises(Conflict) as refused:
            archive.restore_card(kasi, withdrawn)
        assert refused.value.code == "wip_limit_reached"
        with pytest.raises(Forbidden):
            archive.restore_card(staff, withdrawn)
        archive.restore_card(kasi, withdrawn, override_reason="Diaktifkan lagi atas perintah")
        assert kinds(withdrawn)[-2:] == ["restored", "wip_override"]


def test_restore_respects_the_personal_wip_limit(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        boards.update_board(kasi, org.board_id, {"personal_wip_limit": 1})
        nip = org.nips["staff"]
        withdrawn = new_card(org, org.review, "Ditarik", assignee=nip)
        archive.archive_card(kasi, withdrawn, reason="Ditarik")
        new_card(org, org.doing, "Kerja", assignee=nip)
        with pytest.raises(Conflict) as refused:
            archive.restore_card(kasi, withdrawn)
        assert refused.value.code == "personal_wip_limit_reached"


@pytest.mark.pg  # the PostgreSQL move pipeline and row locks
def test_archived_cards_free_their_wip_slots(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        boards.update_board(kasi, org.board_id, {"personal_wip_limit": 1})
        nip = org.nips["staff"]
        old = new_card(org, org.doing, "Lama", assignee=nip)
        archive.archive_card(kasi, old, reason="Dibatalkan")
        # Neither the column's count nor the person's count holds the archived card.
        card_id = new_card(org, org.backlog, "Baru", assignee=nip)
        result = cards.move_card(get_user("staff", org), card_id, org.doing)
        assert result.card.column_id == org.doing and result.card.position == 0


@pytest.mark.pg  # the PostgreSQL move pipeline and row locks
def test_moves_shift_positions_only_among_unarchived_cards(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        a, b, c = (done_card(org, t) for t in ("A", "B", "C"))
        archive.archive_card(staff, a)
        moved = new_card(org, org.backlog, "Baru")
        cards.move_card(staff, moved, org.done, position=0)
        assert positions(org.done) == [("Baru", 0), ("B", 1), ("C", 2)]
        cards.move_card(staff, b, org.backlog)
        assert positions(org.done) == [("Baru", 0), ("C", 1)]
        assert fresh(a).archived_at is not None


# --- read-only on every path -------------------------------------------------------------------


@pytest.fixture
def archived(app, org):
    """A done card with a checklist item, archived by its assignee."""
    with app.app_context():
        card_id = done_card(org, assignee=org.nips["staff"])
        item_id = checklists.add_item(get_user("staff", org), card_id, {"text": "Arsip"}).id
        archive.archive_card(get_user("staff", org), card_id)
        return card_id, item_id


def refused_as_archived(call):
    with pytest.raises(Conflict) as refused:
        call()
    assert refused.value.code == "archived"
    assert refused.value.message == t("This card is archived; restore it first.")


@pytest.mark.pg  # the PostgreSQL move pipeline and row locks
def test_an_archived_card_refuses_edits_moves_and_comments(app, org, archived):
    card_id, _item = archived
    with app.app_context():
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        version = fresh(card_id).version
        refused_as_archived(
            lambda: cards.update_card(staff, card_id, {"title": "Baru"}, version=version)
        )
        refused_as_archived(
            lambda: cards.update_card(
                kasi, card_id, {"due_date": "2030-01-02"}, version=version, deadline_reason="x"
            )
        )
        refused_as_archived(
            lambda: cards.update_card(
                kasi, card_id, {"assignee": org.nips["staff2"]}, version=version
            )
        )
        refused_as_archived(lambda: cards.move_card(staff, card_id, org.backlog))
        refused_as_archived(lambda: cards.move_card(staff, card_id, org.done, position=0))
        refused_as_archived(
            lambda: cards.move_card(kasi, card_id, org.doing, override_reason="Paksa")
        )
        refused_as_archived(lambda: cards.add_comment(staff, card_id, "Halo"))
        card = fresh(card_id)
        assert card.column_id == org.done and card.version == version
        assert kinds(card_id)[-1] == "archived"


def test_an_archived_card_refuses_checklist_changes(app, org, archived):
    card_id, item_id = archived
    with app.app_context():
        staff = get_user("staff", org)
        refused_as_archived(lambda: checklists.add_item(staff, card_id, {"text": "Lagi"}))
        refused_as_archived(lambda: checklists.set_done(staff, item_id, True))
        refused_as_archived(lambda: checklists.update_item(staff, item_id, {"text": "Ubah"}))
        refused_as_archived(lambda: checklists.move_item(staff, item_id, 0))
        refused_as_archived(lambda: checklists.delete_item(staff, item_id))


def test_an_archived_card_refuses_documents(app, org, archived):
    card_id, _item = archived
    with app.app_context():
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        refused_as_archived(lambda: attachments.add(staff, card_id, pdf()))
        archive.restore_card(staff, card_id)
        document = attachments.add(staff, card_id, pdf())
        archive.archive_card(staff, card_id)
        refused_as_archived(lambda: attachments.add_version(staff, document.id, pdf()))
        refused_as_archived(lambda: attachments.remove(kasi, document.id, reason="Salah"))
        # Still readable.
        _card, found = attachments.attachments_of(staff, card_id)
        assert [d.id for d in found] == [document.id]


def test_an_archived_card_refuses_plugin_writes_and_sprints(app, org, archived):
    card_id, _item = archived
    with app.app_context():
        with pytest.raises(Conflict) as refused, card_transaction(get_user("staff", org), card_id):
            pass
        assert refused.value.code == "archived"
        kasi = get_user("kasi", org)
        sprint = sprints.create_sprint(
            kasi,
            org.board_id,
            {"name": "S1", "goal": "Tuntas", "start": due(), "end": due()},
        )
        with pytest.raises(Invalid):
            sprints.add_cards(kasi, sprint.id, [card_id])
        assert card_id not in [c.id for c in sprints.backlog_cards(sprint)]


def test_following_an_archived_card_is_fine(app, org, archived):
    card_id, _item = archived
    with app.app_context():
        follows.follow(get_user("staff2", org), card_id)
        assert follows.is_following(get_user("staff2", org), get_card(card_id))


# --- archive_due -------------------------------------------------------------------------------


def age_done(card_ids, days):
    db.session.execute(
        update(Card).where(Card.id.in_(card_ids)).values(done_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


@pytest.mark.pg  # the PostgreSQL move pipeline and row locks
def test_archive_due_takes_old_done_cards_in_batches_once(app, org):
    with app.app_context():
        old = [done_card(org, f"Lama {i}") for i in range(5)]
        recent = done_card(org, "Baru")
        open_card = new_card(org, org.doing, "Masih dikerjakan")
        age_done(old, 15)
        age_done([recent], 13)
        assert archive.archive_due(utcnow(), batch=2) == 5
        assert all(fresh(c).archived_at is not None for c in old)
        assert fresh(old[0]).archived_by_id is None
        assert fresh(recent).archived_at is None and fresh(open_card).archived_at is None
        assert positions(org.done) == [("Baru", 0)]
        events = db.session.scalars(select(Event).where(Event.card_id == old[0])).all()
        assert events[-1].kind == "archived" and events[-1].actor_id is None
        assert events[-1].data["automatic"] is True
        # Idempotent: a second run finds nothing.
        assert archive.archive_due(utcnow()) == 0
        assert kinds(old[0]).count("archived") == 1


@pytest.mark.pg  # the search index's archived flag decides PostgreSQL's searches
def test_search_leaves_out_what_is_archived_by_every_path_and_finds_it_restored(app, org):
    def found(**filters):
        page = search.search(get_user("kasi", org), "kuitansi", **filters)
        return sorted(result.card.id for result in page.results)

    with app.app_context():
        kasi = get_user("kasi", org)
        by_tick = done_card(org, "Kuitansi perjalanan dinas")
        by_hand = done_card(org, "Kuitansi honor narasumber")
        age_done([by_tick], 15)
        assert archive.archive_due(utcnow()) == 1
        archive.archive_card(kasi, by_hand)
        assert found() == []
        assert found(status="archived") == sorted([by_tick, by_hand])
        archive.restore_card(kasi, by_tick)
        assert found() == [by_tick]
        assert found(archived=True) == sorted([by_tick, by_hand])


def test_archive_due_follows_each_boards_delay_and_zero_means_never(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = done_card(org)
        age_done([card_id], 40)
        boards.update_board(kasi, org.board_id, {"archive_after_days": 0})
        assert archive.archive_due(utcnow()) == 0
        boards.update_board(kasi, org.board_id, {"archive_after_days": 30})
        assert archive.archive_due(utcnow()) == 1


def test_archive_after_days_is_validated(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        for bad in (-1, 366, "x", None):
            with pytest.raises(Invalid) as refused:
                boards.update_board(kasi, org.board_id, {"archive_after_days": bad})
            assert "archive_after_days" in refused.value.fields
        with pytest.raises(Forbidden):
            boards.update_board(get_user("staff", org), org.board_id, {"archive_after_days": 3})
        assert db.session.get(Board, org.board_id).archive_after_days == 14


def test_tick_archives_due_cards(app, org, runner):
    with app.app_context():
        card_id = done_card(org)
        age_done([card_id], 20)
    result = runner.invoke(args=["cards", "archive-due"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    with app.app_context():
        assert fresh(card_id).archived_at is not None


# --- reports keep counting archived cards ------------------------------------------------------


def test_reports_exports_and_sprint_review_keep_archived_cards(app, org):
    with app.app_context():
        kasi, staff = get_user("kasi", org), get_user("staff", org)
        today = local_today("Asia/Jakarta")
        sprint = sprints.create_sprint(
            kasi,
            org.board_id,
            {"name": "S1", "goal": "Tuntas", "start": today.isoformat(), "end": due()},
        )
        card_id = new_card(org, org.backlog, "Dilaporkan", assignee=org.nips["staff"])
        sprints.add_cards(kasi, sprint.id, [card_id])
        sprints.start_sprint(kasi, sprint.id)
        cards.move_card(staff, card_id, org.doing)
        cards.move_card(staff, card_id, org.done)

        def snapshot():
            _b, _s, _e, rows = exports.done_cards(kasi, org.board_id, link_for=str, today=today)
            _board, figures = metrics.board_metrics(kasi, org.board_id, today=today)
            review = sprint_reports.review(db.session.get(Sprint, sprint.id))
            return [r.title for r in rows], figures, review

        titles, figures, review = snapshot()
        archive.archive_card(staff, card_id)
        titles_after, figures_after, review_after = snapshot()
        assert titles == titles_after == ["Dilaporkan"]
        assert figures == figures_after
        assert figures["lead_time"] == figures_after["lead_time"]
        assert review == review_after


# --- pages and API -----------------------------------------------------------------------------


def test_card_page_archives_a_done_card_and_shows_it_read_only(app, client, auth, org):
    with app.app_context():
        card_id = done_card(org, "Surat terkirim")
    auth.login(org.nips["staff"])
    page = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert f"/cards/{card_id}/archive" in page and 'id="archive-reason"' not in page
    response = client.post(f"/cards/{card_id}/archive")
    assert response.status_code == 302
    page = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert "archived-banner" in page and "Agus Pratama" in page
    assert f"/cards/{card_id}/restore" in page
    # Read-only: no edit form, no comment form, no move link; the history stays.
    assert 'name="version"' not in page and 'id="comment-body"' not in page
    assert f"/cards/{card_id}/move" not in page and 'class="history"' in page
    board = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert "Surat terkirim" not in board
    assert f"/boards/{org.board_id}/archive" in board


def test_staff_sees_no_archive_form_on_a_card_that_is_not_done(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org, org.doing)
    auth.login(org.nips["staff"])
    page = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert f"/cards/{card_id}/archive" not in page
    assert client.post(f"/cards/{card_id}/archive", data={"reason": "x"}).status_code == 403


def test_a_head_archiving_an_open_card_without_a_reason_sees_the_field_error(
    app, client, auth, org
):
    with app.app_context():
        card_id = new_card(org, org.doing)
    auth.login(org.nips["kasi"])
    page = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert 'id="archive-reason"' in page
    response = client.post(f"/cards/{card_id}/archive", data={"reason": ""})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert fresh(card_id).archived_at is None


def test_archive_page_lists_newest_first_filters_pages_and_restores(app, client, auth, org):
    with app.app_context():
        staff = get_user("staff", org)
        ids = [done_card(org, f"Arsip {i:02d}") for i in range(52)]
        for card_id in ids:
            archive.archive_card(staff, card_id)
        other = done_card(org, "Masih di papan")
    auth.login(org.nips["staff"])
    board = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert "(52)" in board
    first = client.get(f"/boards/{org.board_id}/archive").get_data(as_text=True)
    assert first.count('class="archived-card"') == 50
    assert first.index("Arsip 51") < first.index("Arsip 50")
    assert "Masih di papan" not in first
    second = client.get(f"/boards/{org.board_id}/archive?page=2").get_data(as_text=True)
    assert second.count('class="archived-card"') == 2 and "Arsip 00" in second
    found = client.get(f"/boards/{org.board_id}/archive?q=arsip 07").get_data(as_text=True)
    assert found.count('class="archived-card"') == 1
    response = client.post(f"/cards/{ids[7]}/restore", data={"from": "archive"})
    assert response.headers["Location"].endswith(f"/boards/{org.board_id}/archive")
    with app.app_context():
        assert fresh(ids[7]).archived_at is None
        assert positions(org.done) == [("Masih di papan", 0), ("Arsip 07", 1)]
    assert other


def test_outsiders_get_404_for_the_archive_page(app, client, auth, org):
    auth.login(org.nips["outsider"])
    assert client.get(f"/boards/{org.board_id}/archive").status_code == 404


def test_api_archives_and_restores_and_the_board_api_leaves_archived_cards_out(api, app, org):
    with app.app_context():
        card_id = done_card(org, "Lewat API")
    response = api("staff").post(f"/api/v1/cards/{card_id}/archive")
    assert response.status_code == 200
    body = response.get_json()
    assert body["archived_at"].endswith("Z") and body["archived_by"] == org.nips["staff"]
    board = api("staff").get(f"/api/v1/boards/{org.board_id}").get_json()
    assert card_id not in [c["id"] for col in board["columns"] for c in col["cards"]]
    assert board["archive_after_days"] == 14
    # Still readable, read-only.
    assert api("staff").get(f"/api/v1/cards/{card_id}").get_json()["archived_at"]
    refused = api("staff").post(f"/api/v1/cards/{card_id}/comments", json={"body": "Halo"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "archived"
    moved = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.backlog})
    assert moved.status_code == 409
    again = api("staff").post(f"/api/v1/cards/{card_id}/archive", json={})
    assert again.status_code == 409
    restored = api("staff").post(f"/api/v1/cards/{card_id}/restore")
    assert restored.status_code == 200 and restored.get_json()["archived_at"] is None


def test_api_asks_a_reason_for_an_open_card(api, app, org):
    with app.app_context():
        card_id = new_card(org, org.backlog)
    assert api("staff").post(f"/api/v1/cards/{card_id}/archive", json={}).status_code == 403
    refused = api("kasi").post(f"/api/v1/cards/{card_id}/archive", json={})
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["fields"]
    bad = api("kasi").post(f"/api/v1/cards/{card_id}/archive", json={"reason": 5})
    assert bad.status_code == 422
    done = api("kasi").post(f"/api/v1/cards/{card_id}/archive", json={"reason": "Ditarik"})
    assert done.status_code == 200


def test_settings_page_edits_the_archive_delay(app, client, auth, org):
    auth.login(org.nips["kasi"])
    page = client.get(f"/boards/{org.board_id}/settings").get_data(as_text=True)
    assert 'name="archive_after_days"' in page
    form = {"name": "Layanan Aplikasi", "personal_wip_limit": "", "archive_after_days": "400"}
    refused = client.post(f"/boards/{org.board_id}/settings", data=form)
    assert refused.status_code == 422
    form["archive_after_days"] = "30"
    assert client.post(f"/boards/{org.board_id}/settings", data=form).status_code == 302
    with app.app_context():
        assert db.session.get(Board, org.board_id).archive_after_days == 30


@pytest.mark.pg
def test_board_page_query_count_is_the_same_with_archived_cards(app, client, auth, org):
    from tests.query_counter import count_queries

    app.config["BOARD_CACHE_SECONDS"] = 0
    with app.app_context():
        for i in range(3):
            done_card(org, f"Terbuka {i}")
    auth.login(org.nips["staff"])
    with count_queries(app) as plain:
        assert client.get(f"/boards/{org.board_id}").status_code == 200
    with app.app_context():
        staff = get_user("staff", org)
        for i in range(20):
            archive.archive_card(staff, done_card(org, f"Arsip {i}"))
    with count_queries(app) as with_archive:
        page = client.get(f"/boards/{org.board_id}")
    assert len(plain) == len(with_archive)
    assert "Arsip 1" not in page.get_data(as_text=True)


def test_archiving_and_restoring_redraw_the_cards_column_on_open_boards(app, org):
    broker = app.extensions["cergas_broker"]
    with app.app_context():
        card_id = done_card(org)
        with broker.subscribe(org.board_id) as subscription:
            archive.archive_card(get_user("staff", org), card_id)
            message = subscription.get(timeout=1)
            assert "archived" in message["kinds"] and message["columns"] == [org.done]
            archive.restore_card(get_user("staff", org), card_id)
            assert "restored" in subscription.get(timeout=1)["kinds"]
            age_done([card_id], 30)
            archive.archive_due(utcnow())
            assert subscription.get(timeout=1)["full"] is True


def test_plugins_see_that_a_card_is_archived(app, org):
    from app.plugin_views import CardView

    with app.app_context():
        card_id = new_card(org, org.doing)
        archive.archive_card(get_user("kasi", org), card_id, reason="Ditarik")
        assert CardView(fresh(card_id)).archived_at is not None


def test_api_changes_the_archive_delay_for_heads_only(api, app, org):
    url = f"/api/v1/boards/{org.board_id}"
    assert api("staff").patch(url, json={"archive_after_days": 3}).status_code == 403
    for bad in (-1, 366, "7", None):
        refused = api("kasi").patch(url, json={"archive_after_days": bad})
        assert refused.status_code == 422, bad
    response = api("kasi").patch(url, json={"archive_after_days": 0})
    assert response.status_code == 200 and response.get_json()["archive_after_days"] == 0
    assert api("kasi").get(url).get_json()["archive_after_days"] == 0


def test_a_column_that_keeps_archived_cards_is_not_deleted(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = new_card(org, org.review)
        archive.archive_card(kasi, card_id, reason="Ditarik")
        with pytest.raises(Conflict) as refused:
            boards.delete_column(kasi, org.board_id, org.review)
        assert refused.value.code == "column_has_archive"
        assert fresh(card_id).column_id == org.review
