"""JSON API for the documents on a card (app/services/attachments.py does the work and checks who
may do what). Whoever may see the card lists, reads and uploads its documents and their new
versions; the uploader and those who manage the board remove one (softly, with an optional
reason); those who manage the board see removed documents and restore them. Outsiders get 404
for the card and its documents alike, bytes included.

Uploads are multipart/form-data with the file in the field `file`; a request larger than the
limit (`DOCUMENT_MAX_MB`) is refused with 413 `too_large` before its body is read. Content is
streamed from the document store in chunks, as a download (`application/octet-stream`; the
document's `content_type` says what it is), never as a page the browser would render.
"""

import unicodedata
from urllib.parse import quote

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    ApiResponse,
    Download,
    QueryParam,
    Upload,
    operation,
    or_empty,
)
from app.api.serializers import login, timestamp
from app.models import Attachment, AttachmentVersion
from app.services import attachments
from app.services import validation as v
from app.services.access import can_manage_board, visible_card
from app.services.errors import ServiceError
from app.storage import CHUNK
from app.views_common import files_within

TAGS = ("documents",)
# A multipart body carries the file plus its envelope (boundaries, part headers).
ENVELOPE_BYTES = 64 * 1024
UPLOAD = Upload(
    "file",
    (),
    _l(
        "The file, in the multipart/form-data field `file` (its name there is the document's "
        "name). PDF, office documents, images (PNG, JPEG, GIF, WebP), plain text or zip, "
        "decided from the content; at most the configured limit (25 MB by default)."
    ),
)
FLAG = {"type": "string", "enum": ["", "0", "1", "true", "false"]}
INCLUDE_REMOVED = QueryParam(
    "include_removed",
    FLAG,
    _l("true: also the removed documents (for those who manage the board; ignored for others)."),
)
VERSION = QueryParam(
    "version",
    or_empty({"type": "integer", "minimum": 1, "maximum": v.MAX_ID}),
    _l("The version's number; none: the latest."),
)
REASON = QueryParam(
    "reason",
    {"type": "string", "maxLength": attachments.MAX_REASON},
    _l("Why it is removed (optional, at most 500 characters); kept in the card's history."),
)
CONTENT = Download(
    "application/octet-stream",
    _l(
        "The bytes of the version, streamed. The document's `content_type` says what they are; "
        "the name is in Content-Disposition."
    ),
    headers=(
        ("Content-Disposition", _l("attachment, with the version's file name (RFC 5987).")),
        ("ETag", _l("The SHA-256 of the content, in quotes.")),
    ),
)


# Responses


class Links(ApiResponse):
    content: str = Field(description="Where its bytes are (GET, the same token).")


class VersionOut(ApiResponse):
    number: int
    filename: str = Field(description="The file's name when this version was uploaded.")
    kind: str = Field(description="What the content is: pdf, docx, xlsx, png, text, zip...")
    content_type: str
    size: int = Field(description="In bytes.")
    sha256: str
    uploaded_at: str | None = Field(json_schema_extra={"format": "date-time"})
    uploaded_by: str | None = Field(description="NIP or username.")
    links: Links


class AttachmentOut(ApiResponse):
    id: int
    card_id: int
    name: str = Field(description="The file name of the latest version.")
    kind: str = Field(description="The latest version's kind.")
    content_type: str
    size: int = Field(description="The latest version's size in bytes.")
    sha256: str
    version: int = Field(description="The latest version's number.")
    created_at: str | None = Field(json_schema_extra={"format": "date-time"})
    created_by: str | None = Field(description="NIP or username.")
    removed_at: str | None = Field(json_schema_extra={"format": "date-time"})
    removed_by: str | None
    removed_reason: str | None
    versions: list[VersionOut] = Field(description="Every version, oldest first.")
    links: Links


class AttachmentList(ApiResponse):
    card_id: int
    include_removed: bool = Field(description="Whether removed documents are in the list.")
    attachments: list[AttachmentOut] = Field(description="Newest first.")


def version_json(attachment: Attachment, version: AttachmentVersion) -> dict:
    return {
        "number": version.number,
        "filename": version.filename,
        "kind": version.kind,
        "content_type": version.content_type,
        "size": version.size,
        "sha256": version.sha256,
        "uploaded_at": timestamp(version.uploaded_at),
        "uploaded_by": login(version.uploaded_by),
        "links": {
            "content": url_for(
                "api.attachment_content", attachment_id=attachment.id, version=version.number
            )
        },
    }


def attachment_json(attachment: Attachment) -> dict:
    current = attachment.current
    return {
        "id": attachment.id,
        "card_id": attachment.card_id,
        "name": attachment.name,
        "kind": current.kind,
        "content_type": current.content_type,
        "size": current.size,
        "sha256": current.sha256,
        "version": attachment.latest,
        "created_at": timestamp(attachment.created_at),
        "created_by": login(attachment.created_by),
        "removed_at": timestamp(attachment.removed_at),
        "removed_by": login(attachment.removed_by),
        "removed_reason": attachment.removed_reason,
        "versions": [version_json(attachment, each) for each in attachment.versions],
        "links": {"content": url_for("api.attachment_content", attachment_id=attachment.id)},
    }


# Reading the request


def _flag(name: str) -> bool:
    value = request.args.get(name, "")
    if value in ("", "0", "false"):
        return False
    if value in ("1", "true"):
        return True
    raise v.invalid({name: _("Use true or false.")})


def _version_number() -> int | None:
    value = request.args.get("version", "")
    if value == "":
        return None
    try:
        return v.record_id(value)
    except v.FieldError:
        raise v.invalid({"version": _("Must be a whole number.")}) from None


def uploaded() -> attachments.Upload:
    """The file of a multipart request. A request over the limit is refused before its body
    is read (413), whether it says its length or not."""
    limit = attachments.max_bytes() + ENVELOPE_BYTES
    # Too large is said first, whatever the body is (files_within checks the same again).
    if request.content_length is not None and request.content_length > limit:
        raise attachments.too_large()
    if request.mimetype != "multipart/form-data":
        raise ServiceError(
            "bad_request",
            _("Send the file as multipart/form-data, in the field `file`."),
            status=400,
        )
    file = files_within(limit, attachments.too_large).get("file")
    if file is None:
        raise v.invalid({"file": _("Send the file in the form field `file`.")})
    return attachments.Upload(file.stream, file.filename or "")


def _created(attachment: Attachment, location: str):
    response = jsonify(attachment_json(attachment))
    response.status_code = 201
    response.headers["Location"] = location
    return response


def content_disposition(filename: str) -> str:
    """`attachment` with the name for every client: an ASCII fallback and the exact name in
    RFC 5987 form."""
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    simple = "".join(ch for ch in simple if ch.isprintable() and ch not in '"\\') or "dokumen"
    return f"attachment; filename=\"{simple}\"; filename*=UTF-8''{quote(filename, safe='')}"


def stream_version(version: AttachmentVersion) -> Response:
    """The version's bytes as a download, read from the store in chunks."""
    stream = attachments.open_version(version)

    def chunks():
        try:
            while chunk := stream.read(CHUNK):
                yield chunk
        finally:
            stream.close()

    response = Response(chunks(), mimetype="application/octet-stream", direct_passthrough=True)
    response.call_on_close(stream.close)
    response.content_length = version.size
    response.headers["Content-Disposition"] = content_disposition(version.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    # Cached copies are checked again every time (the card may no longer be visible).
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(version.sha256)
    return response.make_conditional(request)


# Endpoints


@bp.get("/cards/<id:card_id>/attachments")
@operation(
    _l("A card's documents"),
    description=_l(
        "Each with all its versions, newest document first. Removed documents only with "
        "include_removed=true, for those who manage the board."
    ),
    query=(INCLUDE_REMOVED,),
    responses={200: AttachmentList},
    tags=TAGS,
)
def list_attachments(card_id: int):
    include_removed = _flag("include_removed")
    card, rows = attachments.attachments_of(caller(), card_id, include_removed=include_removed)
    return jsonify(
        {
            "card_id": card.id,
            "include_removed": include_removed and can_manage_board(caller(), card.board),
            "attachments": [attachment_json(row) for row in rows],
        }
    )


@bp.post("/cards/<id:card_id>/attachments")
@operation(
    _l("Upload a document to a card"),
    description=_l(
        "multipart/form-data with the file in `file`. Its type is decided from the content "
        "(a program named .pdf is refused: 422 on `file`); larger than the limit: 413 "
        "`too_large`; a plugin's refusal: 409 `vetoed`. Answers the new document (version 1), "
        "its URL in Location."
    ),
    upload=UPLOAD,
    responses={201: AttachmentOut},
    errors=(409, 503),
    tags=TAGS,
)
def upload_attachment(card_id: int):
    visible_card(caller(), card_id)  # outsiders: 404 before the body is looked at
    attachment = attachments.add(caller(), card_id, uploaded())
    return _created(attachment, url_for("api.get_attachment", attachment_id=attachment.id))


@bp.get("/attachments/<id:attachment_id>")
@operation(
    _l("A document with all its versions"),
    description=_l("A removed document only for those who manage the board (others: 404)."),
    responses={200: AttachmentOut},
    tags=TAGS,
)
def get_attachment(attachment_id: int):
    _card, attachment = attachments.attachment(caller(), attachment_id)
    return jsonify(attachment_json(attachment))


@bp.get("/attachments/<id:attachment_id>/content")
@operation(
    _l("A document's content"),
    description=_l(
        "The latest version's bytes, or an older one's with version=N, as a download "
        "(Content-Disposition: attachment). ETag is the SHA-256: If-None-Match answers 304. "
        "Outsiders, and members for a removed document, get 404."
    ),
    query=(VERSION,),
    responses={200: CONTENT},
    errors=(503,),
    tags=TAGS,
)
def attachment_content(attachment_id: int):
    number = _version_number()
    _card, attachment = attachments.attachment(caller(), attachment_id)
    return stream_version(attachments.version_of(attachment, number))


@bp.post("/attachments/<id:attachment_id>/versions")
@operation(
    _l("Upload a new version of a document"),
    description=_l(
        "multipart/form-data with the file in `file`; the earlier versions stay. A removed "
        "document takes no new version (409 `attachment_removed`). Answers the document, the "
        "new version's content URL in Location."
    ),
    upload=UPLOAD,
    responses={201: AttachmentOut},
    errors=(409, 503),
    tags=TAGS,
)
def upload_attachment_version(attachment_id: int):
    attachments.attachment(caller(), attachment_id)  # 404 before the body is looked at
    attachment = attachments.add_version(caller(), attachment_id, uploaded())
    location = url_for(
        "api.attachment_content", attachment_id=attachment.id, version=attachment.latest
    )
    return _created(attachment, location)


@bp.delete("/attachments/<id:attachment_id>")
@operation(
    _l("Remove a document from its card"),
    description=_l(
        "For the person who uploaded it and those who manage the board (others: 403). The "
        "removal is soft: versions and bytes stay, those who manage the board can restore it. "
        "The reason, if any, goes in the query string (?reason=...). Answers the document."
    ),
    query=(REASON,),
    responses={200: AttachmentOut},
    errors=(403, 409),
    tags=TAGS,
)
def delete_attachment(attachment_id: int):
    attachment = attachments.remove(caller(), attachment_id, request.args.get("reason"))
    return jsonify(attachment_json(attachment))


@bp.post("/attachments/<id:attachment_id>/restore")
@operation(
    _l("Restore a removed document"),
    description=_l(
        "For those who manage the board (heads of its unit and above, admins). A document "
        "that is on the card: 409 `attachment_not_removed`. Answers the document."
    ),
    responses={200: AttachmentOut},
    errors=(403, 409),
    tags=TAGS,
)
def restore_attachment(attachment_id: int):
    attachment = attachments.restore(caller(), attachment_id)
    return jsonify(attachment_json(attachment))
