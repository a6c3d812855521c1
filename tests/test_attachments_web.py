"""Documents on the card page (issue 23): upload with and without htmx, the size limit (413)
and the type allow-list answered next to the file field, downloads and previews with their
headers, versions, removal and restore by who may, CSRF, the history and the board's badge."""

import io
import os
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, AttachmentVersion, Card
from app.services import attachments, cards
from app.web import local_today
from tests import documents
from tests.conftest import DOCUMENT_FOLDER, get_card, get_user
from tests.i18n_helpers import t
from tests.query_counter import count_queries

HTMX = {"HX-Request": "true", "HX-Target": "documents"}
HINT = (
    "At most %(mb)d MB. PDF, Word, Excel, PowerPoint, OpenDocument, images (PNG, JPEG, GIF, "
    "WebP), text and zip files."
)


def new_card(org, title="Surat undangan rapat"):
    data = {"title": title, "due_date": (local_today("Asia/Jakarta") + timedelta(7)).isoformat()}
    return cards.create_card(get_user("staff", org), org.board_id, data).card.id


def post_file(client, url, data: bytes, name: str, headers=None, **fields):
    return client.post(
        url,
        data={"file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def add_document(org, card_id, data=None, name="undangan.pdf", who="staff") -> int:
    data = documents.pdf() if data is None else data
    return attachments.add(get_user(who, org), card_id, documents.upload(data, name)).id


def stored_files() -> int:
    return sum(len(files) for _root, _dirs, files in os.walk(DOCUMENT_FOLDER))


def document_count() -> int:
    return db.session.scalar(select(func.count(Attachment.id)))


def html(response) -> str:
    return response.get_data(as_text=True)


def section_of(page: str) -> str:
    """The documents section of a card page."""
    start = page.index('id="documents"')
    return page[start : page.index("</section>", start)]


def test_upload_without_javascript_lists_the_document(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
    auth.login(org.nips["staff"])
    page = html(client.get(f"/cards/{card_id}"))
    assert 'id="documents"' in page and 'enctype="multipart/form-data"' in page
    assert t(HINT, mb=25) in page
    response = post_file(client, f"/cards/{card_id}/documents", documents.pdf(), "undangan.pdf")
    assert response.status_code == 302 and response.location.endswith("#documents")
    page = html(client.get(f"/cards/{card_id}"))
    with app.app_context():
        doc = db.session.scalars(select(Attachment)).one()
        assert get_card(card_id).attachment_count == 1
    section = section_of(page)
    assert "undangan.pdf" in section and t("PDF document") in section
    assert t("version %(n)d", n=1) in section and "Agus Pratama" in section
    assert org.nips["staff"] not in section  # people's names, never their NIP
    assert f'href="/cards/{card_id}/documents/{doc.id}"' in section
    assert f'href="/cards/{card_id}/documents/{doc.id}/view"' in section
    assert t("Document “%(name)s” uploaded.", name="undangan.pdf") in page
    # The history says it in a sentence.
    assert t("uploaded the document %(name)s", name="“undangan.pdf”") in page


def test_htmx_upload_swaps_the_section_and_the_card_forms_version(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
    auth.login(org.nips["staff"])
    response = post_file(
        client, f"/cards/{card_id}/documents", documents.PNG, "denah.png", headers=HTMX
    )
    body = html(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="panel documents" id="documents"')
    with app.app_context():
        version = get_card(card_id).version
    assert f'id="card-version" name="version" value="{version}" hx-swap-oob="true"' in body
    assert "denah.png" in body and t("PNG image") in body
    assert 'hx-encoding="multipart/form-data"' in body


def test_too_large_is_413_next_to_the_field_and_nothing_is_stored(app, client, auth, org):
    app.config["DOCUMENT_MAX_MB"] = 1
    with app.app_context():
        card_id = new_card(org)
        before = stored_files()
    auth.login(org.nips["staff"])
    url = f"/cards/{card_id}/documents"
    message = t(
        "The file is larger than %(mb)d MB. Make it smaller (for example, scan at a lower "
        "resolution) or split it.",
        mb=1,
    )
    # Far over the limit: refused from the Content-Length; just over it: while reading.
    for size in (3 * 1024 * 1024, 1024 * 1024 + 10):
        data = documents.pdf() + b"\n%" + b"x" * size
        response = post_file(client, url, data, "pindaian.pdf")
        assert response.status_code == 413
        error = re.search(r'id="document-new-file-error">([^<]*)', html(response))
        assert error and error.group(1) == message
        assert 'aria-invalid="true"' in html(response)
        response = post_file(client, url, data, "pindaian.pdf", headers=HTMX)
        assert response.status_code == 413 and message in html(response)
        assert html(response).lstrip().startswith('<section class="panel documents"')
    with app.app_context():
        assert document_count() == 0 and stored_files() == before


def test_a_program_named_pdf_is_refused_next_to_the_field(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        before = stored_files()
    auth.login(org.nips["staff"])
    response = post_file(client, f"/cards/{card_id}/documents", documents.EXE, "surat.pdf")
    assert response.status_code == 422
    error = re.search(r'id="document-new-file-error">([^<]*)', html(response))
    assert error and t("a program") in error.group(1)
    # No file chosen at all.
    response = client.post(f"/cards/{card_id}/documents", data={})
    assert response.status_code == 422
    assert t("Choose a file.") in html(response)
    with app.app_context():
        assert document_count() == 0 and stored_files() == before


def test_download_streams_the_bytes_with_safe_headers(app, client, auth, org):
    data = documents.pdf("Undangan rapat koordinasi")
    name = "Undangan – rapat Kominfo.pdf"
    with app.app_context():
        card_id = new_card(org)
        doc_id = add_document(org, card_id, data, name)
    auth.login(org.nips["staff2"])
    response = client.get(f"/cards/{card_id}/documents/{doc_id}")
    assert response.status_code == 200 and response.get_data() == data
    headers = response.headers
    assert headers["Content-Type"] == "application/pdf"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert "private" in headers["Cache-Control"]
    assert headers["Content-Length"] == str(len(data))
    # The preview: inline, still sandboxed.
    response = client.get(f"/cards/{card_id}/documents/{doc_id}/view")
    assert response.status_code == 200 and response.get_data() == data
    assert response.headers["Content-Disposition"].startswith("inline")
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"


def test_view_only_for_pdf_and_images(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        docx_id = add_document(org, card_id, documents.docx(), "notula.docx")
        png_id = add_document(org, card_id, documents.PNG, "foto.png")
    auth.login(org.nips["staff"])
    assert client.get(f"/cards/{card_id}/documents/{docx_id}/view").status_code == 404
    assert client.get(f"/cards/{card_id}/documents/{docx_id}").status_code == 200
    response = client.get(f"/cards/{card_id}/documents/{png_id}/view")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    page = html(client.get(f"/cards/{card_id}"))
    assert f"/documents/{png_id}/view" in page and f"/documents/{docx_id}/view" not in page


def test_outsiders_and_wrong_cards_get_404(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        other_card = new_card(org, "Kartu lain")
        doc_id = add_document(org, card_id)
    auth.login(org.nips["outsider"])
    for url in (
        f"/cards/{card_id}/documents/{doc_id}",
        f"/cards/{card_id}/documents/{doc_id}/view",
        f"/cards/{card_id}/documents/{doc_id}?version=1",
    ):
        response = client.get(url)
        assert response.status_code == 404 and b"%PDF" not in response.get_data()
    response = post_file(client, f"/cards/{card_id}/documents", documents.pdf(), "x.pdf")
    assert response.status_code == 404
    auth.logout()
    auth.login(org.nips["staff"])
    # A document asked for under another card, or an unknown one.
    assert client.get(f"/cards/{other_card}/documents/{doc_id}").status_code == 404
    assert client.get(f"/cards/{card_id}/documents/{doc_id + 99}").status_code == 404
    with app.app_context():
        assert document_count() == 1


def test_versions_keep_the_old_ones_downloadable(app, client, auth, org):
    first, second = documents.pdf("Draf 1"), documents.pdf("Draf 2")
    with app.app_context():
        card_id = new_card(org)
        doc_id = add_document(org, card_id, first, "draf.pdf")
    auth.login(org.nips["staff2"])
    url = f"/cards/{card_id}/documents/{doc_id}/versions"
    response = post_file(client, url, second, "draf-revisi.pdf")
    assert response.status_code == 302
    base = f"/cards/{card_id}/documents/{doc_id}"
    assert client.get(base).get_data() == second
    assert client.get(f"{base}?version=2").get_data() == second
    old = client.get(f"{base}?version=1")
    assert old.get_data() == first and "draf.pdf" in old.headers["Content-Disposition"]
    assert client.get(f"{base}?version=3").status_code == 404
    assert client.get(f"{base}?version=satu").status_code == 404
    page = html(client.get(f"/cards/{card_id}"))
    section = section_of(page)
    assert t("version %(n)d", n=2) in section and "draf-revisi.pdf" in section
    assert f'href="{base}?version=1"' in section and "Agus Pratama" in section
    assert "Dewi Lestari" in section
    sentence = t("uploaded version %(n)s of the document %(name)s", n=2, name="“draf-revisi.pdf”")
    assert sentence in page
    # A refused new version: the message next to that document's file field.
    response = post_file(client, url, documents.EXE, "draf.pdf")
    assert response.status_code == 422 and f'id="document-{doc_id}-file-error"' in html(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(AttachmentVersion.id))) == 2


def test_remove_and_restore_go_by_who_may(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        doc_id = add_document(org, card_id, name="lampiran.pdf")
    base = f"/cards/{card_id}/documents/{doc_id}"
    # staff2 may see the card but did not upload it: no remove form, and refused.
    auth.login(org.nips["staff2"])
    assert f'action="{base}/remove"' not in html(client.get(f"/cards/{card_id}"))
    response = client.post(f"{base}/remove", data={"reason": "salah"})
    assert response.status_code == 403
    assert t(
        "Only the person who uploaded this document or a head of the board's unit may remove it."
    ) in html(response)
    auth.logout()
    # The uploader removes it with a reason; a too long reason is refused next to the field.
    auth.login(org.nips["staff"])
    assert f'action="{base}/remove"' in html(client.get(f"/cards/{card_id}"))
    response = client.post(f"{base}/remove", data={"reason": "x" * 501})
    assert response.status_code == 422 and f'id="document-{doc_id}-reason-error"' in html(response)
    response = client.post(f"{base}/remove", data={"reason": "Salah berkas"}, headers=HTMX)
    assert response.status_code == 200 and 'class="document-name"' not in html(response)
    assert t("Document “%(name)s” removed.", name="lampiran.pdf") in html(response)
    with app.app_context():
        assert get_card(card_id).attachment_count == 0
    # Gone for staff (no restore either), with a sentence in the history.
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/restore").status_code == 404
    page = html(client.get(f"/cards/{card_id}"))
    assert t("removed the document %(name)s", name="“lampiran.pdf”") in page
    assert "Salah berkas" in page and t("Restore") not in page
    auth.logout()
    # The head sees the removed document, who removed it and why, and restores it.
    auth.login(org.nips["kasi"])
    page = html(client.get(f"/cards/{card_id}"))
    removed = page[page.index('class="documents-removed"') :]
    assert "lampiran.pdf" in removed and "Agus Pratama" in removed and "Salah berkas" in removed
    assert client.get(base).status_code == 200  # a head still reads it
    response = client.post(f"{base}/restore")
    assert response.status_code == 302
    assert client.post(f"{base}/restore").status_code == 409
    with app.app_context():
        assert get_card(card_id).attachment_count == 1
    page = html(client.get(f"/cards/{card_id}"))
    assert t("restored the document %(name)s", name="“lampiran.pdf”") in page
    assert 'class="documents-removed"' not in page


def test_a_removed_document_takes_no_new_version(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        doc_id = add_document(org, card_id)
        attachments.remove(get_user("kasi", org), doc_id)
    auth.login(org.nips["kasi"])
    url = f"/cards/{card_id}/documents/{doc_id}/versions"
    response = post_file(client, url, documents.pdf(), "undangan.pdf", headers=HTMX)
    assert response.status_code == 409
    assert t("This document was removed; restore it first.") in html(response)


def test_names_are_escaped(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        add_document(org, card_id, name='<img src=x onerror="alert(1)">.pdf')
    auth.login(org.nips["staff"])
    page = html(client.get(f"/cards/{card_id}"))
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_uploads_need_the_csrf_token_when_it_is_on(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
    auth.login(org.nips["staff"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        url = f"/cards/{card_id}/documents"
        for headers in ({}, HTMX):
            response = post_file(client, url, documents.pdf(), "a.pdf", headers=headers)
            assert response.status_code == 400
        page = html(client.get(f"/cards/{card_id}"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = post_file(client, url, documents.pdf(), "a.pdf", csrf_token=token)
        assert response.status_code == 302
        with app.app_context():
            doc_id = db.session.scalars(select(Attachment.id)).one()
        response = client.post(f"{url}/{doc_id}/remove", data={"reason": "x"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert document_count() == 1 and get_card(card_id).attachment_count == 1


@pytest.mark.pg
def test_board_badge_and_a_constant_query_count(app, client, auth, org):
    """The "📎 2" badge comes from the card's counter: no query per card."""
    with app.app_context():
        first = new_card(org, "Kartu 1")
        add_document(org, first)
        add_document(org, first, documents.PNG, "foto.png")
    auth.login(org.nips["staff"])

    def board_page():
        # Each call follows new events, so the columns are rendered, not taken from the cache.
        with count_queries(app) as statements:
            response = client.get(f"/boards/{org.board_id}")
        assert response.status_code == 200
        return html(response), len(statements)

    page, few = board_page()
    assert re.search(r'class="document-badge"[^>]*>.*?</span> 2</span>', page)
    with app.app_context():
        for i in range(12):
            add_document(org, new_card(org, f"Kartu {i + 2}"))
        assert db.session.scalar(select(func.sum(Card.attachment_count))) == 14
    page, many = board_page()
    assert page.count('class="document-badge"') == 13
    assert many == few
