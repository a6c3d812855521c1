"""Documents in a folder of the machine (the default; `CERGAS_DOCUMENT_FOLDER`, else
`instance/documents`): outside the web root, readable by the app's user only (folders 0700,
files 0600)."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app.storage import Missing, StorageError, check_key, copy_stream

# Files a save writes beside their place before renaming them (left behind by a crash only).
TEMPORARY_PREFIX = ".upload-"


class LocalStorage:
    label = "local"

    def __init__(self, folder):
        self.root = Path(folder)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _make_folders(self, folder: Path) -> None:
        # Every level owner-only, the root too (mkdir's `parents` would give the umask's mode).
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            if folder == folder.parent:
                break
            folder = folder.parent
        for each in reversed(missing):
            each.mkdir(mode=0o700, exist_ok=True)

    def save(self, key: str, source: BinaryIO) -> None:
        path = self._path(key)
        try:
            self._make_folders(path.parent)
            # Written beside its place and renamed: a reader never sees half a file, and a
            # crash leaves only a temporary file behind.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
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
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except NotADirectoryError:
            return  # a file where a folder of the key would be: nothing stored under it
        except OSError as exc:
            raise StorageError(f"cannot delete {path}: {exc}") from exc

    def exists(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StorageError(f"cannot check {path}: {exc}") from exc
        return path.is_file()

    def files(self) -> Iterator[tuple[str, Path]]:
        """(key, path) of every stored file, temporary ones too (`cergas documents check`)."""
        if not self.root.is_dir():
            return
        for folder, _folders, names in os.walk(self.root):
            for name in names:
                path = Path(folder, name)
                yield path.relative_to(self.root).as_posix(), path
