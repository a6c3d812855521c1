"""`cergas documents check`: versions whose bytes are missing from the store (exit 1), and in a
local folder the files no version points to (`--orphans`), deleted once a day old
(`--delete-orphans`)."""

import os
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.services import attachments, cards
from app.storage import StorageError, storage
from app.web import local_today
from tests import documents
from tests.conftest import get_user, make_app
from tests.i18n_helpers import catalog, t

DOWN = "http://127.0.0.1:9"


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, DOCUMENT_FOLDER=str(tmp_path / "documents"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def two_versions(org):
    """A card with a document in two versions; (document, folder)."""
    staff = get_user("staff", org)
    due = (local_today("Asia/Jakarta") + timedelta(7)).isoformat()
    card_id = cards.create_card(staff, org.board_id, {"title": "Surat", "due_date": due}).card.id
    doc = attachments.add(staff, card_id, documents.upload(documents.pdf("v1"), "draf.pdf"))
    attachments.add_version(staff, doc.id, documents.upload(documents.pdf("v2"), "draf.pdf"))
    return doc, storage().root


def nt(singular: str, plural: str, num: int, **params) -> str:
    """The Indonesian text of a plural message, as the command prints it."""
    translated = catalog().ngettext(singular, plural, num)
    assert translated not in (singular, plural), f"no Indonesian translation for {singular!r}"
    return translated % {"num": num, **params}


def age(path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_every_file_present_is_exit_0(app, org, runner):
    with app.app_context():
        two_versions(org)
    result = runner.invoke(args=["documents", "check"])
    assert result.exit_code == 0, result.output
    assert (
        nt(
            "Checked %(num)d version: its file is in the document store.",
            "Checked %(num)d versions: every file is in the document store.",
            2,
        )
        in result.output
    )


def test_a_missing_file_is_named_and_exit_1(app, org, runner):
    with app.app_context():
        doc, _folder = two_versions(org)
        first = doc.versions[0]
        storage().delete(first.storage_key)
        key, card_id, doc_id = first.storage_key, doc.card_id, doc.id
        # A removed document's bytes are kept, so they are checked too.
        attachments.remove(get_user("staff", org), doc.id, "salah")
    result = runner.invoke(args=["documents", "check"])
    assert result.exit_code == 1
    missing = t(
        "Missing: card %(card)d, document %(document)d “%(name)s”, version %(version)d "
        "(stored as %(key)s)",
        card=card_id,
        document=doc_id,
        name="draf.pdf",
        version=1,
        key=key,
    )
    assert missing in result.output
    assert (
        nt(
            "%(num)d of %(total)d versions has no file in the document store.",
            "%(num)d of %(total)d versions have no file in the document store.",
            1,
            total=2,
        )
        in result.output
    )


def test_orphans_are_listed_and_only_old_ones_deleted(app, org, runner):
    with app.app_context():
        doc, folder = two_versions(org)
        used = [folder / version.storage_key for version in doc.versions]
    for path in used:
        age(path, 3)
    old = folder / "aa" / "bb" / "aabb-left-by-a-crash"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"sisa")
    age(old, 2)
    temporary = folder / "aa" / ".upload-x1y2"
    temporary.write_bytes(b"setengah")
    age(temporary, 2)
    fresh = folder / "cc" / "dd" / "ccdd-still-on-its-way"
    fresh.parent.mkdir(parents=True)
    fresh.write_bytes(b"baru")

    listed = runner.invoke(args=["documents", "check", "--orphans"])
    assert listed.exit_code == 0, listed.output
    for path in (old, temporary, fresh):
        unused = t("Unused: %(path)s (%(size)d bytes, %(when)s)", path=path, size=0, when="")
        assert unused.split(" (")[0] + " (" in listed.output
    for path in used:
        assert str(path) not in listed.output
    assert old.exists() and fresh.exists()

    deleted = runner.invoke(args=["documents", "check", "--delete-orphans"])
    assert deleted.exit_code == 0, deleted.output
    assert (
        nt(
            "Deleted %(num)d unused file older than a day.",
            "Deleted %(num)d unused files older than a day.",
            2,
        )
        in deleted.output
    )
    assert not old.exists() and not temporary.exists()
    assert fresh.exists() and all(path.exists() for path in used)


def test_orphans_are_for_a_local_folder_only(database_url, tmp_path):
    app = make_app(
        database_url,
        DOCUMENT_STORAGE="s3",
        S3_BUCKET="cergas",
        S3_ENDPOINT_URL=DOWN,
        S3_REGION="us-east-1",
    )
    result = app.test_cli_runner().invoke(args=["documents", "check", "--orphans"])
    assert result.exit_code == 1
    assert t("Looking for unused files works on a local document folder only.") in result.output


def test_an_unreachable_store_is_a_clear_error(app, org, runner, monkeypatch):
    with app.app_context():
        two_versions(org)

        def down(key):
            raise StorageError("connection refused")

        monkeypatch.setattr(storage(), "exists", down)
    result = runner.invoke(args=["documents", "check"])
    assert result.exit_code == 1
    message = t("The document store cannot be reached: %(error)s", error="connection refused")
    assert message in result.output
