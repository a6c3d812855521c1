"""What a file is, decided from its bytes, never from its name: the allow-list of documents a
card takes (PDF, office documents, images, plain text, zip).

`filetype` (magic numbers) recognises the container; a zip is then opened to tell an office
document (Word, Excel, PowerPoint, OpenDocument) from a plain archive; text is UTF-8 (or a
legacy 8-bit encoding) without control bytes. The name must agree with what the content is:
an executable called `surat.pdf` is refused, and so is a Word file called `laporan.pdf`.
"""

import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import filetype
from flask_babel import lazy_gettext as _l

# How much of the start of a file decides what it is (text is judged on it too).
HEAD = 64 * 1024


@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    extensions: tuple[str, ...]
    label: object  # lazy string: shown to people ("PDF document")
    # Shown in the browser (inline preview) rather than only downloaded.
    preview: bool = False


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
KINDS = {
    kind.key: kind
    for kind in (
        Kind("pdf", "application/pdf", ("pdf",), _l("PDF document"), preview=True),
        Kind("docx", f"{_OOXML}.wordprocessingml.document", ("docx",), _l("Word document")),
        Kind("xlsx", f"{_OOXML}.spreadsheetml.sheet", ("xlsx",), _l("Excel workbook")),
        Kind("pptx", f"{_OOXML}.presentationml.presentation", ("pptx",), _l("PowerPoint file")),
        Kind("odt", f"{_ODF}.text", ("odt",), _l("OpenDocument text")),
        Kind("ods", f"{_ODF}.spreadsheet", ("ods",), _l("OpenDocument spreadsheet")),
        Kind("odp", f"{_ODF}.presentation", ("odp",), _l("OpenDocument presentation")),
        # The older binary office formats share one container (OLE2); the name tells which.
        Kind(
            "office97",
            "application/octet-stream",
            ("doc", "xls", "ppt"),
            _l("Office document (97–2003)"),
        ),
        Kind("png", "image/png", ("png",), _l("PNG image"), preview=True),
        Kind("jpeg", "image/jpeg", ("jpg", "jpeg"), _l("JPEG image"), preview=True),
        Kind("gif", "image/gif", ("gif",), _l("GIF image"), preview=True),
        Kind("webp", "image/webp", ("webp",), _l("WebP image"), preview=True),
        Kind(
            "text",
            "text/plain; charset=utf-8",
            ("txt", "csv", "tsv", "md", "log", "json", "xml"),
            _l("Text file"),
        ),
        Kind("zip", "application/zip", ("zip",), _l("Zip archive")),
    )
}
OFFICE97_TYPES = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}
# What `filetype` calls the kinds we take as they are.
_BY_EXTENSION = {"pdf": "pdf", "png": "png", "jpg": "jpeg", "gif": "gif", "webp": "webp"}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class NotAllowed(ValueError):
    """The content is not on the allow-list, or the name says something else; the message is
    for the person who chose the file."""


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


def _zip_kind(stream: BinaryIO) -> str:
    """An office document or a plain zip, from the names inside (read from the central
    directory at the end: no member is unpacked)."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            mimetype = ""
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise NotAllowed(_l("This zip file is damaged.")) from None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    for key in ("odt", "ods", "odp"):
        if mimetype == KINDS[key].content_type:
            return key
    return "zip"


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        # A multi-byte character may be cut at the end of the sample.
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls == 0


def _label_of_content(head: bytes) -> object:
    guess = filetype.guess(head)
    if guess is not None and guess.extension in ("exe", "elf", "wasm", "crx", "deb", "rpm"):
        return _l("a program")
    return _l("a kind of file that is not accepted")


def detect(stream: BinaryIO, name: str) -> tuple[Kind, str]:
    """(kind, media type) of the file in `stream` (seekable; left at 0), checked against its
    `name`. Raises NotAllowed with a message for the person."""
    stream.seek(0)
    head = stream.read(HEAD)
    stream.seek(0)
    if not head:
        raise NotAllowed(_l("The file is empty."))
    guess = filetype.guess(head)
    key = None
    if head.startswith(_OLE2):
        key = "office97"
    elif guess is not None and guess.extension in _BY_EXTENSION:
        key = _BY_EXTENSION[guess.extension]
    elif head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        key = _zip_kind(stream)
        stream.seek(0)
    elif guess is None and _is_text(head):
        key = "text"
    if key is None:
        raise NotAllowed(
            _l(
                "This file is %(what)s. Cards take PDF, office documents, images (PNG, JPEG, "
                "GIF, WebP), plain text and zip files.",
                what=_label_of_content(head),
            )
        )
    kind = KINDS[key]
    extension = extension_of(name)
    if extension not in kind.extensions:
        if extension:
            raise NotAllowed(
                _l(
                    "The file's content is a %(kind)s, but its name ends in .%(ext)s. Check "
                    "that you chose the right file, or rename it to .%(right)s.",
                    kind=kind.label,
                    ext=extension,
                    right=kind.extensions[0],
                )
            )
        raise NotAllowed(
            _l(
                "The file's name has no extension; as its content is a %(kind)s, name it "
                ".%(right)s.",
                kind=kind.label,
                right=kind.extensions[0],
            )
        )
    content_type = OFFICE97_TYPES.get(extension, kind.content_type)
    return kind, content_type
