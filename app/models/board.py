"""Boards and their ordered columns with WIP limits."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import Unit, utcnow

COLUMN_KINDS = ("backlog", "active", "done")
# hard: a full column refuses cards; soft: it takes them with a warning.
WIP_POLICIES = ("hard", "soft")


class Board(db.Model):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # A team's board (tim kerja): seen by the team, managed by its leader; `unit_id` is then
    # the team's unit (calendar, time zone, the heads above). None: the unit's own board.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Most cards one person may hold in `active` columns of this board; None = no limit.
    personal_wip_limit: Mapped[int | None]
    # A card enters a `done` column only with every checklist item ticked (a core rule,
    # app/services/checklists.py, checked on every path that moves a card).
    checklist_required_for_done: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Done cards leave the board this many days after they entered a done column; 0: never.
    archive_after_days: Mapped[int] = mapped_column(default=14, server_default="14")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    team: Mapped["Team | None"] = relationship()  # noqa: F821
    columns: Mapped[list["BoardColumn"]] = relationship(
        back_populates="board", order_by="BoardColumn.position", cascade="all, delete-orphan"
    )
    # Read with a card that moves (one statement with its columns); written only through
    # app/services/plugins.py.
    plugin_rows: Mapped[list["BoardPlugin"]] = relationship(viewonly=True)  # noqa: F821

    def __repr__(self) -> str:
        return f"<Board {self.id} {self.name!r}>"


class BoardColumn(db.Model):
    __tablename__ = "board_columns"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    wip_limit: Mapped[int | None]
    wip_policy: Mapped[str] = mapped_column(String(10), default="hard")
    kind: Mapped[str] = mapped_column(String(10), default="active")

    board: Mapped[Board] = relationship(back_populates="columns")

    def __repr__(self) -> str:
        return f"<BoardColumn {self.id} {self.name!r}>"
