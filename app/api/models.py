"""Request and response models of the core API v1 (see `app.api.contract`).

Request models check JSON types and field names; the services check values. Response models
describe what `app.api.serializers` writes; the fuzz tests check every answer against them.
"""

from typing import Annotated, Any, Literal

from flask_babel import lazy_gettext as _l
from pydantic import ConfigDict, Field

from app.api.contract import (
    ApiModel,
    ApiResponse,
    Integer,
    Msg,
    OptionalDate,
    OptionalInteger,
    OptionalNumber,
    OptionalText,
    Text,
    TextList,
)

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def examples(*items: dict) -> ConfigDict:
    return ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": list(items)})


def response_examples(*items: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(items)})


# Requests


class CardFields(ApiModel):
    title: Text = Field(None, description="1 to 200 characters.")
    description: Text = Field(None, description="Markdown, at most 20,000 characters.")
    type: Text = Field(None, description="A card type known to the board, e.g. `task`.")
    assignee: OptionalText = Field(None, description="NIP or username of someone on the board.")
    due_date: OptionalDate = Field(None, description="YYYY-MM-DD.")
    priority: Text = Field(None, description="`low`, `normal`, `high` or `urgent`.")
    estimate: OptionalNumber = Field(None, description="0 to 1000.")
    labels: TextList = Field(None, description="At most 20 labels of at most 40 characters.")
    rhk_id: OptionalInteger = Field(
        None,
        description="An active RHK (SKP planned work result) of the assignee for the card's "
        "year (its due date's, or this year); null unlinks.",
    )


class NewCard(CardFields):
    model_config = examples(
        {"title": "Permohonan data kependudukan", "due_date": "2026-12-01", "priority": "high"}
    )

    title: Text = Field(description="1 to 200 characters.")
    column_id: Integer = Field(None, description="A column of this board; default: the first.")


class CardPatch(CardFields):
    model_config = examples({"version": 1, "title": "Permohonan data (revisi)"})

    version: Integer = Field(description="The version you read; a stale one is 409.")
    deadline_reason: OptionalText = Field(
        None, description="Why the due date moves; required by some boards."
    )
    reason: OptionalText = Field(
        None,
        description="Why the other fields change; kept in the history. Plugins may require one "
        "(e.g. for a type change).",
    )


class Move(ApiModel):
    model_config = examples({"column_id": 2, "position": 0})

    column_id: Integer
    position: OptionalInteger = Field(None, description="0-based; default: the end.")
    override_reason: OptionalText = Field(
        None, description="Heads only: why a hard WIP limit may be exceeded."
    )


class NewComment(ApiModel):
    model_config = examples({"body": "Sudah dicek, lanjut."})

    body: Text = Field(description="1 to 10,000 characters.")


class NewToken(ApiModel):
    model_config = examples(
        {
            "username": "199001012015011004",
            "password": "rahasia123",
            "name": "e-office",
            "expires_in_days": 90,
        }
    )

    username: Text = Field(description="NIP or username.")
    password: Text
    name: OptionalText = Field(None, description="A label for the token, at most 100 chars.")
    expires_in_days: OptionalInteger = Field(
        None, description="1 to 3650: the token stops working after that many days; default: never."
    )
    totp: OptionalText = Field(
        None,
        description="With two-factor sign-in on: the 6-digit code of the authenticator app, or "
        "one of the recovery codes (used up).",
    )


class NewColumn(ApiModel):
    object_message = _l("Each column must be an object.")

    name: Text
    wip_limit: OptionalInteger = None
    wip_policy: Text = Field(None, description="`hard` or `soft`.")
    kind: Text = Field(None, description="`backlog`, `active` or `done`.")


class NewBoard(ApiModel):
    model_config = examples(
        {
            "name": "Layanan Aplikasi",
            "unit": "SEKSI-APL",
            "columns": [
                {"name": "Backlog", "kind": "backlog"},
                {"name": "Dikerjakan", "kind": "active", "wip_limit": 3, "wip_policy": "hard"},
                {"name": "Selesai", "kind": "done"},
            ],
        }
    )

    name: Text
    unit: OptionalText = Field(
        None, description="The code of the unit the board belongs to (not needed with `team`)."
    )
    team: OptionalText = Field(
        None,
        description="The code of the work team the board belongs to: it then sits in the "
        "team's unit, is seen by the team and managed by its leader.",
    )
    columns: Annotated[
        list[NewColumn],
        Msg(_l("Give a list of columns, or leave it out for the default columns.")),
        Field(min_length=1),
    ] = Field(None, description="Default: Backlog, Dikerjakan, Review, Selesai.")
    personal_wip_limit: OptionalInteger = None
    copy_from: OptionalInteger = Field(
        None,
        description="The id of a board you can see to set the new one up like: its columns, "
        "limits, plugin settings and card templates (not its cards); not with `columns`.",
    )


class PluginSettingsPut(ApiModel):
    model_config = examples({"enabled": True, "settings": {"limit": 4}})

    enabled: Annotated[bool, Msg(_l("Must be true or false."))] = None
    settings: Annotated[
        dict[str, Any], Msg(_l("Must be an object of setting names and values."))
    ] = Field(None, description="Setting name -> value; settings not given keep their values.")
    plugin: Text = Field(None, description="May be sent back; must name this plugin.")


# Responses


class Warning(ApiResponse):
    plugin: str
    text: str
    tone: str


class ChecklistCount(ApiResponse):
    total: int
    done: int


class CardRhk(ApiResponse):
    id: int
    text: str


class LabelInfo(ApiResponse):
    key: str
    name: str
    colour: str


class Card(ApiResponse):
    model_config = response_examples(
        {
            "id": 7,
            "board_id": 1,
            "column_id": 2,
            "position": 0,
            "title": "Permohonan data kependudukan",
            "description": "",
            "type": "surat-keluar",
            "type_name": "Surat keluar",
            "type_colour": "teal",
            "label_details": [{"key": "data", "name": "Data", "colour": "blue"}],
            "assignee": "199001012015011004",
            "due_date": "2026-12-01",
            "priority": "high",
            "estimate": 3.0,
            "labels": ["data"],
            "version": 1,
            "deadline_changes": 0,
            "sprint_id": None,
            "checklist": {"total": 5, "done": 3},
            "attachment_count": 2,
            "rhk": {"id": 3, "text": "Terlayaninya permohonan informasi publik"},
            "created_at": "2026-11-20T02:15:00Z",
            "updated_at": "2026-11-20T02:15:00Z",
            "archived_at": None,
            "archived_by": None,
            "plugins": {},
        }
    )

    id: int
    board_id: int
    column_id: int
    position: int
    title: str
    description: str
    type: str = Field(description="The key of one of the board's card types.")
    type_name: str = Field(description="The card type's display name.")
    type_colour: str = Field(description="The card type's colour (a palette name).")
    assignee: str | None
    due_date: str | None = Field(json_schema_extra={"format": "date"})
    priority: str
    estimate: float | None
    labels: list[str] = Field(description="Keys of the board's labels (and skill labels).")
    label_details: list[LabelInfo] = Field(description="Each label's key, name and colour.")
    version: int
    deadline_changes: int
    sprint_id: int | None = Field(description="The sprint the card is planned in, if any.")
    checklist: ChecklistCount = Field(description="Its checklist's items and how many are done.")
    attachment_count: int = Field(
        description="How many documents it carries (removed ones not counted)."
    )
    rhk: "CardRhk | None" = Field(
        description="The assignee's RHK (SKP planned work result) the card counts toward."
    )
    created_at: Timestamp | None
    updated_at: Timestamp | None
    archived_at: Timestamp | None = Field(
        description="When the card was archived (off the board, read-only), or null."
    )
    archived_by: str | None = Field(
        description="Who archived it (NIP or username); null when not archived or archived "
        "automatically."
    )
    plugins: dict[str, Any] = Field(description="What each enabled plugin adds, by plugin name.")
    warnings: list[str] = Field(
        None, description="After a create or move: the soft limits it went over."
    )


class Column(ApiResponse):
    id: int
    name: str
    kind: str
    wip_limit: int | None
    wip_policy: str
    cards: list[Card]


class BoardSummary(ApiResponse):
    id: int
    name: str
    unit: str
    team: str | None = Field(description="The work team's code for a team's board, else null.")


class BoardList(ApiResponse):
    boards: list[BoardSummary]


class Board(ApiResponse):
    id: int
    name: str
    unit: str
    team: str | None
    personal_wip_limit: int | None
    archive_after_days: int = Field(
        description="Done cards leave the board for its archive after this many days; 0: never."
    )
    columns: list[Column]
    warnings: list[Warning]


class Event(ApiResponse):
    kind: str
    actor: str | None
    at: Timestamp | None
    data: dict[str, Any]


class EventList(ApiResponse):
    events: list[Event]


class Comment(ApiResponse):
    id: int
    author: str | None
    body: str
    created_at: Timestamp | None


class Following(ApiResponse):
    model_config = response_examples({"card_id": 42, "following": True})

    card_id: int
    following: bool = Field(description="Whether comments on the card reach you.")


class TokenInfo(ApiResponse):
    model_config = response_examples(
        {
            "id": 7,
            "name": "e-office",
            "created_at": "2026-12-01T02:00:00Z",
            "last_used_at": "2026-12-06T03:15:00Z",
            "expires_at": "2027-03-01T02:00:00Z",
            "expired": False,
        }
    )

    id: int
    name: str
    created_at: Timestamp
    last_used_at: Timestamp | None = Field(description="To within five minutes; null: never.")
    expires_at: Timestamp | None = Field(description="null: until revoked.")
    expired: bool


class Token(TokenInfo):
    model_config = response_examples(
        {
            "token": "cg_3q2-7wVx…",
            "id": 7,
            "name": "e-office",
            "created_at": "2026-12-01T02:00:00Z",
            "last_used_at": None,
            "expires_at": "2027-03-01T02:00:00Z",
            "expired": False,
        }
    )

    token: str = Field(description="Shown once; only its hash is stored.")


class TokenList(ApiResponse):
    tokens: list[TokenInfo] = Field(description="Your tokens that were not revoked, newest first.")


class SignedOut(ApiResponse):
    model_config = response_examples({"sessions": 2, "tokens": 3})

    sessions: int = Field(description="Login sessions ended.")
    tokens: int = Field(description="API tokens revoked, the one of this request included.")


class Notification(ApiResponse):
    id: int
    kind: str
    plugin: str | None
    title: str
    body: str
    link: str | None
    card_id: int | None
    created_at: Timestamp | None
    read_at: Timestamp | None


class NotificationList(ApiResponse):
    notifications: list[Notification]
    unread: int


class MarkedRead(ApiResponse):
    marked: int
    unread: int


class PluginState(ApiResponse):
    plugin: str
    enabled: bool
    settings: dict[str, Any]


class PluginRecord(ApiResponse):
    name: str = Field(description="The entry point's name: configuration, settings, vetoes.")
    title: str = Field(description="The display name (the name when the plugin declares none).")
    description: str = Field(description="One line on what the plugin does; may be empty.")
    version: str | None
    api_range: str | None = Field(
        description="The plugin API versions it declares (PEP 440 specifiers), or null."
    )
    hooks: list[str]
    status: Literal["loaded", "failed", "incompatible", "disabled"]
    reason: str | None = Field(
        description="Why an incompatible plugin is not loaded (the versions it needs)."
    )
    warnings: list[str] = Field(description="Deprecated hooks it implements, one line each.")
    errors: int
    last_error: str | None
    last_error_at: Timestamp | None


class PluginList(ApiResponse):
    plugins: list[PluginRecord]
