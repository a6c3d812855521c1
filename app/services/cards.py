"""Card use cases: create, edit, move, comment. The move and its WIP rules live in
`app.services.moves`; `move_card`, `move_card_locked` and `MoveResult` are re-exported here for
the callers that know cards."""

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.extensions import db
from app.models import PRIORITIES, Board, Card, Comment, DeadlineChange, Rhk, User, utcnow
from app.services import card_types, notify_events
from app.services import rhk as rhk_rules
from app.services import validation as v
from app.services.access import can_view_board, visible_board, visible_card
from app.services.archive import require_not_archived
from app.services.audit import record
from app.services.errors import Conflict, Invalid, Vetoed
from app.services.moves import (
    MoveResult,
    ask_plugins,
    check_limits,
    column_of,
    flow_marks,
    load_columns_with_counts,
    move_card,
    move_card_locked,
    record_overrides,
    require_checklist_done,
    require_due_date,
)
from app.services.tx import lock_board, write_transaction

__all__ = ["MoveResult", "move_card", "move_card_locked"]

CARD_FIELDS = (
    "title",
    "description",
    "type",
    "assignee",
    "due_date",
    "priority",
    "estimate",
    "labels",
    # The assignee's RHK the card counts toward (issue 27, rules in app/services/rhk.py).
    "rhk_id",
)

# The keys of the default card types (app/services/card_types.py DEFAULT_TYPES); a card's type
# must be on its board's list.
CARD_TYPES = tuple(key for key, _name, _colour in card_types.DEFAULT_TYPES)


def _plugins():
    return current_app.extensions["cergas_plugins"]


def find_user(login: str) -> User | None:
    """A user by NIP or username."""
    return db.session.scalar(select(User).where(or_(User.nip == login, User.username == login)))


def _clean_assignee(value, board: Board) -> User | None:
    if value is None or value == "":
        return None
    if isinstance(value, User):
        user = value
    elif isinstance(value, str):
        user = find_user(value.strip())
    else:
        raise v.FieldError(_("Must be a NIP or username."))
    if user is None or not user.active or not can_view_board(user, board):
        raise v.FieldError(_("No member of this board has that NIP or username."))
    return user


def clean_card_fields(
    data: dict, board: Board, current: Card | None = None, actor: User | None = None
) -> dict:
    """Validate the card fields present in `data`; raise Invalid naming every bad one.
    The type and labels must be on the board's lists (app/services/card_types.py); `current`
    (the card being edited) keeps its own even when archived since, and its assignee and due
    date decide which RHK fit; `actor`: who links it (only the assignee and the heads above
    them may)."""
    fields = v.Fields()
    cleaned = {}
    cleaners = {
        "title": lambda x: v.text(x, field_max=200, required=True),
        "description": lambda x: v.text(x, field_max=20_000),
        "type": lambda x: card_types.clean_type(board, x, keep=current.type if current else None),
        "assignee": lambda x: _clean_assignee(x, board),
        "due_date": v.optional_date,
        "priority": lambda x: v.choice(x, PRIORITIES, default="normal"),
        "estimate": lambda x: v.optional_number(x, minimum=0, maximum=1000),
        "labels": lambda x: card_types.clean_labels(
            board, x, keep=tuple(current.labels or ()) if current else ()
        ),
    }
    for name, value in data.items():
        if name != "rhk_id":
            cleaned[name] = fields.clean(name, cleaners[name], value)
    if "rhk_id" in data and not {"assignee", "due_date"} & set(fields.errors):
        # An RHK link: one of the (new) assignee's active RHK for the card's year.
        assignee = (
            cleaned.get("assignee") if "assignee" in data else getattr(current, "assignee", None)
        )
        due = cleaned.get("due_date") if "due_date" in data else getattr(current, "due_date", None)
        found = fields.clean(
            "rhk_id", rhk_rules.clean_card_rhk, data["rhk_id"], assignee, due, actor
        )
        cleaned["rhk_id"] = found.id if found is not None else None
    fields.raise_if_any()
    return cleaned


def create_card(
    actor: User, board_id, data: dict, *, column_id=None, override_reason=None, origin=None
) -> MoveResult:
    """Create a card at the bottom of a column (the first column when none is given).
    `origin` (app/services/card_templates.py `Origin`): the template the card is made from,
    named in its "created" event; it adds the template's checklist in the same transaction."""
    with write_transaction():
        board = visible_board(actor, board_id)
        lock_board(board.id)
        data = {"title": data.get("title"), "type": None, **data}
        cleaned = clean_card_fields(data, board, actor=actor)
        counts = load_columns_with_counts(board)
        column = column_of(board, column_id) if column_id not in (None, "") else board.columns[0]
        require_due_date(column, cleaned.get("due_date"))
        warnings, overrides = check_limits(
            actor,
            board,
            column,
            cleaned.get("assignee"),
            override_reason,
            entering_column=True,
            entering_active=column.kind == "active",
            card_id=None,
            counts=counts,
        )
        card = Card(
            board_id=board.id,
            column_id=column.id,
            position=counts[column.id],
            title=cleaned["title"],
            description=cleaned.get("description") or "",
            type=cleaned.get("type") or "tugas",
            assignee=cleaned.get("assignee"),
            due_date=cleaned.get("due_date"),
            priority=cleaned.get("priority") or "normal",
            estimate=cleaned.get("estimate"),
            labels=cleaned.get("labels") or [],
            rhk_id=cleaned.get("rhk_id"),
            created_by_id=actor.id,
        )
        for name, value in flow_marks(card, column, utcnow()).items():
            setattr(card, name, value)
        db.session.add(card)
        db.session.flush()
        if origin is not None:
            origin.complete(card)
            # A template's checklist comes unticked: a done column of a board that asks for
            # finished checklists does not take the card.
            require_checklist_done(board, column, card.checklist_total, card.checklist_done)
        # A card created into a column passes the same plugin vetoes as a card moved there.
        ask_plugins(card, None, column, actor, board)
        record(
            "created",
            actor,
            board_id=board.id,
            card_id=card.id,
            title=card.title,
            column=column.name,
            assignee=card.assignee.login if card.assignee else None,
            due_date=card.due_date,
            **(origin.event_data() if origin is not None else {}),
        )
        if card.rhk_id is not None:
            _record_rhk_link(actor, card, None, card.rhk_id)
        record_overrides(actor, card, overrides)
        notify_events.card_assigned(actor, card, card.assignee)
        _plugins().after("cergas_card_created", card=card, actor=actor, board=board)
    return MoveResult(card, warnings, bool(overrides))


def _display(name: str, value):
    if name == "assignee":
        return value.login if value is not None else None
    if isinstance(value, date):
        return value.isoformat()
    return value


def _described(changes: dict) -> dict:
    """field -> [old, new] as the plugin hooks get them (the assignee as a login)."""
    return {
        name: [_display(name, old), _display(name, new)] for name, (old, new) in changes.items()
    }


def _ask_plugins_about_edit(card: Card, described: dict, reason: str, actor: User) -> None:
    vetoes = _plugins().vetoes(
        "cergas_card_before_update",
        card=card,
        changes=described,
        reason=reason,
        actor=actor,
        board=card.board,
    )
    if vetoes:
        raise Vetoed(vetoes)


def update_card(
    actor: User, card_id, data: dict, *, version, deadline_reason=None, reason=None
) -> Card:
    """Edit card fields. Refuses stale versions; a due date change needs a reason and is counted.
    `reason` is the editor's reason for the other changes (plugins may ask for one, e.g. for a
    type change); it is kept in the history."""
    unknown = sorted(set(data) - set(CARD_FIELDS))
    if unknown:
        raise v.invalid(
            {name: _("Unknown field.") for name in unknown},
        )
    with write_transaction():
        card = visible_card(actor, card_id)
        lock_board(card.board_id)
        db.session.refresh(card)
        require_not_archived(card)  # archived cards are read-only
        if card.assignee is not None and data.get("assignee") == card.assignee.login:
            # The assignee kept as it is (an inactive one too: the card page offers them
            # until someone takes the card over) is no change to check.
            data = {name: value for name, value in data.items() if name != "assignee"}
        if "rhk_id" in data and str(data["rhk_id"] or "") == str(card.rhk_id or ""):
            # The RHK link kept as it is (a withdrawn RHK too) is no change to check.
            data = {name: value for name, value in data.items() if name != "rhk_id"}
        try:
            expected = v.record_id(version)
        except v.FieldError as exc:
            raise v.invalid({"version": str(exc)}) from None
        cleaned = clean_card_fields(data, card.board, current=card, actor=actor)
        if expected != card.version:
            raise Conflict(
                "version_conflict",
                _("Someone else changed this card since you opened it. Reload it and try again."),
            )
        changes = {}
        for name, new in cleaned.items():
            old = getattr(card, name)
            if name == "description":
                new = new or ""
            if name == "labels":
                new = new or []
            if old != new:
                changes[name] = (old, new)
        if "rhk_id" not in changes and card.rhk_id is not None:
            # A new assignee or a due date in another year: the RHK no longer fits; the card
            # is unlinked (with a history line) rather than the change refused.
            new_assignee = changes["assignee"][1] if "assignee" in changes else card.assignee
            new_due = changes["due_date"][1] if "due_date" in changes else card.due_date
            if ("assignee" in changes or "due_date" in changes) and not rhk_rules.still_fits(
                card.rhk, new_assignee, new_due
            ):
                changes["rhk_id"] = (card.rhk_id, None)
        if not changes:
            return card
        try:
            change_reason = v.text(reason, field_max=1000)
        except v.FieldError as exc:
            raise v.invalid({"reason": str(exc)}) from None
        described = _described(changes)
        _ask_plugins_about_edit(card, described, change_reason, actor)

        if "due_date" in changes:
            old_due, new_due = changes["due_date"]
            require_due_date(card.column, new_due)
            try:
                reason = v.text(deadline_reason, field_max=1000)
            except v.FieldError as exc:
                raise v.invalid(
                    {"deadline_reason": str(exc)},
                ) from None
            if old_due is not None and not reason:
                raise Invalid(
                    "deadline_reason_required",
                    _("Changing a due date needs a reason."),
                    {"deadline_reason": _("Say why the due date changes.")},
                )
            if old_due is not None:
                db.session.add(
                    DeadlineChange(
                        card_id=card.id,
                        old_date=old_due,
                        new_date=new_due,
                        reason=reason,
                        actor_id=actor.id,
                    )
                )
                card.deadline_changes += 1
                record(
                    "deadline_changed",
                    actor,
                    board_id=card.board_id,
                    card_id=card.id,
                    old=old_due,
                    new=new_due,
                    reason=reason,
                )
                _plugins().after(
                    "cergas_deadline_changed",
                    card=card,
                    old=old_due,
                    new=new_due,
                    reason=reason,
                    actor=actor,
                    board=card.board,
                )
        overrides: list[dict] = []
        if "assignee" in changes and card.column.kind == "active":
            _warnings, overrides = check_limits(
                actor,
                card.board,
                card.column,
                changes["assignee"][1],
                None,
                entering_column=False,
                entering_active=True,
                card_id=card.id,
            )
        for name, (_old, new) in changes.items():
            setattr(card, name, new)
        extra = {"reason": change_reason} if change_reason else {}
        if "assignee" in changes:
            old, new = changes["assignee"]
            record(
                "assigned",
                actor,
                board_id=card.board_id,
                card_id=card.id,
                old=_display("assignee", old),
                new=_display("assignee", new),
                **extra,
            )
            notify_events.card_assigned(actor, card, new)
        if "rhk_id" in changes:
            _record_rhk_link(actor, card, *changes["rhk_id"], **extra)
        plain = {
            name: [_display(name, old), _display(name, new)]
            for name, (old, new) in changes.items()
            if name not in ("assignee", "rhk_id") and not (name == "due_date" and old is not None)
        }
        if plain:
            record(
                "updated", actor, board_id=card.board_id, card_id=card.id, changes=plain, **extra
            )
        record_overrides(actor, card, overrides)
        card.version += 1
        card.updated_at = utcnow()
        _plugins().after(
            "cergas_card_updated", card=card, changes=described, actor=actor, board=card.board
        )
    return card


def move_with_due_date(
    actor: User, card_id, column_id, due_date, *, version, position=None, override_reason=None
) -> MoveResult:
    """Give a card its first due date and move it, in one transaction: the move form's answer
    to a move refused for a missing due date. Both happen, or (a refusal of either) neither."""
    with write_transaction():
        # update_card locked the board and read the card under the lock.
        card = update_card(actor, card_id, {"due_date": due_date}, version=version)
        db.session.flush()
        return move_card_locked(actor, card, column_id, position, override_reason)


def N_(message: str) -> str:
    """Marks a history sentence for the catalogs; the card page translates it when shown."""
    return message


RHK_LINKED = N_("Linked to the RHK: %(rhk)s")
RHK_UNLINKED = N_("Unlinked from the RHK: %(rhk)s")


def _record_rhk_link(actor: User, card: Card, old_id, new_id, **extra) -> None:
    """The history line of a card's RHK link (issue 27), rendered by the card page from
    `text` and `params`; the editor's reason shows as its note."""
    note = {"note": extra["reason"]} if extra.get("reason") else {}
    if old_id is not None:
        old = db.session.get(Rhk, old_id)
        record(
            "rhk_unlinked",
            actor,
            board_id=card.board_id,
            card_id=card.id,
            rhk_id=old_id,
            text=RHK_UNLINKED,
            params={"rhk": rhk_rules.label(old)},
            **note,
        )
    if new_id is not None:
        new = db.session.get(Rhk, new_id)
        record(
            "rhk_linked",
            actor,
            board_id=card.board_id,
            card_id=card.id,
            rhk_id=new_id,
            text=RHK_LINKED,
            params={"rhk": rhk_rules.label(new)},
            **note,
        )


def add_comment(actor: User, card_id, body) -> Comment:
    try:
        body = v.text(body, field_max=10_000, required=True)
    except v.FieldError as exc:
        raise v.invalid({"body": str(exc)}) from None
    with write_transaction():
        card = visible_card(actor, card_id)
        require_not_archived(card)  # archived cards are read-only
        comment = Comment(card_id=card.id, author_id=actor.id, body=body)
        db.session.add(comment)
        db.session.flush()
        record(
            "comment",
            actor,
            board_id=card.board_id,
            card_id=card.id,
            comment_id=comment.id,
            body=body,
        )
        notify_events.card_commented(actor, card, comment)
    return comment
