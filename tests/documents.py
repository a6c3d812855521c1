"""Files for the document tests: real, small examples of each kind the allow-list takes, and
some it refuses."""

import io
import zipfile

from app.demo.pdf import simple_pdf

# A 1×1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4ee0000000049454e44ae426082"
)
# The start of a Windows program (what a file named "surat.pdf" may really be).
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def pdf(text: str = "Draf surat") -> bytes:
    return simple_pdf([text], title=text)


def docx() -> bytes:
    """A minimal Word document (its parts, as Word writes them)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("lampiran/data.csv", "a,b\n1,2\n")
    return out.getvalue()


def upload(data: bytes, name: str):
    """What a view hands the service."""
    from app.services.attachments import Upload

    return Upload(io.BytesIO(data), name)
