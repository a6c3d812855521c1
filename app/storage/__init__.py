"""Where the bytes of documents live: a local folder (one machine) or S3-compatible object
storage (several app servers behind a load balancer), chosen by `CERGAS_DOCUMENT_STORAGE`.

A backend stores a file under a key the core makes up (random, never the file's name), hands it
back as a readable stream, and deletes it. Everything goes through streams in chunks: a 25 MB
upload or download never sits whole in memory (docs/benchmarks.md has the measurement).
"""

import re
import secrets
from typing import BinaryIO, Protocol

from flask import current_app

# The size of one read or write; also the part size below which nothing is kept in memory.
CHUNK = 64 * 1024


class Storage(Protocol):
    """What a storage backend does. `key`s are the core's: ASCII, `/`-separated, no `..`."""

    label: str

    def save(self, key: str, source: BinaryIO) -> None:
        """Store what `source` holds from its current position to its end under `key`."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a readable stream (the caller closes it). A missing key raises
        `Missing`."""

    def delete(self, key: str) -> None:
        """Forget `key`; a missing key is no error."""

    def exists(self, key: str) -> bool: ...


class Missing(LookupError):
    """The storage has nothing under this key."""


class StorageError(RuntimeError):
    """The storage could not be reached or refused the operation; the message says what, for
    the administrator's log (never shown to a user with its details)."""


# What a key may be: `/`-separated names of letters, digits, `.`, `_` and `-` (no `.` or `..`
# name, no empty one): the same object name on every backend, and never a path out of the folder.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


def check_key(key: str) -> str:
    """`key` when it is one the core makes; ValueError for anything else ("", "../x", "/x")."""
    if not isinstance(key, str) or len(key) > 500 or not _KEY.fullmatch(key):
        raise ValueError(f"bad storage key {key!r}")
    return key


def new_key() -> str:
    """A fresh random key, spread over 256 × 256 folders so no folder grows too large."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}"


def storage() -> Storage:
    """The app's storage backend, made once per app."""
    extensions = current_app.extensions
    backend = extensions.get("cergas.storage")
    if backend is None:
        backend = extensions["cergas.storage"] = build(current_app.config)
    return backend


def init_app(app) -> None:
    """Check the storage settings when the app starts: a wrong one stops it with a message for
    the administrator, rather than failing the first upload. Nothing is contacted yet."""
    app.extensions["cergas.storage"] = build(app.config)


def build(config) -> Storage:
    """The backend the settings name; SystemExit with what to fix when they are wrong."""
    kind = str(config.get("DOCUMENT_STORAGE") or "local").strip().lower()
    if kind == "s3":
        from app.storage.s3 import S3Storage

        return S3Storage.from_config(config)
    if kind == "local":
        from app.storage.local import LocalStorage

        if not config.get("DOCUMENT_FOLDER"):
            raise SystemExit("CERGAS_DOCUMENT_FOLDER must name a folder")
        return LocalStorage(config["DOCUMENT_FOLDER"])
    raise SystemExit(f"CERGAS_DOCUMENT_STORAGE must be 'local' or 's3', not {kind!r}")


def copy_stream(source: BinaryIO, target: BinaryIO) -> int:
    """Copy in chunks; answers the bytes copied."""
    total = 0
    while chunk := source.read(CHUNK):
        target.write(chunk)
        total += len(chunk)
    return total
