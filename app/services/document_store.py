"""The document store checked against the database, for administrators (`cergas documents
check`): versions whose bytes are missing, and, in a local folder, files no version points to
(left by a crash between storing the bytes and writing the rows, or by a restored older
database backup).

A file is only an orphan to delete once it is older than a day: an upload stores its bytes
before its rows are committed, so a file of a few seconds may be one still on its way.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Attachment, AttachmentVersion
from app.services.errors import Invalid
from app.storage import storage
from app.storage.local import LocalStorage

# Versions read from the database at a time.
BATCH = 500
ORPHAN_AGE = timedelta(days=1)


@dataclass(frozen=True)
class MissingVersion:
    card_id: int
    attachment_id: int
    name: str
    number: int
    storage_key: str


@dataclass(frozen=True)
class Orphan:
    key: str
    path: Path
    size: int
    modified: datetime


def versions_checked() -> Iterator[MissingVersion | None]:
    """Every stored version in turn: the version when its bytes are missing, else None.
    Raises StorageError when the store cannot be reached."""
    backend = storage()
    query = (
        select(
            Attachment.card_id,
            Attachment.id,
            AttachmentVersion.filename,
            AttachmentVersion.number,
            AttachmentVersion.storage_key,
        )
        .join(Attachment, Attachment.id == AttachmentVersion.attachment_id)
        .order_by(AttachmentVersion.id)
        .execution_options(yield_per=BATCH)
    )
    for card_id, attachment_id, filename, number, key in db.session.execute(query):
        if backend.exists(key):
            yield None
        else:
            yield MissingVersion(card_id, attachment_id, filename, number, key)


def _local() -> LocalStorage:
    backend = storage()
    if not isinstance(backend, LocalStorage):
        raise Invalid(
            "local_only",
            _("Looking for unused files works on a local document folder only."),
        )
    return backend


def orphans() -> list[Orphan]:
    """Files in the local document folder that no version points to, oldest first."""
    backend = _local()
    keys = set(db.session.scalars(select(AttachmentVersion.storage_key)))
    found = []
    for key, path in backend.files():
        if key in keys:
            continue
        status = path.stat()
        modified = datetime.fromtimestamp(status.st_mtime, UTC)
        found.append(Orphan(key, path, status.st_size, modified))
    return sorted(found, key=lambda orphan: (orphan.modified, orphan.key))


def delete_orphans(now: datetime | None = None) -> list[Orphan]:
    """Delete the orphans older than a day (`ORPHAN_AGE`); answers those deleted."""
    now = now or clock.now()
    deleted = []
    for orphan in orphans():
        if now - orphan.modified < ORPHAN_AGE:
            continue
        # Checked again just before: a version may have come to point to it meanwhile.
        if db.session.scalar(
            select(AttachmentVersion.id).where(AttachmentVersion.storage_key == orphan.key)
        ):
            continue
        orphan.path.unlink(missing_ok=True)
        deleted.append(orphan)
    return deleted
