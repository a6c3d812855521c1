"""SQLAlchemy models. Importing this package registers every table on db.metadata."""

from app.models.board import COLUMN_KINDS, WIP_POLICIES, Board, BoardColumn
from app.models.card import PRIORITIES, Card, Comment, DeadlineChange, Event
from app.models.org import ROLES, TIMEZONES, ApiToken, Membership, Unit, User, utcnow
from app.models.plugin import BoardPlugin, Notification, PluginData

__all__ = [
    "COLUMN_KINDS",
    "PRIORITIES",
    "ROLES",
    "TIMEZONES",
    "WIP_POLICIES",
    "ApiToken",
    "BoardPlugin",
    "Notification",
    "PluginData",
    "Board",
    "BoardColumn",
    "Card",
    "Comment",
    "DeadlineChange",
    "Event",
    "Membership",
    "Unit",
    "User",
    "utcnow",
]
