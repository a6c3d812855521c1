"""JSON API of the staff-register import: POST a people or units file (multipart/form-data with
the file in `file`, or the file itself as the body with Content-Type text/csv or the XLSX type)
and get the per-row report; `?dry_run=1` writes nothing. app/services/imports.py does the work."""

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api import import_models as m
from app.api.auth import caller
from app.api.contract import QueryParam, Upload, operation
from app.services import import_files, imports
from app.services.errors import Invalid, ServiceError

# A multipart body carries the file plus its envelope.
MAX_REQUEST_BYTES = import_files.MAX_BYTES + 64 * 1024
RAW_TYPES = ("text/csv", import_files.XLSX_TYPE)
UPLOAD = Upload(
    "file",
    RAW_TYPES,
    _l("A CSV (UTF-8, comma or semicolon) or XLSX file of at most 5 MB and 20,000 rows."),
)
FLAG = {"type": "string", "enum": ["0", "1", "true", "false"]}
QUERY = (
    QueryParam("dry_run", FLAG, _l("1: answer what the import would do, change nothing.")),
    QueryParam("all_or_nothing", FLAG, _l("1: apply nothing when any row is refused (409).")),
    QueryParam(
        "signature",
        {"type": "string", "maxLength": 64},
        _l("The signature of a dry run: apply only if the plan is still that one (else 409)."),
    ),
)


def _flag(name: str) -> bool:
    value = request.args.get(name, "")
    if value in ("", "0", "false"):
        return False
    if value in ("1", "true"):
        return True
    raise Invalid(
        "validation_error", _("Some fields are not valid."), fields={name: _("Use 1 or 0.")}
    )


def uploaded_file() -> tuple[bytes, str]:
    """The file of the request and its name (empty for a raw body)."""
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        abort(413)
    request.max_content_length = MAX_REQUEST_BYTES
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid(
                "validation_error",
                _("Some fields are not valid."),
                fields={"file": _("Send the file in the form field `file`.")},
            )
        return upload.read(import_files.MAX_BYTES + 1), (upload.filename or "")[:200]
    if request.mimetype in RAW_TYPES:
        return request.stream.read(import_files.MAX_BYTES + 1), ""
    raise ServiceError(
        "bad_request",
        _(
            "Send the file as multipart/form-data (field `file`) or as the body with "
            "Content-Type text/csv or %(xlsx)s.",
            xlsx=import_files.XLSX_TYPE,
        ),
        status=400,
    )


def _import(kind: str):
    dry_run, all_or_nothing = _flag("dry_run"), _flag("all_or_nothing")
    signature = request.args.get("signature") or None
    imports.require_importer(caller(), kind)
    data, filename = uploaded_file()
    table = import_files.read(data, kind)
    plan, apply = {
        "people": (imports.plan_people, imports.apply_people),
        "units": (imports.plan_units, imports.apply_units),
    }[kind]
    if dry_run:
        report = plan(caller(), table, filename)
    else:
        report = apply(
            caller(), table, filename, signature=signature, all_or_nothing=all_or_nothing
        )
    return jsonify(report.to_json())


@bp.post("/import/people")
@operation(
    _l("Import people from a staff-register file"),
    description=_l(
        "Columns NIP (or username), nama, kode unit, and optionally jabatan, email, telepon, "
        "peran, admin (docs/import.md). Rows are matched by NIP, else username: the same file "
        "again changes nothing. Refused rows are skipped unless all_or_nothing=1. "
        "Administrators, and heads for the units they head."
    ),
    upload=UPLOAD,
    query=QUERY,
    responses={200: m.ImportReport},
    errors=(403, 409),
    tags=("import",),
)
def import_people():
    return _import("people")


@bp.post("/import/units")
@operation(
    _l("Import units from a file"),
    description=_l(
        "Columns kode, nama and optionally induk (the parent's code; a parent may come later "
        "in the file). Matched by code. Administrators only."
    ),
    upload=UPLOAD,
    query=QUERY,
    responses={200: m.ImportReport},
    errors=(403, 409),
    tags=("import",),
)
def import_units():
    return _import("units")
