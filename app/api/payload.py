"""Reading JSON request bodies: parse strictly, then check field names and JSON types.

The services validate values (lengths, ranges, dates, known columns and people). This module
only makes sure the body is a JSON object whose fields are known and of the right JSON type,
so that e.g. `true` is never taken for a number nor `5` for a title.
"""

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


# Type checks: each returns an error message, or None when the value has the right JSON type.


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text(value):
    return None if isinstance(value, str) else _("Must be text.")


def optional_text(value):
    return None if value is None else text(value)


def integer(value):
    return None if _is_int(value) else _("Must be a whole number.")


def optional_integer(value):
    return None if value is None else integer(value)


def optional_number(value):
    if value is None or _is_int(value) or isinstance(value, float):
        return None
    return _("Must be a number.")


def text_list(value):
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return None
    return _("Must be a list of text values.")


def check(body: dict, spec: dict, *, required=(), prefix: str = "") -> dict:
    """Field errors for `body` under `spec` (field name -> type check); {} when all is well."""
    errors = {}
    for name, value in body.items():
        checker = spec.get(name)
        if checker is None:
            errors[prefix + name] = _("Unknown field.")
            continue
        message = checker(value)
        if message:
            errors[prefix + name] = message
    for name in required:
        if name not in body:
            errors[prefix + name] = _("This field is required.")
    return errors


def checked(body: dict, spec: dict, *, required=()) -> dict:
    """`body` itself when its fields pass `check`; else a 422 `validation_error`."""
    raise_if_any(check(body, spec, required=required))
    return body


def raise_if_any(errors: dict) -> None:
    if errors:
        raise Invalid("validation_error", _("Some fields are not valid."), fields=errors)
