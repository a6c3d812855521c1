"""The approvals plugin's own tables (migrated by its branch, plugins/approvals/migrations/).

- `approvals_rounds`: the latest paraf round of each card (one row per card that ever entered
  a chain): its state, the chain it runs, when it started and finished, what it stamped;
- `approvals_steps`: the steps of that round, in order, with who decided them and how;
- `approvals_pending`: one row per card whose step waits, with the approver and the unit of a
  `head_of` step: the inbox and its counter read only this table (indexed by approver and unit);
- `approvals_delegations`: Plh/Plt delegations, indexed by stand-in and by approver.

No foreign keys to the core's tables: the core's migrations (and a core downgrade) never depend
on a plugin's tables, which stay behind untouched when the plugin is removed.
"""

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cergas.plugin import plugin_model_base

Base = plugin_model_base("approvals", migrations=Path(__file__).parent / "migrations")


class Round(Base):
    __tablename__ = "approvals_rounds"

    card_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    board_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    tz: Mapped[str] = mapped_column(String(64))
    review_column: Mapped[str] = mapped_column(String(120))
    return_column: Mapped[str] = mapped_column(String(120))
    current_step: Mapped[int | None] = mapped_column(Integer)
    since: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    content_stamp: Mapped[str | None] = mapped_column(String(64))
    stamp: Mapped[str | None] = mapped_column(String(64))
    assignees: Mapped[list] = mapped_column(JSON, default=list)
    # The card's documents the round is about ([{id, name, version, sha256}], None: none), and
    # what voided the round before it when that made this one start ({round, text, params}).
    documents: Mapped[list | None] = mapped_column(JSON)
    voided: Mapped[dict | None] = mapped_column(JSON)

    steps: Mapped[list["Step"]] = relationship(
        order_by="Step.number", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (Index("ix_approvals_rounds_board_id_state", "board_id", "state"),)


class Step(Base):
    __tablename__ = "approvals_steps"

    card_id: Mapped[int] = mapped_column(
        ForeignKey("approvals_rounds.card_id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    spec: Mapped[dict] = mapped_column(JSON)
    label: Mapped[str] = mapped_column(String(200))
    approver_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int | None] = mapped_column(Integer)
    as_id: Mapped[int | None] = mapped_column(Integer)
    as_kind: Mapped[str | None] = mapped_column(String(8))
    at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    stamp: Mapped[str | None] = mapped_column(String(64))
    reassigned_by_id: Mapped[int | None] = mapped_column(Integer)
    # The documents the step approved (or returned, rejected): as the round's, once decided.
    documents: Mapped[list | None] = mapped_column(JSON)


class Pending(Base):
    __tablename__ = "approvals_pending"

    card_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    approver_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The unit of a `head_of` step: its acting heads (Plt/Plh appointed in Cergas) see it too.
    head_of: Mapped[str | None] = mapped_column(String(64), index=True)
    board_id: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(DateTime)
    tz: Mapped[str] = mapped_column(String(64))


class Delegation(Base):
    __tablename__ = "approvals_delegations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    from_id: Mapped[int] = mapped_column(Integer, index=True)
    to_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(Integer)

    # The inbox asks for the live delegations to one stand-in: by stand-in, then by end date.
    __table_args__ = (Index("ix_approvals_delegations_to_id_end", "to_id", "end"),)
