"""A board's card types and labels: the stored key a card keeps (`surat-keluar`), the display
name people read ("Surat keluar") and a colour from a small palette.

Cards keep storing the key (plugins' rules, SLA per type and paraf chains per type, key on it);
the board's list says which keys a card of that board may carry and how they read. Lists are per
board: a board is created with the office's default types (app/services/card_types.py) and its
managers add, rename, recolour, reorder and archive entries. An archived entry is offered for
nothing new but still names the cards that carry it. The key is derived from the name when an
entry is added and never changes, so a rename keeps every rule that keys on it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# The colours a type or label may take (names, not CSS: the stylesheet draws them).
COLOURS = ("grey", "blue", "green", "yellow", "orange", "red", "purple", "teal")


class CardType(db.Model):
    __tablename__ = "card_types"
    __table_args__ = (UniqueConstraint("board_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    colour: Mapped[str] = mapped_column(String(20), default="grey")
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<CardType {self.board_id} {self.key}>"


class Label(db.Model):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("board_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    colour: Mapped[str] = mapped_column(String(20), default="grey")
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Label {self.board_id} {self.key}>"
