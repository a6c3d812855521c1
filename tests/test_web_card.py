"""The card page: editing with accountable deadlines and versions, comments, and the history."""

import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Comment, DeadlineChange, Event
from app.services import cards
from app.web import local_today
from tests.conftest import get_user
from tests.i18n_helpers import t


def page(response) -> str:
    return response.get_data(as_text=True)


def alert_text(html: str) -> str:
    return " ".join(re.findall(r'<div[^>]*role="alert"[^>]*>(.*?)</div>', html, re.S))


def form_of(html: str) -> dict:
    """The values the edit form would send back, as a browser fills them in."""
    form = re.search(
        r'<form method="post" action="/cards/\d+" class="stacked-form card-form">(.*?)</form>',
        html,
        re.S,
    ).group(1)
    values = dict(
        re.findall(r'<input (?![^>]*type="checkbox")[^>]*name="(\w+)" value="([^"]*)"', form)
    )
    values.pop("csrf_token", None)
    # The label checkboxes: the ticked ones are sent, each as a "labels" value.
    ticked = re.findall(r'<input type="checkbox" name="labels" value="([^"]*)" checked>', form)
    for name, text in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = text.replace("\n", "\r\n")  # browsers send CRLF
    for name, options in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen.group(1) if chosen else ""
    return {
        name: value.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", '"')
        for name, value in values.items()
    } | {"labels": ticked}


def make_card(app, org, **data):
    with app.app_context():
        data.setdefault("title", "Surat balasan permohonan informasi")
        column = data.pop("column_id", None)
        return cards.create_card(
            get_user("staff", org), org.board_id, data, column_id=column
        ).card.id


def load(app, card_id) -> Card:
    with app.app_context():
        card = db.session.get(Card, card_id)
        db.session.expunge(card)
        return card


def events_of(app, card_id) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            select(Event.kind).where(Event.card_id == card_id).order_by(Event.id)
        ).all()


def test_card_page_renders_markdown_sanitised(app, client, auth, org):
    card_id = make_card(
        app,
        org,
        description=(
            "**Penting**\n\n- satu\n- dua\n\n<script>alert(1)</script> "
            "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
        ),
    )
    auth.login(org.nips["staff"])
    html = page(client.get(f"/cards/{card_id}"))
    description = re.search(r'<section class="description"[^>]*>(.*?)</section>', html, re.S).group(
        1
    )
    assert "<strong>Penting</strong>" in description and "<li>satu</li>" in description
    assert (
        "<script" not in description
        and "javascript:" not in description
        and "onerror" not in description
    )


def test_submitting_the_form_unchanged_changes_nothing(app, client, auth, org):
    card_id = make_card(
        app,
        org,
        description="Baris satu\nBaris dua",
        estimate=4,
        labels=["ppid", "rapat"],
        due_date="2026-12-01",
        assignee=org.nips["staff"],
    )
    auth.login(org.nips["staff"])
    values = form_of(page(client.get(f"/cards/{card_id}")))
    assert (
        values["assignee"] == org.nips["staff"]
        and values["estimate"] == "4"
        and values["labels"] == ["ppid", "rapat"]
    )
    response = client.post(f"/cards/{card_id}", data=values)
    assert response.status_code == 302
    assert load(app, card_id).version == 1 and events_of(app, card_id) == ["created"]


def test_edit_card_fields_is_saved_and_recorded(app, client, auth, org):
    card_id = make_card(app, org)
    auth.login(org.nips["staff"])
    values = form_of(page(client.get(f"/cards/{card_id}")))
    values.update(
        title="Surat balasan PPID",
        type="surat-keluar",
        priority="high",
        assignee=org.nips["staff2"],
        estimate="2,5",
        labels=["ppid", "informasi-publik"],
        due_date="2026-12-10",
    )
    response = client.post(f"/cards/{card_id}", data=values)
    assert response.status_code == 302 and response.headers["Location"] == f"/cards/{card_id}"
    card = load(app, card_id)
    assert (card.title, card.type, card.priority, card.estimate, card.labels) == (
        "Surat balasan PPID",
        "surat-keluar",
        "high",
        2.5,
        ["ppid", "informasi-publik"],
    )
    assert (
        card.due_date == date(2026, 12, 10) and card.deadline_changes == 0
    )  # the first due date needs no reason
    assert card.version == 2
    html = page(client.get(f"/cards/{card_id}"))
    assert t("Card saved.") in html
    assert t("assigned it to %(person)s", person="Dewi Lestari") in html
    assert f"{t('title')}: “Surat balasan permohonan informasi” → “Surat balasan PPID”" in html


def test_changing_a_due_date_without_a_reason_is_refused(app, client, auth, org):
    card_id = make_card(app, org, due_date="2026-12-01")
    auth.login(org.nips["staff"])
    values = form_of(page(client.get(f"/cards/{card_id}")))
    values.update(due_date="2026-12-20", title="Judul baru")
    response = client.post(f"/cards/{card_id}", data=values)
    html = page(response)
    assert response.status_code == 422
    assert t("Changing a due date needs a reason.") in alert_text(html)
    assert (
        '<p class="field-error" id="card-deadline-reason-error">'
        f"{t('Say why the due date changes.')}</p>" in html
    )
    assert 'value="Judul baru"' in html and 'value="2026-12-20"' in html  # the typed values stay
    card = load(app, card_id)
    assert card.due_date == date(2026, 12, 1) and card.title != "Judul baru" and card.version == 1


def test_changing_a_due_date_with_a_reason_is_counted_and_in_the_history(app, client, auth, org):
    card_id = make_card(app, org, due_date="2026-12-01")
    auth.login(org.nips["staff"])
    values = form_of(page(client.get(f"/cards/{card_id}")))
    values.update(due_date="2026-12-20", deadline_reason="Menunggu data dari Disdukcapil")
    assert client.post(f"/cards/{card_id}", data=values).status_code == 302
    with app.app_context():
        change = db.session.scalar(select(DeadlineChange).where(DeadlineChange.card_id == card_id))
        assert (change.old_date, change.new_date, change.reason) == (
            date(2026, 12, 1),
            date(2026, 12, 20),
            "Menunggu data dari Disdukcapil",
        )
    html = page(client.get(f"/cards/{card_id}"))
    assert t("deadline moved %(n)d×", n=1) in html
    history = re.search(r'<ol class="history">(.*?)</ol>', html, re.S).group(1)
    moved = t("moved the due date from %(old)s to %(new)s", old="1 Des 2026", new="20 Des 2026")
    assert moved in history
    assert "Menunggu data dari Disdukcapil" in history


def test_the_reason_given_for_a_change_is_in_the_history(app, client, auth, org):
    card_id = make_card(app, org)
    auth.login(org.nips["staff"])
    values = form_of(page(client.get(f"/cards/{card_id}")))
    assert values["reason"] == ""
    values.update(title="Surat balasan (revisi)", reason="Permintaan Kasi di rapat pagi")
    assert client.post(f"/cards/{card_id}", data=values).status_code == 302
    values = form_of(page(client.get(f"/cards/{card_id}")))
    values.update(assignee=org.nips["staff2"], reason="Staf sedang cuti")
    assert client.post(f"/cards/{card_id}", data=values).status_code == 302
    with app.app_context():
        reasons = db.session.scalars(
            select(Event.data).where(
                Event.card_id == card_id, Event.kind.in_(("updated", "assigned"))
            )
        ).all()
    assert [data.get("reason") for data in reasons] == [
        "Permintaan Kasi di rapat pagi",
        "Staf sedang cuti",
    ]
    history = re.search(
        r'<ol class="history">(.*?)</ol>', page(client.get(f"/cards/{card_id}")), re.S
    )
    assert "Permintaan Kasi di rapat pagi" in history.group(1)
    assert "Staf sedang cuti" in history.group(1)


@pytest.mark.pg
def test_stale_version_is_refused_and_nothing_changes(app, client, auth, org):
    card_id = make_card(app, org)
    auth.login(org.nips["staff"])
    values = form_of(page(client.get(f"/cards/{card_id}")))
    with app.app_context():  # someone else saves first
        cards.update_card(get_user("kasi", org), card_id, {"priority": "urgent"}, version=1)
    values["title"] = "Perubahan saya"
    response = client.post(f"/cards/{card_id}", data=values)
    assert response.status_code == 409
    conflict = t("Someone else changed this card since you opened it. Reload it and try again.")
    assert conflict in alert_text(page(response))
    assert t("Reload the card") in alert_text(page(response))
    card = load(app, card_id)
    assert card.title == "Surat balasan permohonan informasi" and card.priority == "urgent"


def test_invalid_fields_are_shown_next_to_them(app, client, auth, org):
    card_id = make_card(app, org)
    auth.login(org.nips["staff"])
    values = form_of(page(client.get(f"/cards/{card_id}")))
    values.update(
        title="",
        estimate="banyak",
        due_date="31-12-2026",
        assignee=org.nips["outsider"],
        priority="penting",
    )
    response = client.post(f"/cards/{card_id}", data=values)
    html = page(response)
    assert response.status_code == 422
    for field in (
        "card-title-input",
        "card-estimate",
        "card-due",
        "card-assignee",
        "card-priority",
    ):
        assert f'id="{field}-error"' in html, field
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html), field
    assert load(app, card_id).version == 1


def test_comments_are_added_and_listed(app, client, auth, org):
    card_id = make_card(app, org)
    auth.login(org.nips["staff2"])
    response = client.post(
        f"/cards/{card_id}/comments", data={"body": "Sudah saya cek <b>ke</b> bidang."}
    )
    assert (
        response.status_code == 302 and response.headers["Location"] == f"/cards/{card_id}#comments"
    )
    html = page(client.get(f"/cards/{card_id}"))
    comments = re.search(r'<ol class="comments">(.*?)</ol>', html, re.S).group(1)
    assert "Dewi Lestari" in comments and "Sudah saya cek &lt;b&gt;ke&lt;/b&gt; bidang." in comments
    response = client.post(f"/cards/{card_id}/comments", data={"body": "   "})
    assert response.status_code == 422
    assert 'id="comment-body-error"' in page(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 1


def test_history_tells_every_kind_of_event_in_words(app, client, auth, org):
    today = local_today("Asia/Jakarta")
    with app.app_context():
        staff = get_user("staff", org)
        for i in range(3):
            cards.create_card(
                staff,
                org.board_id,
                {"title": f"Isi {i}", "due_date": today.isoformat()},
                column_id=org.doing,
            )
    card_id = make_card(app, org, due_date=today.isoformat())
    with app.app_context():
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        cards.update_card(
            staff, card_id, {"assignee": org.nips["staff"], "priority": "high"}, version=1
        )
        cards.update_card(
            staff,
            card_id,
            {"due_date": (today + timedelta(3)).isoformat()},
            version=2,
            deadline_reason="Narasumber berhalangan",
        )
        cards.move_card(kasi, card_id, org.doing, override_reason="Perintah Kadis")
        cards.add_comment(staff, card_id, "Draf sudah dikirim")
    auth.login(org.nips["staff"])
    html = page(client.get(f"/cards/{card_id}"))
    history = re.search(r'<ol class="history">(.*?)</ol>', html, re.S).group(1)
    expected = [
        t("created the card in %(column)s", column="Backlog"),
        t("assigned it to %(person)s", person="Agus Pratama"),
        f"{t('priority')}: {t('Normal')} → {t('High')}",
        t(
            "moved the due date from %(old)s to %(new)s",
            old=format_date(today, "d MMM yyyy", locale="id"),
            new=format_date(today + timedelta(3), "d MMM yyyy", locale="id"),
        ),
        "Narasumber berhalangan",
        t("moved it from %(source)s to %(target)s", source="Backlog", target="Dikerjakan"),
        t("went over the WIP limit of %(column)s (%(limit)s)", column="Dikerjakan", limit=3),
        "Perintah Kadis",
        t("commented"),
        "Draf sudah dikirim",
    ]
    positions = [history.index(text) for text in expected]
    assert positions == sorted(positions)
    assert "Siti Rahmawati" in history  # the head who overrode
    assert re.search(r"\d+ \w+ \d{4} \d\d:\d\d WIB", history)
