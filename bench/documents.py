"""Benchmark: memory of a document upload and download, local folder and S3.

    .venv/bin/python bench/documents.py [--sizes 25,50] [--backends local,s3]

For each backend and size it builds an app on in-memory SQLite with the test suite's small
office (tests/conftest.py), writes a PDF of that many MB to a temporary file, and then, with
Python's tracemalloc on, measures in-process with Flask's test client:

- upload: a real multipart POST (the request body streamed from a file, parsed by werkzeug)
  to a small route that hands `request.files["file"].stream` to `attachments.add`, as the card
  page and the API do: size and checksum, type from the content, the bytes to the storage;
- download: a GET answered with `send_file(attachments.open_version(...))`, the response read
  in chunks and checked against the file's checksum.

It prints the peak of Python's traced memory for each (what the request allocated beyond what
the process held before) and the time. S3 runs against moto's S3 server in a child process
(tests/s3_server.py; needs moto[server], from setup.cfg's test extra), so the server's own copy
of each object is not counted. The test suite asserts the same figures
(tests/test_document_memory.py); docs/benchmarks.md has the results.
"""

import argparse
import hashlib
import os
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Blueprint, current_app, request, send_file  # noqa: E402

from app.demo.pdf import simple_pdf  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Attachment, User  # noqa: E402

MB = 1024 * 1024


def write_pdf(path: Path, size: int) -> str:
    """A PDF of exactly `size` bytes at `path` (its start a real PDF, then random bytes, which
    compress to nothing), written in 1 MB pieces; answers its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as target:
        head = simple_pdf(["Lampiran besar"], title="Lampiran")
        target.write(head)
        digest.update(head)
        left = size - len(head)
        while left > 0:
            piece = os.urandom(min(MB, left))
            target.write(piece)
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def memory_routes() -> Blueprint:
    """A bare upload and download of documents, as the card page's routes do them (those are
    built elsewhere); the actor is the app's MEMORY_ACTOR_ID."""
    from app.services import attachments

    routes = Blueprint("memory_bench", __name__)

    def actor() -> User:
        return db.session.get(User, current_app.config["MEMORY_ACTOR_ID"])

    @routes.post("/_memory/cards/<int:card_id>/documents")
    def upload(card_id):
        file = request.files["file"]
        doc = attachments.add(actor(), card_id, attachments.Upload(file.stream, file.filename))
        return {"id": doc.id}, 201

    @routes.get("/_memory/documents/<int:attachment_id>")
    def download(attachment_id):
        _card, doc = attachments.attachment(actor(), attachment_id)
        version = doc.current
        return send_file(
            attachments.open_version(version),
            mimetype=version.content_type,
            download_name=version.filename,
            as_attachment=True,
        )

    return routes


def memory_app(make_app, build_org, database_url: str, **config):
    """An app with the test office, the routes above, and a card of the staff member's:
    (app, card id)."""
    from datetime import date, timedelta

    from app.services import cards

    app = make_app(database_url, **config)
    app.register_blueprint(memory_routes())
    org = build_org(app)
    with app.app_context():
        staff = db.session.get(User, org.users["staff"])
        due = (date.today() + timedelta(7)).isoformat()
        card = cards.create_card(staff, org.board_id, {"title": "Lampiran", "due_date": due})
        app.config["MEMORY_ACTOR_ID"] = staff.id
        return app, card.card.id


class Peak:
    """tracemalloc around a block: `.bytes` the peak above what was traced when it began."""

    def __enter__(self):
        tracemalloc.start()
        self._base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._started
        self.bytes = tracemalloc.get_traced_memory()[1] - self._base
        tracemalloc.stop()


def upload(client, card_id: int, path: Path) -> tuple[Peak, int]:
    """POST the file as a multipart form (the body streamed from disk); (peak, document id)."""
    with path.open("rb") as source, Peak() as peak:
        response = client.post(
            f"/_memory/cards/{card_id}/documents",
            data={"file": (source, "lampiran-besar.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_data(as_text=True)[:500]
        document = response.get_json()["id"]
    return peak, document


def download(client, document: int) -> tuple[Peak, int, str]:
    """GET the document, reading the response in chunks; (peak, bytes, SHA-256)."""
    digest = hashlib.sha256()
    size = 0
    with Peak() as peak:
        response = client.get(f"/_memory/documents/{document}", buffered=False)
        assert response.status_code == 200
        for chunk in response.iter_encoded():
            size += len(chunk)
            digest.update(chunk)
        response.close()
    return peak, size, digest.hexdigest()


def measure(app, card_id: int, size: int, folder: Path) -> dict:
    """Upload and download a `size`-byte PDF through `app`; the peaks, times and a check."""
    path = folder / f"lampiran-{size}.pdf"
    checksum = write_pdf(path, size)
    client = app.test_client()
    up, document = upload(client, card_id, path)
    with app.app_context():
        stored = db.session.get(Attachment, document).current
        assert (stored.size, stored.sha256) == (size, checksum)
    down, got, got_checksum = download(client, document)
    assert (got, got_checksum) == (size, checksum)
    path.unlink()
    return {
        "upload_peak": up.bytes,
        "upload_seconds": up.seconds,
        "download_peak": down.bytes,
        "download_seconds": down.seconds,
    }


def backend_config(kind: str, stack: ExitStack, folder: Path) -> dict | None:
    if kind == "local":
        return {"DOCUMENT_STORAGE": "local", "DOCUMENT_FOLDER": str(folder / "documents")}
    from _pytest.outcomes import Skipped

    from tests.s3_server import running_s3

    servers = running_s3()
    try:
        server = next(servers)
    except Skipped as skipped:
        print(f"s3: skipped ({skipped.msg})")
        return None
    stack.callback(servers.close)
    return server.config(S3_PREFIX="bench")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="25,50", help="file sizes in MB (default 25,50)")
    parser.add_argument("--backends", default="local,s3")
    args = parser.parse_args()
    sizes = [int(each) for each in args.sizes.split(",")]

    from tests.conftest import build_org, make_app

    header = ("backend", "MB", "upload peak", "time", "download peak", "time")
    print("{:8} {:>4} {:>12} {:>7} {:>14} {:>7}".format(*header))
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="cergas-bench-") as scratch:
        folder = Path(scratch)
        for kind in args.backends.split(","):
            config = backend_config(kind, stack, folder)
            if config is None:
                continue
            for size_mb in sizes:
                app, card_id = memory_app(
                    make_app, build_org, "sqlite://", DOCUMENT_MAX_MB=max(sizes) + 1, **config
                )
                result = measure(app, card_id, size_mb * MB, folder)
                print(
                    f"{kind:8} {size_mb:>4} {result['upload_peak'] / MB:>9.2f} MB "
                    f"{result['upload_seconds']:>6.2f}s {result['download_peak'] / MB:>11.2f} MB "
                    f"{result['download_seconds']:>6.2f}s"
                )
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
