"""Documents on cards, the service: upload, type from the content, versions, soft removal and
restore, permissions, the card's counter, version and history, the storage and the plugin hooks.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, AttachmentVersion, Card, Event
from app.services import attachments, cards
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, Vetoed
from app.storage import storage
from app.web import local_today
from cergas.plugin import Veto, card_attachments, hookimpl
from tests import documents
from tests.conftest import build_org, get_user, make_app


def new_card(org, title="Surat balasan"):
    data = {"title": title, "due_date": (local_today("Asia/Jakarta") + timedelta(7)).isoformat()}
    return cards.create_card(get_user("staff", org), org.board_id, data).card.id


def stored_bytes(version: AttachmentVersion) -> bytes:
    with attachments.open_version(version) as stream:
        return stream.read()


def kinds(card_id) -> list[str]:
    return db.session.scalars(
        select(Event.kind).where(Event.card_id == card_id).order_by(Event.id)
    ).all()


def test_upload_keeps_the_bytes_under_a_random_key_and_counts_on_the_card(app, org):
    with app.app_context():
        card_id = new_card(org)
        data = documents.pdf("Draf surat balasan")
        doc = attachments.add(get_user("staff", org), card_id, documents.upload(data, "draf.pdf"))
        version = doc.current
        assert (doc.name, doc.latest, version.kind, version.content_type) == (
            "draf.pdf",
            1,
            "pdf",
            "application/pdf",
        )
        assert version.size == len(data) and len(version.sha256) == 64
        assert "draf" not in version.storage_key
        assert stored_bytes(version) == data
        card = db.session.get(Card, card_id)
        assert card.attachment_count == 1 and card.version == 2
        assert kinds(card_id)[-1] == "attachment_added"


def test_a_program_named_pdf_is_refused_and_nothing_is_stored(app, org):
    with app.app_context():
        card_id = new_card(org)
        with pytest.raises(Invalid) as refused:
            attachments.add(
                get_user("staff", org), card_id, documents.upload(documents.EXE, "surat.pdf")
            )
        assert "program" in refused.value.fields["file"]
        assert db.session.scalar(select(db.func.count(Attachment.id))) == 0
        assert db.session.get(Card, card_id).attachment_count == 0


def test_a_name_that_contradicts_the_content_is_refused(app, org):
    with app.app_context():
        card_id = new_card(org)
        with pytest.raises(Invalid) as refused:
            attachments.add(
                get_user("staff", org), card_id, documents.upload(documents.docx(), "laporan.pdf")
            )
        assert ".pdf" in refused.value.fields["file"] and ".docx" in refused.value.fields["file"]
        doc = attachments.add(
            get_user("staff", org), card_id, documents.upload(documents.docx(), "laporan.docx")
        )
        assert doc.current.kind == "docx"


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (documents.PNG, "foto.png", "png"),
        (b"Catatan rapat\nbaris dua\n", "catatan.txt", "text"),
        (documents.plain_zip(), "lampiran.zip", "zip"),
    ],
)
def test_the_allow_list_takes_images_text_and_zip(app, org, data, name, kind):
    with app.app_context():
        card_id = new_card(org)
        doc = attachments.add(get_user("staff", org), card_id, documents.upload(data, name))
        assert doc.current.kind == kind


def test_a_file_over_the_limit_is_refused_with_413(app, org):
    with app.app_context():
        app.config["DOCUMENT_MAX_MB"] = 1
        card_id = new_card(org)
        big = documents.pdf() + b"0" * (1024 * 1024)
        with pytest.raises(attachments.TooLarge) as refused:
            attachments.add(get_user("staff", org), card_id, documents.upload(big, "besar.pdf"))
        assert refused.value.status == 413


def test_a_new_version_keeps_the_old_one_with_who_and_when(app, org):
    with app.app_context():
        card_id = new_card(org)
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        doc = attachments.add(staff, card_id, documents.upload(documents.pdf("v1"), "draf.pdf"))
        attachments.add_version(kasi, doc.id, documents.upload(documents.pdf("v2"), "draf-2.pdf"))
        card, [doc] = attachments.attachments_of(staff, card_id)
        assert doc.latest == 2 and doc.name == "draf-2.pdf"
        first, second = doc.versions
        assert (first.number, first.uploaded_by_id) == (1, staff.id)
        assert (second.number, second.uploaded_by_id) == (2, kasi.id)
        assert stored_bytes(first) == documents.pdf("v1")
        assert card.attachment_count == 1
        assert kinds(card_id)[-1] == "attachment_version_added"


def test_removal_is_soft_audited_and_for_the_uploader_or_a_head(app, org):
    with app.app_context():
        card_id = new_card(org)
        staff, staff2, kasi = (get_user(k, org) for k in ("staff", "staff2", "kasi"))
        doc = attachments.add(staff, card_id, documents.upload(documents.pdf(), "draf.pdf"))
        with pytest.raises(Forbidden):
            attachments.remove(staff2, doc.id, "salah")
        attachments.remove(staff, doc.id, "salah unggah")
        assert attachments.attachments_of(staff, card_id)[1] == []
        assert db.session.get(Card, card_id).attachment_count == 0
        removed = db.session.get(Attachment, doc.id)
        assert removed.removed_reason == "salah unggah" and stored_bytes(removed.current)
        # A member no longer reaches it; a head still reads and restores it.
        with pytest.raises(NotFound):
            attachments.attachment(staff2, doc.id)
        assert [
            d.id for d in attachments.attachments_of(kasi, card_id, include_removed=True)[1]
        ] == [doc.id]
        with pytest.raises(NotFound):
            attachments.restore(staff, doc.id)
        with pytest.raises(Conflict):
            attachments.add_version(kasi, doc.id, documents.upload(documents.pdf(), "x.pdf"))
        attachments.restore(kasi, doc.id)
        assert db.session.get(Card, card_id).attachment_count == 1
        assert kinds(card_id)[-2:] == ["attachment_removed", "attachment_restored"]


def test_an_outsider_finds_neither_the_card_nor_its_documents(app, org):
    with app.app_context():
        card_id = new_card(org)
        doc = attachments.add(
            get_user("staff", org), card_id, documents.upload(documents.pdf(), "a.pdf")
        )
        outsider = get_user("outsider", org)
        for call in (
            lambda: attachments.attachments_of(outsider, card_id),
            lambda: attachments.attachment(outsider, doc.id),
            lambda: attachments.add(outsider, card_id, documents.upload(documents.pdf(), "b.pdf")),
            lambda: attachments.add_version(
                outsider, doc.id, documents.upload(documents.pdf(), "b.pdf")
            ),
            lambda: attachments.remove(outsider, doc.id),
        ):
            with pytest.raises(NotFound):
                call()


class Scanner:
    """A stand-in virus scanner, and a rule that refuses some documents once written."""

    @hookimpl
    def cergas_attachment_check(self, file):
        assert file.open().read(4) == b"%PDF"
        return Veto("Terdeteksi virus.") if "virus" in file.name else None

    @hookimpl
    def cergas_attachment_before_change(self, change, card):
        names = [each.name for each in card_attachments(card)]
        assert change.name == names[-1]
        return Veto("Tidak boleh.") if "tolak" in change.name else None


def test_plugins_check_files_and_changes_and_a_veto_stores_nothing(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"pemindai": Scanner()})
    org = build_org(app)
    with app.app_context():
        card_id = new_card(org)
        root = storage().root
        before = {path for path in root.rglob("*") if path.is_file()}
        staff = get_user("staff", org)
        for name in ("virus.pdf", "tolak.pdf"):
            with pytest.raises(Vetoed) as refused:
                attachments.add(staff, card_id, documents.upload(documents.pdf(), name))
            assert refused.value.vetoes[0]["plugin"] == "pemindai"
        assert db.session.scalar(select(db.func.count(Attachment.id))) == 0
        assert {path for path in root.rglob("*") if path.is_file()} == before
        doc = attachments.add(staff, card_id, documents.upload(documents.pdf(), "surat.pdf"))
        assert [each.id for each in card_attachments(card_id)] == [doc.id]
