"""Documents on a card: upload, new versions, soft removal and restore, and reading them back.

Whoever may see a card may add documents and versions to it (as they may edit it). Removing a
document is for the person who uploaded it and for those who manage the board (its unit's heads,
acting heads, the team leader, admins); restoring it and reading a removed document's bytes are
for those who manage the board. Outsiders get "not found" for the card and its documents alike.

An upload, in order, outside the board lock and the database transaction:

1. the size is bounded (`DOCUMENT_MAX_MB`, 25 MB by default; views refuse a larger request
   with 413 before reading it), the content read once in chunks for size and checksum;
2. the type is decided from the content against the allow-list (`app.services.filetypes`);
3. plugins may refuse the file (`cergas_attachment_check`: a virus scanner, a regional rule);
4. the bytes go to the storage backend under a new random key.

Then, in one transaction under the board lock: the document and its version rows, the card's
count of documents and its version (a paraf stamps the documents), the audit event, and the
plugins' say (`cergas_attachment_before_change`: the approvals plugin voids a paraf given to an
earlier version). If anything there refuses or fails, the stored bytes are deleted again.
"""

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Attachment, AttachmentVersion, Card, User, utcnow
from app.services import filetypes
from app.services import validation as v
from app.services.access import can_manage_board, visible_card
from app.services.archive import require_not_archived
from app.services.attachment_data import AttachmentChange, AttachmentFile, AttachmentInfo
from app.services.audit import record
from app.services.errors import Conflict, Forbidden, NotFound, ServiceError, Vetoed
from app.services.tx import lock_board, write_transaction
from app.storage import CHUNK, Missing, StorageError, new_key, storage

log = logging.getLogger(__name__)

MAX_NAME = 200
MAX_REASON = 500
# A card holds at most this many documents (removed ones included): a bound, not a quota.
MAX_PER_CARD = 200
MAX_VERSIONS = 100


class TooLarge(ServiceError):
    status = 413


class StorageUnavailable(ServiceError):
    status = 503


@dataclass
class Upload:
    """A file handed over by a view, the API or the CLI: a readable binary stream (seekable,
    e.g. werkzeug's spooled temporary file) and the name the person gave it."""

    stream: BinaryIO
    filename: str


def max_bytes() -> int:
    return int(current_app.config.get("DOCUMENT_MAX_MB") or 25) * 1024 * 1024


def too_large() -> TooLarge:
    return TooLarge(
        "too_large",
        _(
            "The file is larger than %(mb)d MB. Make it smaller (for example, scan at a lower "
            "resolution) or split it.",
            mb=max_bytes() >> 20,
        ),
        {"file": _("At most %(mb)d MB.", mb=max_bytes() >> 20)},
    )


def clean_filename(raw) -> str:
    """The name as people will see it: no folders, no control characters, at most 200
    characters (the extension kept)."""
    name = str(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = stem[: MAX_NAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME]
    return name


def _plugins():
    return current_app.extensions["cergas_plugins"]


def inspect(upload: Upload) -> AttachmentFile:
    """Size, checksum and type of an upload; raises Invalid / TooLarge naming the field `file`."""
    if upload is None or upload.stream is None:
        raise v.invalid({"file": _("Choose a file.")})
    name = clean_filename(upload.filename)
    if not name:
        raise v.invalid({"file": _("Choose a file.")})
    stream = upload.stream
    limit = max_bytes()
    digest = hashlib.sha256()
    size = 0
    try:
        stream.seek(0)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large()
            digest.update(chunk)
        stream.seek(0)
        kind, content_type = filetypes.detect(stream, name)
    except filetypes.NotAllowed as exc:
        raise v.invalid({"file": str(exc)}) from None
    except OSError:
        raise v.invalid({"file": _("The file could not be read. Choose it again.")}) from None
    stream.seek(0)

    def opener():
        stream.seek(0)
        return stream

    return AttachmentFile(name, kind.key, content_type, size, digest.hexdigest(), opener)


def _check_with_plugins(file: AttachmentFile, card: Card, actor: User) -> None:
    vetoes = _plugins().vetoes(
        "cergas_attachment_check", file=file, card=card, actor=actor, board=card.board
    )
    if vetoes:
        raise Vetoed(vetoes)


def _store(file: AttachmentFile) -> str:
    key = new_key()
    try:
        storage().save(key, file.open())
    except StorageError:
        log.exception("document storage failed")
        raise StorageUnavailable(
            "storage_unavailable",
            _("The document store cannot be reached. Nothing was saved; try again later."),
        ) from None
    return key


def _forget(key: str) -> None:
    try:
        storage().delete(key)
    except StorageError:
        log.exception("could not delete the unused stored file %s", key)


def _open_card(actor: User, card_id) -> Card:
    card = visible_card(actor, card_id)
    lock_board(card.board_id)
    db.session.refresh(card)
    require_not_archived(card)  # archived cards are read-only
    return card


def _changed(card: Card) -> None:
    card.version += 1
    card.updated_at = utcnow()


def _ask_plugins(card: Card, change: AttachmentChange, actor: User) -> None:
    db.session.flush()
    vetoes = _plugins().vetoes(
        "cergas_attachment_before_change", card=card, change=change, actor=actor, board=card.board
    )
    if vetoes:
        raise Vetoed(vetoes)


def _change(kind: str, attachment: Attachment, reason: str = "") -> AttachmentChange:
    current = attachment.current
    return AttachmentChange(
        kind,
        attachment.id,
        attachment.name,
        current.number,
        current.sha256,
        current.kind,
        current.size,
        reason,
    )


def _version_row(file: AttachmentFile, key: str, number: int, actor: User) -> AttachmentVersion:
    return AttachmentVersion(
        number=number,
        filename=file.name,
        kind=file.kind,
        content_type=file.content_type,
        size=file.size,
        sha256=file.sha256,
        storage_key=key,
        uploaded_by_id=actor.id,
    )


def add(actor: User, card_id, upload: Upload) -> Attachment:
    """A new document on the card (its version 1)."""
    card = visible_card(actor, card_id)
    require_not_archived(card)  # before the file is stored; again under the lock
    file = inspect(upload)
    _check_with_plugins(file, card, actor)
    key = _store(file)
    try:
        with write_transaction():
            card = _open_card(actor, card_id)
            count = db.session.scalar(
                select(db.func.count(Attachment.id)).where(Attachment.card_id == card.id)
            )
            if count >= MAX_PER_CARD:
                raise v.invalid(
                    {"file": _("A card holds at most %(n)d documents.", n=MAX_PER_CARD)}
                )
            attachment = Attachment(
                card_id=card.id, name=file.name, latest=1, created_by_id=actor.id
            )
            attachment.versions.append(_version_row(file, key, 1, actor))
            db.session.add(attachment)
            card.attachment_count += 1
            _changed(card)
            db.session.flush()
            record(
                "attachment_added",
                actor,
                board_id=card.board_id,
                card_id=card.id,
                attachment_id=attachment.id,
                name=file.name,
                size=file.size,
            )
            _ask_plugins(card, _change("added", attachment), actor)
    except BaseException:
        _forget(key)
        raise
    return attachment


def _find(attachment_id, card_id=None) -> Attachment:
    try:
        attachment_id = v.record_id(attachment_id)
    except v.FieldError:
        raise NotFound("not_found", _("Document not found.")) from None
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or (card_id is not None and attachment.card_id != card_id):
        raise NotFound("not_found", _("Document not found."))
    return attachment


def _visible(actor: User, attachment_id, card_id=None) -> tuple[Card, Attachment]:
    """The document and its card, when `actor` may see the card (else: not found)."""
    attachment = _find(attachment_id, card_id)
    card = visible_card(actor, attachment.card_id)
    if attachment.removed_at is not None and not can_manage_board(actor, card.board):
        raise NotFound("not_found", _("Document not found."))
    return card, attachment


def _open_attachment(actor: User, attachment_id, card_id=None) -> tuple[Card, Attachment]:
    card, attachment = _visible(actor, attachment_id, card_id)
    card = _open_card(actor, card.id)
    db.session.refresh(attachment)
    return card, attachment


def _refuse_removed(attachment: Attachment) -> None:
    if attachment.removed_at is not None:
        raise Conflict("attachment_removed", _("This document was removed; restore it first."))


def add_version(actor: User, attachment_id, upload: Upload, *, card_id=None) -> Attachment:
    """A new version of a document; the earlier ones stay, with who uploaded them and when."""
    card, attachment = _visible(actor, attachment_id, card_id)
    _refuse_removed(attachment)
    file = inspect(upload)
    _check_with_plugins(file, card, actor)
    key = _store(file)
    try:
        with write_transaction():
            card, attachment = _open_attachment(actor, attachment_id, card_id)
            _refuse_removed(attachment)
            if attachment.latest >= MAX_VERSIONS:
                raise v.invalid(
                    {"file": _("A document keeps at most %(n)d versions.", n=MAX_VERSIONS)}
                )
            number = attachment.latest + 1
            attachment.versions.append(_version_row(file, key, number, actor))
            attachment.latest = number
            attachment.name = file.name
            _changed(card)
            db.session.flush()
            record(
                "attachment_version_added",
                actor,
                board_id=card.board_id,
                card_id=card.id,
                attachment_id=attachment.id,
                name=file.name,
                version=number,
                size=file.size,
            )
            _ask_plugins(card, _change("version", attachment), actor)
    except BaseException:
        _forget(key)
        raise
    return attachment


def remove(actor: User, attachment_id, reason=None, *, card_id=None) -> Attachment:
    """Take a document off the card. Its versions and bytes stay (the history names it); those
    who manage the board can still read and restore it."""
    try:
        cleaned_reason = v.text(reason, field_max=MAX_REASON, required=False) if reason else ""
    except v.FieldError as exc:
        raise v.invalid({"reason": str(exc)}) from None
    with write_transaction():
        card, attachment = _open_attachment(actor, attachment_id, card_id)
        if attachment.removed_at is not None:
            raise Conflict("attachment_removed", _("This document was already removed."))
        if attachment.created_by_id != actor.id and not can_manage_board(actor, card.board):
            raise Forbidden(
                "forbidden",
                _(
                    "Only the person who uploaded this document or a head of the board's unit "
                    "may remove it."
                ),
            )
        attachment.removed_at = utcnow()
        attachment.removed_by_id = actor.id
        attachment.removed_reason = cleaned_reason or None
        card.attachment_count = max(card.attachment_count - 1, 0)
        _changed(card)
        record(
            "attachment_removed",
            actor,
            board_id=card.board_id,
            card_id=card.id,
            attachment_id=attachment.id,
            name=attachment.name,
            reason=cleaned_reason or None,
        )
        _ask_plugins(card, _change("removed", attachment, cleaned_reason), actor)
    return attachment


def restore(actor: User, attachment_id, *, card_id=None) -> Attachment:
    """Put a removed document back on the card (for those who manage the board)."""
    with write_transaction():
        card, attachment = _open_attachment(actor, attachment_id, card_id)
        if not can_manage_board(actor, card.board):
            raise Forbidden(
                "forbidden", _("Only a head of the board's unit may restore a document.")
            )
        if attachment.removed_at is None:
            raise Conflict("attachment_not_removed", _("This document is on the card."))
        attachment.removed_at = None
        attachment.removed_by_id = None
        attachment.removed_reason = None
        card.attachment_count += 1
        _changed(card)
        record(
            "attachment_restored",
            actor,
            board_id=card.board_id,
            card_id=card.id,
            attachment_id=attachment.id,
            name=attachment.name,
        )
        _ask_plugins(card, _change("restored", attachment), actor)
    return attachment


# Reading


def _with_versions():
    return (
        selectinload(Attachment.versions).selectinload(AttachmentVersion.uploaded_by),
        selectinload(Attachment.created_by),
        selectinload(Attachment.removed_by),
    )


def attachments_of(
    actor: User, card_id, *, include_removed: bool = False
) -> tuple[Card, list[Attachment]]:
    """The card (if `actor` may see it) and its documents with their versions, newest first.
    Removed documents only with `include_removed`, and only for those who manage the board."""
    card = visible_card(actor, card_id)
    query = select(Attachment).where(Attachment.card_id == card.id).options(*_with_versions())
    if not (include_removed and can_manage_board(actor, card.board)):
        query = query.where(Attachment.removed_at.is_(None))
    query = query.order_by(Attachment.created_at.desc(), Attachment.id.desc())
    return card, list(db.session.scalars(query))


def attachment(actor: User, attachment_id, *, card_id=None) -> tuple[Card, Attachment]:
    """One document (with its versions) and its card, for someone who may see them."""
    return _visible(actor, attachment_id, card_id)


def version_of(attachment: Attachment, number=None) -> AttachmentVersion:
    """The asked version (a number; None: the latest), or not found."""
    if number in (None, ""):
        return attachment.current
    try:
        number = v.record_id(number)
    except v.FieldError:
        raise NotFound("not_found", _("Version not found.")) from None
    for each in attachment.versions:
        if each.number == number:
            return each
    raise NotFound("not_found", _("Version not found."))


def open_version(version: AttachmentVersion) -> BinaryIO:
    """The stored bytes of a version, as a stream (the caller closes it)."""
    try:
        return storage().open(version.storage_key)
    except Missing:
        log.error("document bytes missing: version %s key %s", version.id, version.storage_key)
        raise NotFound(
            "content_missing",
            _(
                "The file of this document is missing from the document store. Tell your "
                "administrator."
            ),
        ) from None
    except StorageError:
        log.exception("document storage failed")
        raise StorageUnavailable(
            "storage_unavailable",
            _("The document store cannot be reached. Try again later."),
        ) from None


def can_remove(actor: User, card: Card, attachment: Attachment) -> bool:
    return attachment.created_by_id == actor.id or can_manage_board(actor, card.board)


def infos_of(card_id: int) -> list[AttachmentInfo]:
    """A card's documents as plugins read them (no permission check: the caller has one)."""
    return infos_by_card([card_id]).get(card_id, [])


def infos_by_card(card_ids) -> dict[int, list[AttachmentInfo]]:
    """card id -> its documents as plugins read them (oldest first; cards without any left
    out), for many cards in two queries (documents, then their versions)."""
    ids = sorted({int(card_id) for card_id in card_ids})
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.card_id.in_(ids), Attachment.removed_at.is_(None))
        .options(selectinload(Attachment.versions))
        .order_by(Attachment.card_id, Attachment.id)
    )
    infos: dict[int, list[AttachmentInfo]] = {}
    for row in rows:
        current = row.current
        infos.setdefault(row.card_id, []).append(
            AttachmentInfo(
                row.id,
                row.name,
                current.number,
                current.sha256,
                current.kind,
                current.content_type,
                current.size,
                current.uploaded_at,
                current.uploaded_by_id,
            )
        )
    return infos
