"""SQLAlchemy models. Importing this package registers every table on db.metadata."""

from app.models.board import COLUMN_KINDS, WIP_POLICIES, Board, BoardColumn
from app.models.card import PRIORITIES, Card, Comment, DeadlineChange, Event
from app.models.org import (
    ROLES,
    TIMEZONES,
    ApiToken,
    LoginSession,
    Membership,
    Unit,
    User,
    utcnow,
)
from app.models.plugin import BoardPlugin, Notification, PluginData
from app.models.skill import (
    LANGUAGE_TESTS,
    LEARNING_ACTIVITIES,
    SKILL_KINDS,
    SKILL_LEVELS,
    Certificate,
    LearningActivity,
    Skill,
    SkillEvent,
    UserSkill,
)
from app.models.sprint import (
    CARD_OUTCOMES,
    GOAL_OUTCOMES,
    SPRINT_STATES,
    Sprint,
    SprintCard,
    SprintScopeChange,
)
from app.models.workcal import CALENDAR_DAY_KINDS, UnitCalendar, UnitCalendarDay

__all__ = [
    "CALENDAR_DAY_KINDS",
    "UnitCalendar",
    "UnitCalendarDay",
    "CARD_OUTCOMES",
    "GOAL_OUTCOMES",
    "SPRINT_STATES",
    "Sprint",
    "SprintCard",
    "SprintScopeChange",
    "COLUMN_KINDS",
    "LANGUAGE_TESTS",
    "LEARNING_ACTIVITIES",
    "LearningActivity",
    "SKILL_KINDS",
    "SKILL_LEVELS",
    "Certificate",
    "Skill",
    "SkillEvent",
    "UserSkill",
    "PRIORITIES",
    "ROLES",
    "TIMEZONES",
    "WIP_POLICIES",
    "ApiToken",
    "LoginSession",
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
