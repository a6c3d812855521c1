"""The document storage backends keep one contract: the local folder and S3-compatible object
storage (moto's S3 server, a real HTTP endpoint: tests/s3_server.py) pass the same tests.

- save / open / exists / delete round trip, binary content intact (3 MB; 20 MB, which S3 takes
  in three parts), a missing key, bad keys, the S3 prefix;
- a store that cannot be reached (S3 endpoint down, local folder unusable) is a StorageError,
  which the service turns into a 503 `storage_unavailable` with no row written;
- the service's flow (add, new version, remove, restore, read back; a plugin's veto) on each;
- a wrong storage setting stops the app when it starts, with what to fix.
"""

import io
import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Attachment, AttachmentVersion, Card, Event
from app.services import attachments, cards
from app.services.errors import Vetoed
from app.storage import Missing, StorageError, build, new_key, storage
from app.storage.local import LocalStorage
from app.storage.s3 import PART_SIZE, S3Storage
from app.web import local_today
from cergas.plugin import Veto, hookimpl
from tests import documents
from tests.conftest import build_org, get_user, make_app
from tests.conftest import test_config as app_config
from tests.s3_server import BUCKET, REGION, s3_server  # noqa: F401  (the fixture)

BACKENDS = ["local", "s3"]
MB = 1024 * 1024
# Nothing listens here: an S3 endpoint that is down.
DOWN = "http://127.0.0.1:9"


def storage_config(kind: str, request, tmp_path, **s3_extra) -> dict:
    """App settings storing documents in a new folder, or under a new prefix of the bucket."""
    if kind == "local":
        return {"DOCUMENT_STORAGE": "local", "DOCUMENT_FOLDER": str(tmp_path / "documents")}
    server = request.getfixturevalue("s3_server")
    return server.config(S3_PREFIX=f"test-{uuid.uuid4().hex[:12]}", **s3_extra)


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    return build(storage_config(request.param, request, tmp_path))


def read_all(backend, key) -> bytes:
    with backend.open(key) as stream:
        return stream.read()


# --- the contract ------------------------------------------------------------------------------


def test_save_open_exists_delete_round_trip(backend):
    key = new_key()
    assert not backend.exists(key)
    backend.save(key, io.BytesIO(b"Nota dinas nomor 12"))
    assert backend.exists(key)
    assert read_all(backend, key) == b"Nota dinas nomor 12"
    # Saving again under the key replaces the content.
    backend.save(key, io.BytesIO(b"versi baru"))
    assert read_all(backend, key) == b"versi baru"
    backend.delete(key)
    assert not backend.exists(key)
    with pytest.raises(Missing):
        backend.open(key)


def test_a_save_takes_the_stream_from_where_it_stands(backend):
    source = io.BytesIO(b"HEADERisi berkas")
    source.seek(6)
    key = new_key()
    backend.save(key, source)
    assert read_all(backend, key) == b"isi berkas"


def test_binary_content_comes_back_intact_in_pieces_and_whole(backend):
    data = os.urandom(3 * MB + 17)
    key = new_key()
    backend.save(key, io.BytesIO(data))
    with backend.open(key) as stream:
        first = stream.read(1000)
        rest = stream.read()
        assert stream.read() == b""
    assert first + rest == data
    with backend.open(key) as stream:
        assert b"".join(iter(lambda: stream.read(64 * 1024), b"")) == data


def test_a_20_mb_file_is_stored_whole_s3_in_parts(backend, s3_server):  # noqa: F811
    data = os.urandom(20 * MB)
    key = new_key()
    backend.save(key, io.BytesIO(data))
    assert read_all(backend, key) == data
    if isinstance(backend, S3Storage):
        head = s3_server.client().head_object(Bucket=BUCKET, Key=backend.prefix + key)
        parts = -(-len(data) // PART_SIZE)
        assert head["ETag"].strip('"').endswith(f"-{parts}"), head["ETag"]
        assert head["ContentLength"] == len(data)


def test_a_missing_key_raises_missing_and_deleting_it_is_fine(backend):
    key = new_key()
    with pytest.raises(Missing):
        backend.open(key)
    assert backend.exists(key) is False
    backend.delete(key)
    backend.delete(key)


@pytest.mark.parametrize("key", ["", "../x", "/x", "a/../b", "a//b", "./a", "a/", "a\\..\\b"])
def test_bad_keys_are_refused_by_every_operation(backend, key):
    for call in (
        lambda: backend.save(key, io.BytesIO(b"x")),
        lambda: backend.open(key),
        lambda: backend.exists(key),
        lambda: backend.delete(key),
    ):
        with pytest.raises(ValueError):
            call()


def test_a_local_key_never_leaves_the_folder(tmp_path):
    backend = LocalStorage(tmp_path / "documents")
    with pytest.raises(ValueError):
        backend.save("../escaped", io.BytesIO(b"x"))
    assert not (tmp_path / "escaped").exists()
    backend.save("ab/cd/abcd", io.BytesIO(b"x"))
    assert (tmp_path / "documents" / "ab" / "cd" / "abcd").read_bytes() == b"x"
    # Folders and files are the app user's only.
    assert (tmp_path / "documents").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "documents" / "ab" / "cd" / "abcd").stat().st_mode & 0o777 == 0o600


def test_s3_keeps_to_its_prefix(s3_server):  # noqa: F811
    prefix = f"pemda-{uuid.uuid4().hex[:8]}"
    config = s3_server.config(S3_PREFIX=f"/{prefix}//dokumen/")
    ours, other = build(config), build(s3_server.config(S3_PREFIX=f"{prefix}-lain"))
    assert ours.prefix == f"{prefix}/dokumen/"
    key = new_key()
    ours.save(key, io.BytesIO(b"isi"))
    assert s3_server.keys(prefix) == [f"{prefix}/dokumen/{key}"]
    assert not other.exists(key)
    with pytest.raises(Missing):
        other.open(key)
    other.delete(key)
    assert ours.exists(key)
    with pytest.raises(SystemExit, match="CERGAS_S3_PREFIX"):
        build(s3_server.config(S3_PREFIX="a/../b"))


# --- a store that cannot be reached ------------------------------------------------------------


def unreachable(kind: str, tmp_path) -> dict:
    if kind == "s3":
        return {
            "DOCUMENT_STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": DOWN,
            "S3_REGION": REGION,
        }
    # A file where the folder should be: no folder can be made, even by root.
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")
    return {"DOCUMENT_STORAGE": "local", "DOCUMENT_FOLDER": str(blocked / "documents")}


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_store_that_cannot_be_reached_raises_storage_error(kind, tmp_path, s3_server):  # noqa: F811
    backend = build(unreachable(kind, tmp_path))
    key = new_key()
    with pytest.raises(StorageError):
        backend.save(key, io.BytesIO(b"x"))
    with pytest.raises(StorageError):
        backend.open(key)
    if kind == "s3":
        # Locally, a folder that cannot exist holds nothing: "not there" is the true answer.
        with pytest.raises(StorageError):
            backend.exists(key)
        with pytest.raises(StorageError):
            backend.delete(key)


def test_a_local_folder_that_is_not_writable_raises_storage_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder (the case above covers root)")
    folder = tmp_path / "documents"
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(StorageError):
            LocalStorage(folder).save(new_key(), io.BytesIO(b"x"))
    finally:
        folder.chmod(0o700)


# --- the service on each backend ---------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def app(request, database_url, tmp_path):
    app = make_app(database_url, **storage_config(request.param, request, tmp_path))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def new_card(org) -> int:
    data = {"title": "Surat balasan", "due_date": (local_today("Asia/Jakarta") + timedelta(7))}
    data["due_date"] = data["due_date"].isoformat()
    return cards.create_card(get_user("staff", org), org.board_id, data).card.id


def stored_bytes(version: AttachmentVersion) -> bytes:
    with attachments.open_version(version) as stream:
        return stream.read()


def test_the_service_flow_is_the_same_on_each_backend(app, org):
    with app.app_context():
        card_id = new_card(org)
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        first = documents.pdf("v1") + os.urandom(200 * 1024)
        doc = attachments.add(staff, card_id, documents.upload(first, "draf.pdf"))
        assert storage().exists(doc.current.storage_key)
        second = documents.pdf("v2")
        attachments.add_version(kasi, doc.id, documents.upload(second, "draf-2.pdf"))
        card, [doc] = attachments.attachments_of(staff, card_id)
        assert [stored_bytes(each) for each in doc.versions] == [first, second]
        attachments.remove(staff, doc.id, "salah unggah")
        # Removal is soft: the bytes stay, a head still reads them and restores the document.
        assert stored_bytes(db.session.get(Attachment, doc.id).current) == second
        attachments.restore(kasi, doc.id)
        assert db.session.get(Card, card_id).attachment_count == 1
        kinds = db.session.scalars(
            select(Event.kind).where(Event.card_id == card_id).order_by(Event.id)
        ).all()
        assert kinds[-4:] == [
            "attachment_added",
            "attachment_version_added",
            "attachment_removed",
            "attachment_restored",
        ]


def test_bytes_gone_from_the_store_are_reported_as_missing(app, org):
    with app.app_context():
        card_id = new_card(org)
        doc = attachments.add(
            get_user("staff", org), card_id, documents.upload(documents.pdf(), "a.pdf")
        )
        storage().delete(doc.current.storage_key)
        with pytest.raises(attachments.NotFound) as missing:
            attachments.open_version(doc.current)
        assert missing.value.code == "content_missing"


class Refuser:
    @hookimpl
    def cergas_attachment_before_change(self, change):
        return Veto("Tidak boleh.") if "tolak" in change.name else None


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_veto_after_storing_leaves_no_bytes_behind(kind, request, tmp_path, database_url):
    config = storage_config(kind, request, tmp_path)
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"penolak": Refuser()}, **config)

    org = build_org(app)
    with app.app_context():
        card_id = new_card(org)
        with pytest.raises(Vetoed):
            attachments.add(
                get_user("staff", org), card_id, documents.upload(documents.pdf(), "tolak.pdf")
            )
        assert db.session.scalar(select(db.func.count(AttachmentVersion.id))) == 0
        if kind == "s3":
            assert request.getfixturevalue("s3_server").keys(config["S3_PREFIX"]) == []
        else:
            stored = [p for p in (tmp_path / "documents").rglob("*") if p.is_file()]
            assert stored == []


@pytest.mark.parametrize("kind", BACKENDS)
def test_an_unreachable_store_is_a_503_and_writes_no_row(kind, tmp_path, database_url):
    app = make_app(database_url, **unreachable(kind, tmp_path))

    org = build_org(app)
    with app.app_context():
        card_id = new_card(org)
        staff = get_user("staff", org)
        events_before = db.session.scalar(select(db.func.count(Event.id)))
        with pytest.raises(attachments.StorageUnavailable) as refused:
            attachments.add(staff, card_id, documents.upload(documents.pdf(), "a.pdf"))
        assert (refused.value.status, refused.value.code) == (503, "storage_unavailable")
        assert db.session.scalar(select(db.func.count(Attachment.id))) == 0
        assert db.session.scalar(select(db.func.count(Event.id))) == events_before
        card = db.session.get(Card, card_id)
        assert (card.attachment_count, card.version) == (0, 1)


def test_reading_from_an_unreachable_store_is_a_503(app, org, monkeypatch):
    with app.app_context():
        card_id = new_card(org)
        doc = attachments.add(
            get_user("staff", org), card_id, documents.upload(documents.pdf(), "a.pdf")
        )

        def broken(key):
            raise StorageError("the store is down")

        monkeypatch.setattr(storage(), "open", broken)
        with pytest.raises(attachments.StorageUnavailable) as refused:
            attachments.open_version(doc.current)
        assert (refused.value.status, refused.value.code) == (503, "storage_unavailable")


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"CERGAS_DOCUMENT_STORAGE": "ftp"}, "CERGAS_DOCUMENT_STORAGE must be local or s3"),
        ({"CERGAS_DOCUMENT_STORAGE": "s3"}, "needs CERGAS_S3_BUCKET"),
        (
            {"CERGAS_DOCUMENT_STORAGE": "s3", "CERGAS_S3_BUCKET": "b", "CERGAS_S3_PREFIX": ".."},
            "CERGAS_S3_PREFIX must be a folder name",
        ),
        ({"CERGAS_DOCUMENT_MAX_MB": "25MB"}, "CERGAS_DOCUMENT_MAX_MB must be a whole number"),
    ],
)
def test_a_wrong_storage_setting_stops_the_app_with_what_to_fix(monkeypatch, environment, message):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = app_config("sqlite://")
    for name in ("DOCUMENT_STORAGE", "DOCUMENT_FOLDER"):
        config.pop(name)
    with pytest.raises(SystemExit, match=message):
        create_app(config)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"DOCUMENT_STORAGE": "ftp"}, "must be 'local' or 's3'"),
        ({"DOCUMENT_STORAGE": "s3", "S3_BUCKET": None}, "needs CERGAS_S3_BUCKET"),
        ({"DOCUMENT_STORAGE": "local", "DOCUMENT_FOLDER": ""}, "CERGAS_DOCUMENT_FOLDER"),
    ],
)
def test_a_wrong_storage_setting_given_in_code_stops_the_app_too(settings, message):
    with pytest.raises(SystemExit, match=message):
        create_app(app_config("sqlite://", **settings))
