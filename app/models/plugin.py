"""What plugins keep: per-board enablement and settings, a small key-value store, and the
notifications every plugin (and the core) sends to people."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import User, utcnow


class BoardPlugin(db.Model):
    """A plugin's switch and settings on one board. No row: enabled with its default settings."""

    __tablename__ = "board_plugins"
    __table_args__ = (UniqueConstraint("board_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    plugin: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # Bumped by every change, so that the sum over a board's rows changes with any of them: a
    # move checked on its read confirms under the lock that no plugin was switched or set since.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PluginData(db.Model):
    """A per-plugin key-value store, for plugins that keep a little data without own tables."""

    __tablename__ = "plugin_data"
    __table_args__ = (UniqueConstraint("plugin", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(db.Model):
    """A message to one person, shown in the in-app bell and delivered through plugin channels."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60), default="info")
    # Which plugin sent it (None: the core).
    plugin: Mapped[str | None] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
