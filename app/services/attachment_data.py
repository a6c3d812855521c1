"""What plugins get about documents on cards: plain, frozen data (no database rows).

- `AttachmentFile`: a file someone is uploading (`cergas_attachment_check`): its name, what its
  content is, size, checksum, and `open()` to read it.
- `AttachmentChange`: a document added, given a new version, removed or restored
  (`cergas_attachment_before_change`).
- `AttachmentInfo`: one document of a card as it is now (`cergas.plugin.card_attachments`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

CHANGES = ("added", "version", "removed", "restored")


@dataclass(frozen=True)
class AttachmentFile:
    """A file being uploaded to a card, before anything is stored.

    `name` is the file name the person gave; `kind` what the content is (`"pdf"`, `"docx"`,
    `"xlsx"`, `"pptx"`, `"odt"`, `"ods"`, `"odp"`, `"office97"`, `"png"`, `"jpeg"`, `"gif"`,
    `"webp"`, `"text"`, `"zip"`), decided from the bytes; `content_type` the media type it is
    served as; `size` in bytes; `sha256` its checksum (hex). `open()` gives a binary stream at
    the start of the file (read it in chunks; do not close it)."""

    name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    opener: Callable[[], BinaryIO] = field(repr=False, compare=False)

    def open(self) -> BinaryIO:
        return self.opener()


@dataclass(frozen=True)
class AttachmentChange:
    """`change` is `"added"` (a new document, version 1), `"version"` (a new version of a
    document), `"removed"` or `"restored"`. `attachment_id` is the document's id; `name`, `version`,
    `sha256`, `kind` and `size` describe its latest version after the change. `reason` is the
    reason given for a removal (else `""`)."""

    change: str
    attachment_id: int
    name: str
    version: int
    sha256: str
    kind: str
    size: int
    reason: str = ""


@dataclass(frozen=True)
class AttachmentInfo:
    """A document on a card as it is now: its latest version."""

    id: int
    name: str
    version: int
    sha256: str
    kind: str
    content_type: str
    size: int
    uploaded_at: datetime
    uploaded_by_id: int | None
