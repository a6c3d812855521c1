"""The import page: upload a staff-register file, see the dry run row by row, apply it.

Between the two steps the uploaded file waits in the instance folder (`instance/imports/`)
under a random name, with a note of who uploaded it, its kind, its SHA-256 and the dry run's
signature; applying reads it back, checks all four and applies only the plan that was shown
(app/services/imports.py). Nothing in the file is run; files older than a day are removed.
"""

import contextlib
import hashlib
import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.admin import bp
from app.models import User
from app.services import import_files, imports
from app.services.errors import Conflict, Forbidden, Invalid

KINDS = ("people", "units")
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
KEEP_SECONDS = 24 * 3600
# The file plus the form around it.
MAX_REQUEST_BYTES = import_files.MAX_BYTES + 64 * 1024
# What the example files hold (examples/import/ has the same; a test keeps them equal):
# semicolons, as Excel with Indonesian settings reads and writes CSV.
EXAMPLES = {
    "contoh-pegawai.csv": (
        "NIP;Nama;Jabatan;Kode Unit;Email;No HP;Peran;Username\r\n"
        "197804122005011003;Ir. Bambang Sutrisno, M.T.;Kepala Bidang Aplikasi Informatika;"
        "BID-APTIKA;bambang.sutrisno@kominfo.example.go.id;0812-3456-7001;kepala;\r\n"
        "199103152019032012;Rina Marlina, S.Kom.;Pranata Komputer Ahli Pertama;"
        "SEKSI-LAYANAN;rina.marlina@kominfo.example.go.id;0813 2222 3344;anggota;\r\n"
        ";Dodi Firmansyah;Tenaga Pendukung TIK (PPNPN);SEKSI-LAYANAN;;0857-1111-2222;"
        "staf;dodi.firmansyah\r\n"
    ),
    "contoh-unit.csv": (
        "Kode;Nama;Induk\r\n"
        "DISKOMINFO;Dinas Komunikasi dan Informatika;\r\n"
        "SEKSI-LAYANAN;Seksi Layanan E-Government;BID-APTIKA\r\n"
        "BID-APTIKA;Bidang Aplikasi Informatika;DISKOMINFO\r\n"
    ),
}


def actor() -> User:
    return current_user._get_current_object()


def _kinds_for(user: User) -> list[str]:
    if user.is_admin:
        return list(KINDS)
    return ["people"] if imports.may_import_people(user) else []


def _require_importer() -> list[str]:
    kinds = _kinds_for(actor())
    if not kinds:
        raise Forbidden(
            "forbidden", _("Only an administrator or a head may import from the staff register.")
        )
    return kinds


def _folder() -> Path:
    """Where uploads wait: CERGAS_IMPORT_FOLDER, else instance/imports/ (owner-only)."""
    configured = current_app.config.get("CERGAS_IMPORT_FOLDER")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Remove uploads nobody applied within a day."""
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def _keep(data: bytes, kind: str, filename: str, signature: str) -> str:
    folder = _folder()
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    note = {
        "kind": kind,
        "filename": filename,
        "user": actor().id,
        "sha256": hashlib.sha256(data).hexdigest(),
        "signature": signature,
    }
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for name, content in ((f"{token}.upload", data), (f"{token}.json", json.dumps(note).encode())):
        fd = os.open(folder / name, flags, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
    return token


def _kept(token: str) -> tuple[bytes, dict]:
    """The upload `token` names, checked: the same person, the file unchanged since."""
    expired = Invalid(
        "import_expired",
        _(
            "This upload is no longer available (applied already, or older than a day). "
            "Upload the file again."
        ),
    )
    if not TOKEN.fullmatch(token or ""):
        raise expired
    folder = _folder()
    try:
        note = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.upload").read_bytes()
    except (OSError, ValueError):
        raise expired from None
    if note.get("user") != actor().id or hashlib.sha256(data).hexdigest() != note.get("sha256"):
        raise expired
    return data, note


def _forget(token: str) -> None:
    for suffix in (".upload", ".json"):
        with contextlib.suppress(OSError):
            (_folder() / f"{token}{suffix}").unlink()


def _page(kinds, *, kind="people", report=None, token=None, errors=None, status=200):
    return (
        render_template(
            "admin/import.html",
            kinds=kinds,
            kind=kind,
            report=report,
            token=token,
            errors=errors or {},
            labels=import_files.column_labels(),
            columns=import_files.COLUMNS,
            examples=list(EXAMPLES),
            max_mb=import_files.MAX_BYTES >> 20,
            max_rows=import_files.MAX_ROWS,
            shown=shown,
            headings=import_files.HEADINGS["people"],
            unit_headings=import_files.HEADINGS["units"],
            unit_names=imports.unit_names() if report is not None else {},
            known_units=imports.importable_units(actor()),
        ),
        status,
    )


def shown(value) -> str:
    """A value of the report as a person reads it."""
    if value is None or value == "":
        return _("(empty)")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value in ("member", "head"):
        return _("member") if value == "member" else _("head of the unit")
    return str(value)


def _chosen_kind(kinds) -> str:
    kind = request.values.get("kind", "people")
    return kind if kind in kinds else kinds[0]


@bp.get("/import")
@login_required
def import_page():
    kinds = _require_importer()
    return _page(kinds, kind=_chosen_kind(kinds))


@bp.post("/import")
@login_required
def import_check():
    kinds = _require_importer()
    kind = _chosen_kind(kinds)
    too_large = _(
        "The file is larger than %(mb)d MB; split it into several files.",
        mb=import_files.MAX_BYTES >> 20,
    )
    if (request.content_length or 0) > MAX_REQUEST_BYTES:
        return _page(kinds, kind=kind, errors={"file": too_large}, status=422)
    request.max_content_length = MAX_REQUEST_BYTES
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _page(kinds, kind=kind, errors={"file": too_large}, status=422)
    if upload is None or not upload.filename:
        return _page(kinds, kind=kind, errors={"file": _("Choose a file.")}, status=422)
    data = upload.read(import_files.MAX_BYTES + 1)
    filename = Path(upload.filename).name[:200]
    plan = imports.plan_people if kind == "people" else imports.plan_units
    try:
        report = plan(actor(), import_files.read(data, kind), filename)
    except Invalid as exc:
        return _page(kinds, kind=kind, errors={"file": exc.message}, status=422)
    token = _keep(data, kind, filename, report.signature)
    return _page(kinds, kind=kind, report=report, token=token)


@bp.post("/import/apply")
@login_required
def import_apply():
    kinds = _require_importer()
    token = request.form.get("token", "")
    try:
        data, note = _kept(token)
    except Invalid as exc:
        # Applied already (a second click, the page reloaded) or gone: back to the upload form.
        flash(exc.message, "warning")
        return redirect(url_for("admin.import_page"))
    kind = note["kind"] if note.get("kind") in kinds else kinds[0]
    apply = imports.apply_people if kind == "people" else imports.apply_units
    table = import_files.read(data, kind)
    try:
        report = apply(
            actor(),
            table,
            note.get("filename", ""),
            signature=note.get("signature"),
            all_or_nothing=request.form.get("all_or_nothing") == "1",
        )
    except Conflict as exc:
        plan = imports.plan_people if kind == "people" else imports.plan_units
        report = plan(actor(), table, note.get("filename", ""))
        _forget(token)
        token = _keep(data, kind, note.get("filename", ""), report.signature)
        return _page(
            kinds, kind=kind, report=report, token=token, errors={"apply": exc.message}, status=409
        )
    _forget(token)
    return _page(kinds, kind=kind, report=report)


@bp.get("/import/examples/<string(maxlength=40):name>")
@login_required
def import_example(name):
    _require_importer()
    if name not in EXAMPLES:
        abort(404)
    body = "\ufeff" + EXAMPLES[name]
    return current_app.response_class(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
