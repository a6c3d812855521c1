"""Documents on a card (`Attachment`) and their versions (`AttachmentVersion`).

A document keeps every version uploaded to it, with who and when; the bytes live in the storage
backend (`app.storage`) under a random key, never under the name the person gave. Removal is
soft: `removed_at` hides the document from the card, its versions and bytes stay for the record.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import User, utcnow


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_card_id", "card_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    # The file name of the latest version, as shown on the card.
    name: Mapped[str] = mapped_column(String(200))
    # The number of the latest version (1 for a document uploaded once).
    latest: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_reason: Mapped[str | None] = mapped_column(Text)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])
    versions: Mapped[list["AttachmentVersion"]] = relationship(
        order_by="AttachmentVersion.number",
        back_populates="attachment",
        cascade="all, delete-orphan",
    )

    @property
    def current(self) -> "AttachmentVersion":
        return next(each for each in self.versions if each.number == self.latest)


class AttachmentVersion(db.Model):
    __tablename__ = "attachment_versions"
    __table_args__ = (
        UniqueConstraint("attachment_id", "number", name="uq_attachment_versions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"))
    number: Mapped[int]
    # The name the file had when it was uploaded.
    filename: Mapped[str] = mapped_column(String(200))
    # What the content is (`app.services.filetypes`): a kind ("pdf", "docx", "png", "text"...)
    # and the media type it is served as. Decided from the bytes, never from the name.
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Where the bytes are in the storage backend: random, unique, never shown.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    attachment: Mapped[Attachment] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
