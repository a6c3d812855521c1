"""My work, the board page (cards, WIP counts, due-date colours, filters), inline card creation."""

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Card
from app.services import boards, cards
from app.web import local_today
from tests.conftest import get_user
from tests.i18n_helpers import t


def page(response) -> str:
    return response.get_data(as_text=True)


def column_html(html: str, column_id: int) -> str:
    found = re.search(rf'<section[^>]*data-column-id="{column_id}".*?</section>', html, re.S)
    assert found, f"column {column_id} not on the page"
    return found.group(0)


def card_html(html: str, card_id: int) -> str:
    found = re.search(
        rf'<li class="card" data-card-id="{card_id}".*?class="move[^"]*"[^>]*>[^<]*</a>\s*</li>',
        html,
        re.S,
    )
    assert found, f"card {card_id} not on the page"
    return found.group(0)


def card_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-card-id="(\d+)"', html)]


def add(org, title, *, who="staff", column=None, due=None, assignee=None, labels=None, board=None):
    data = {"title": title}
    if due is not None:
        data["due_date"] = due.isoformat()
    if assignee:
        data["assignee"] = org.nips[assignee]
    if labels:
        data["labels"] = labels
    actor = get_user(who, org)
    return cards.create_card(actor, board or org.board_id, data, column_id=column).card.id


def test_my_work_lists_my_open_cards_overdue_first_then_by_due_date(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    with app.app_context():
        kasi = get_user("kasi", org)
        other = boards.create_board(kasi, "Pengaduan Masyarakat", "SEKSI-APL").id
        later = add(
            org, "Rekap kunjungan", column=org.doing, due=today + timedelta(5), assignee="staff"
        )
        late = add(org, "Balas surat Bupati", due=today - timedelta(1), assignee="staff")
        undated = add(org, "Rapikan arsip", assignee="staff")
        due_now = add(org, "Nota dinas rapat", due=today, assignee="staff")
        done = add(
            org, "Laporan lama", column=org.done, due=today - timedelta(10), assignee="staff"
        )
        someone_else = add(org, "Tugas Dewi", due=today - timedelta(9), assignee="staff2")
        latest = add(org, "Aduan warga", board=other, due=today - timedelta(3), assignee="staff")
    auth.login(org.nips["staff"])
    html = page(client.get("/"))
    assert card_ids(html) == [latest, late, due_now, later, undated]
    assert done not in card_ids(html) and someone_else not in card_ids(html)
    assert re.search(rf'class="work-item is-overdue" data-card-id="{late}"', html)
    assert re.search(rf'class="work-item is-due-today" data-card-id="{due_now}"', html)
    assert "Pengaduan Masyarakat" in html and "Dikerjakan" in html
    assert f'href="/cards/{later}"' in html


def test_my_work_is_friendly_when_empty(client, auth, org):
    auth.login(org.nips["staff2"])
    empty = t("Nothing is assigned to you right now. Open a board to pick up a card.")
    assert f'<p class="empty">{empty}</p>' in page(client.get("/"))


def test_board_page_shows_columns_cards_and_wip_counts(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    with app.app_context():
        late = add(
            org,
            "Surat keluar <Dinas>",
            column=org.doing,
            due=today - timedelta(2),
            assignee="staff",
            labels=["ppid", "urgent"],
        )
        due_now = add(org, "Nota dinas", column=org.doing, due=today, assignee="staff2")
        add(org, "Rekap", column=org.doing, due=today + timedelta(3))
        for title in ("Review A", "Review B", "Review C"):  # soft limit 2: the third is allowed
            add(org, title, column=org.review, due=today + timedelta(1))
        finished = add(org, "Selesai lama", column=org.done, due=today - timedelta(30))
        staff = get_user("staff", org)
        card = db.session.get(Card, late)
        cards.update_card(
            staff,
            late,
            {"due_date": (today - timedelta(1)).isoformat()},
            version=card.version,
            deadline_reason="Menunggu data",
        )
    auth.login(org.nips["staff"])
    html = page(client.get(f"/boards/{org.board_id}"))

    doing = column_html(html, org.doing)
    assert re.search(r'<span class="wip wip-at"[^>]*>3/3</span>', doing)
    assert re.search(r'<span class="wip wip-over"[^>]*>3/2</span>', column_html(html, org.review))
    assert re.search(r'<span class="wip"[^>]*>0</span>', column_html(html, org.backlog))

    late_card = card_html(html, late)
    assert "Surat keluar &lt;Dinas&gt;" in late_card
    assert f'href="/cards/{late}"' in late_card and f'href="/cards/{late}/move"' in late_card
    assert '<abbr class="avatar" title="Agus Pratama">AP</abbr>' in late_card
    assert 'class="due is-overdue"' in late_card
    assert t("deadline moved %(n)d×", n=1) in late_card
    assert '<li class="swatch-grey">PPID</li><li class="swatch-grey">Urgent</li>' in late_card
    assert (
        "Pindahkan ke…" in late_card
        and '<span class="card-type swatch-grey">Tugas</span>' in late_card
    )
    assert 'class="due is-due-today"' in card_html(html, due_now)
    assert "is-overdue" not in card_html(html, finished)  # done cards are never overdue
    # One add-card form per column, with a due date field where the column needs one.
    assert html.count('class="add-card"') == 4
    assert 'name="due_date"' in doing and 'name="due_date"' not in column_html(html, org.backlog)


def test_board_filters_keep_the_wip_counts_of_all_cards(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    with app.app_context():
        mine = add(
            org,
            "Surat izin reklame",
            column=org.doing,
            due=today - timedelta(1),
            assignee="staff",
            labels=["perizinan"],
        )
        theirs = add(
            org, "Surat aduan jalan", column=org.doing, due=today + timedelta(2), assignee="staff2"
        )
        other = add(org, "Notulen rapat", labels=["rapat"])
    auth.login(org.nips["staff"])
    url = f"/boards/{org.board_id}"

    def shown(**args):
        return card_ids(page(client.get(url, query_string=args)))

    assert sorted(shown()) == sorted([mine, theirs, other])
    assert shown(mine="1") == [mine]
    assert shown(assignee=str(org.users["staff2"])) == [theirs]
    assert shown(label="rapat") == [other]
    assert shown(overdue="1") == [mine]
    assert sorted(shown(q="SURAT")) == sorted([mine, theirs])
    assert shown(q="surat", assignee=str(org.users["staff2"])) == [theirs]
    assert shown(assignee="abc", label="x" * 500) == []  # nonsense filters refuse nothing
    filtered = page(client.get(url, query_string={"mine": "1"}))
    assert re.search(r'<span class="wip"[^>]*>2/3</span>', column_html(filtered, org.doing))
    assert t("Clear filters") in filtered


def test_filtering_with_htmx_returns_only_the_columns(client, auth, org):
    auth.login(org.nips["staff"])
    response = client.get(
        f"/boards/{org.board_id}?q=x",
        headers={"HX-Request": "true", "HX-Target": "board-columns"},
    )
    html = page(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="board-columns"') and "<html" not in html
    assert html.count("data-column-id=") >= 4


def test_board_and_its_cards_are_hidden_from_outsiders(app, client, auth, org):
    with app.app_context():
        card_id = add(org, "Data rahasia")
    auth.login(org.nips["outsider"])
    for path in (
        f"/boards/{org.board_id}",
        f"/cards/{card_id}",
        f"/cards/{card_id}/move",
        "/boards/9999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Layanan Aplikasi" not in page(response) and "Data rahasia" not in page(response)
    response = client.post(
        f"/boards/{org.board_id}/cards", data={"title": "x", "column_id": org.backlog}
    )
    assert response.status_code == 404
    assert "Layanan Aplikasi" not in page(client.get("/boards"))


def test_inline_add_card_without_javascript(app, client, auth, org):
    auth.login(org.nips["staff"])
    due = local_today("Asia/Jakarta") + timedelta(7)
    response = client.post(
        f"/boards/{org.board_id}/cards",
        data={"title": "Surat undangan rapat", "column_id": org.doing, "due_date": due.isoformat()},
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/boards/{org.board_id}"
    with app.app_context():
        card = db.session.scalar(db.select(Card).where(Card.title == "Surat undangan rapat"))
        assert (
            card.column_id == org.doing
            and card.due_date == due
            and card.created_by_id == org.users["staff"]
        )
    html = page(client.get(f"/boards/{org.board_id}"))
    assert t("Card “%(title)s” added.", title="Surat undangan rapat") in html
    assert "Surat undangan rapat" in column_html(html, org.doing)


def test_inline_add_card_refusal_is_shown_next_to_the_field(app, client, auth, org):
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/cards", data={"title": "Tanpa tenggat", "column_id": org.doing}
    )
    assert response.status_code == 422
    doing = column_html(page(response), org.doing)
    needs_due = re.escape(t("A card needs a due date in this column."))
    assert re.search(rf'class="field-error"[^>]*>{needs_due}</p>', doing)
    assert 'value="Tanpa tenggat"' in doing  # what was typed is kept
    response = client.post(
        f"/boards/{org.board_id}/cards", data={"title": "  ", "column_id": org.backlog}
    )
    assert response.status_code == 422
    assert t("This field is required.") in column_html(page(response), org.backlog)
    response = client.post(f"/boards/{org.board_id}/cards", data={"title": "x", "column_id": "abc"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Card.id))) == 0


def test_inline_add_card_with_htmx_swaps_the_column(client, auth, org):
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/cards",
        data={"title": "Draf SK", "column_id": org.backlog},
        headers={"HX-Request": "true", "HX-Target": "alerts"},
    )
    html = page(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<p class="alert alert-success">')
    assert re.search(rf'<section[^>]*id="column-{org.backlog}"[^>]*hx-swap-oob="true"', html)
    assert "Draf SK" in column_html(html, org.backlog)


@pytest.mark.slow  # 500 cards made through the services (4 s): the full run has it
def test_five_hundred_card_board_page_stays_small(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    with app.app_context():
        staff = get_user("staff", org)
        people = [org.nips["staff"], org.nips["staff2"], org.nips["kasi"], None]
        for i in range(500):
            data = {
                "title": f"Surat permohonan data sektoral nomor {i} dari OPD kabupaten",
                "assignee": people[i % 4],
                "due_date": (today + timedelta(i % 40 - 10)).isoformat(),
                "labels": ["ppid", f"bidang-{i % 5}"],
                "type": "surat-keluar",
            }
            cards.create_card(staff, org.board_id, data)
    auth.login(org.nips["staff"])
    # Size, not time: timings belong to bench/board.py and docs/benchmarks.md.
    response = client.get(f"/boards/{org.board_id}")
    assert response.status_code == 200
    assert len(card_ids(page(response))) == 500
    assert len(response.data) < 400_000, len(response.data)
