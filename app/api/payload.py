"""Reading JSON request bodies strictly: JSON only, at most 1 MiB, an object, no NUL characters
or invalid Unicode. Field names and JSON types are then checked by the pydantic model a view
declares (`app.api.contract`); values by the services."""

import json

from flask import abort, request
from flask_babel import gettext as _

from app.services.errors import Invalid, ServiceError
from app.services.validation import has_unstorable_text

MAX_BODY_BYTES = 1024 * 1024


def _bad_request(message: str) -> ServiceError:
    return ServiceError("bad_request", message, status=400)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict:
    """The request body as a dict, or a 400 `bad_request` ServiceError."""
    if not request.is_json:
        raise _bad_request(_("Send the body as JSON with Content-Type: application/json."))
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        abort(413)
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        abort(413)
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise _bad_request(_("The body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise _bad_request(_("The body must be a JSON object."))
    if has_unstorable_text(body):
        raise _bad_request(_("Text may not contain NUL characters or invalid Unicode."))
    return body


def raise_if_any(errors: dict) -> None:
    if errors:
        raise Invalid("validation_error", _("Some fields are not valid."), fields=errors)
