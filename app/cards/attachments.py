"""The documents section of the card page: upload, new versions, download and preview, soft
removal and restore.

Every form works without JavaScript (a plain multipart POST, then back to the card page; a
refusal re-renders the page with the message next to the file field and the refusal's status).
With htmx the section alone comes back and replaces itself, together with the card form's
`version` (every document change bumps the card's version).

An upload larger than `DOCUMENT_MAX_MB` is refused with 413 from its Content-Length, before the
body is read; a body that turns out larger anyway (no or a false Content-Length) stops at the
limit. That is why the upload views check the CSRF token themselves, after the size: the
app-wide check would read the whole form first.

Downloads stream from the storage backend in chunks, as an attachment, under a sandboxing
Content-Security-Policy; only PDF and images may be shown in the browser (`view`).
"""

from babel.numbers import format_decimal
from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from app.cards import bp
from app.cards.views import card_page, plugin_panels
from app.extensions import csrf, htmx
from app.models import Attachment, Card, User
from app.services import access, attachments, filetypes
from app.services import validation as v
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, Vetoed
from app.views_common import actor, files_within

REFUSALS = (
    Invalid,
    Conflict,
    Forbidden,
    NotFound,
    attachments.TooLarge,
    attachments.StorageUnavailable,
)
# Room for the multipart framing around the file (boundaries, part headers, the CSRF field).
FORM_SLACK = 64 * 1024
# A downloaded file is never run as a page of this site: no script, no style, no frame, no form.
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
# A PDF or an image shown in the browser: still sandboxed (no script of the file runs with the
# site's origin), but the browser's own viewer may show the file.
VIEW_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; object-src 'self'; "
    "style-src 'unsafe-inline'; frame-ancestors 'none'"
)


def fmt_size(size: int) -> str:
    """A file size as people read it: "820 KB", "1,4 MB" (the reader's decimal mark)."""
    locale = str(get_locale() or "id")
    if size < 1024 * 1024:
        return _("%(n)s KB", n=format_decimal(max(1, round(size / 1024)), locale=locale))
    return _("%(n)s MB", n=format_decimal(round(size / (1024 * 1024), 1), locale=locale))


def accepted_extensions() -> str:
    """The file input's `accept`: every extension the allow-list takes."""
    return ",".join(
        f".{extension}" for kind in filetypes.KINDS.values() for extension in kind.extensions
    )


def kind_label(key: str) -> str:
    kind = filetypes.KINDS.get(key)
    return str(kind.label) if kind else key


def previewable(key: str) -> bool:
    kind = filetypes.KINDS.get(key)
    return bool(kind and kind.preview)


def documents_context(user: User, card: Card, documents: list[Attachment], **extra) -> dict:
    """What templates/cards/_attachments.html needs (the card page passes the same)."""
    manager = access.can_manage_board(user, card.board)
    shown = [doc for doc in documents if doc.removed_at is None]
    return {
        "documents": shown,
        "removed_documents": [doc for doc in documents if doc.removed_at is not None]
        if manager
        else [],
        "documents_removable": {doc.id for doc in shown if attachments.can_remove(user, card, doc)},
        "documents_max_mb": attachments.max_bytes() >> 20,
        "documents_accept": accepted_extensions(),
        "documents_too_large": attachments.too_large().message,
        "documents_errors": extra.get("errors") or {},
        "documents_values": extra.get("values") or {},
        "documents_alert": extra.get("alert"),
        "documents_notice": extra.get("notice"),
        "documents_oob": extra.get("oob", False),
        "document_size": fmt_size,
        "document_kind": kind_label,
        "document_previewable": previewable,
    }


def answer(card_id, *, notice=None, status=200, **refusal):
    """The section alone for htmx, else back to the card page (a refusal re-renders it)."""
    user = actor()
    if htmx:
        card, documents = attachments.attachments_of(user, card_id, include_removed=True)
        context = documents_context(user, card, documents, notice=notice, oob=True, **refusal)
        section = render_template(
            "cards/_attachments.html", card=card, timezone=card.board.unit.timezone, **context
        )
        if status < 400:
            # A plugin's panel may read the documents (the paraf a new version voids).
            panels = plugin_panels(card, card.board)
            section += render_template("cards/_plugin_panels.html", panels=panels, panels_oob=True)
        return section, status
    if status >= 400:
        return card_page(user, card_id, status=status, documents_refusal=refusal)
    if notice:
        flash(notice, "success")
    return redirect(url_for("cards.card", card_id=card_id, _anchor="documents"))


def refused(card_id, exc: ServiceError, key, values=None, *, field=None):
    """A refusal, shown in form `key` ("new" or a document's id): field errors next to their
    fields; a refusal of the whole upload (too large, a plugin's veto, a removed document) next
    to the file field (`field`); any other in the section's alert."""
    if exc.fields and not isinstance(exc, attachments.TooLarge):
        errors, alert = {key: exc.fields}, None
    elif field and isinstance(exc, (attachments.TooLarge, attachments.StorageUnavailable, Vetoed)):
        # The whole message (how to make the file smaller, which plugin refused) by the field.
        errors, alert = {key: {field: exc.message}}, None
    else:
        errors, alert = {}, exc.message
    return answer(
        card_id, status=exc.status, errors=errors, values={key: values or {}}, alert=alert
    )


def received_upload() -> attachments.Upload:
    """The request's file, refused with 413 from the Content-Length before the body is read
    (and stopped at the limit when the length was not told); then the CSRF token is checked."""

    def check_csrf():
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()

    files = files_within(attachments.max_bytes() + FORM_SLACK, attachments.too_large, check_csrf)
    file = files.get("file")
    if file is None or not file.filename:
        raise v.invalid({"file": _("Choose a file.")})
    return attachments.Upload(file.stream, file.filename)


@bp.post("/<id:card_id>/documents")
@login_required
@csrf.exempt
def upload_attachment(card_id):
    try:
        upload = received_upload()
        document = attachments.add(actor(), card_id, upload)
    except REFUSALS as exc:
        return refused(card_id, exc, "new", field="file")
    return answer(card_id, notice=_("Document “%(name)s” uploaded.", name=document.name))


@bp.post("/<id:card_id>/documents/<id:attachment_id>/versions")
@login_required
@csrf.exempt
def upload_attachment_version(card_id, attachment_id):
    try:
        upload = received_upload()
        document = attachments.add_version(actor(), attachment_id, upload, card_id=card_id)
    except REFUSALS as exc:
        return refused(card_id, exc, attachment_id, field="file")
    return answer(
        card_id,
        notice=_("Version %(n)d of “%(name)s” uploaded.", n=document.latest, name=document.name),
    )


@bp.post("/<id:card_id>/documents/<id:attachment_id>/remove")
@login_required
def remove_attachment(card_id, attachment_id):
    reason = request.form.get("reason", "")
    try:
        document = attachments.remove(actor(), attachment_id, reason, card_id=card_id)
    except REFUSALS as exc:
        return refused(card_id, exc, attachment_id, {"reason": reason})
    return answer(card_id, notice=_("Document “%(name)s” removed.", name=document.name))


@bp.post("/<id:card_id>/documents/<id:attachment_id>/restore")
@login_required
def restore_attachment(card_id, attachment_id):
    try:
        document = attachments.restore(actor(), attachment_id, card_id=card_id)
    except REFUSALS as exc:
        return refused(card_id, exc, attachment_id)
    return answer(card_id, notice=_("Document “%(name)s” restored.", name=document.name))


# --- reading ---------------------------------------------------------------------------------


def serve(card_id, attachment_id, *, inline: bool):
    """A version's bytes, streamed from the storage (never read whole)."""
    _card, document = attachments.attachment(actor(), attachment_id, card_id=card_id)
    version = attachments.version_of(document, request.args.get("version"))
    if inline and not previewable(version.kind):
        raise NotFound("not_found", _("This kind of document cannot be shown in the browser."))
    stream = attachments.open_version(version)
    response = send_file(
        stream,
        mimetype=version.content_type,
        as_attachment=not inline,
        download_name=version.filename,
        conditional=False,
        etag=False,
        max_age=None,
    )
    response.content_length = version.size
    response.headers["Content-Security-Policy"] = VIEW_CSP if inline else DOWNLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Only the person's own browser may keep it, and not on disk (a shared office computer).
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<id:card_id>/documents/<id:attachment_id>")
@login_required
def download_attachment(card_id, attachment_id):
    return serve(card_id, attachment_id, inline=False)


@bp.get("/<id:card_id>/documents/<id:attachment_id>/view")
@login_required
def view_attachment(card_id, attachment_id):
    return serve(card_id, attachment_id, inline=True)
