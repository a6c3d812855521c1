"""Documents in a folder of the machine (the default; `CERGAS_DOCUMENT_FOLDER`, else
`instance/documents`): outside the web root, readable by the app's user only."""

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from app.storage import Missing, StorageError, copy_stream


class LocalStorage:
    label = "local"

    def __init__(self, folder):
        self.root = Path(folder)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"bad storage key {key!r}")
        return self.root.joinpath(*parts)

    def save(self, key: str, source: BinaryIO) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Written beside its place and renamed: a reader never sees half a file, and a
            # crash leaves only a temporary file behind.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(handle, "wb") as target:
                    copy_stream(source, target)
                    target.flush()
                    os.fsync(target.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise Missing(key) from None
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()
