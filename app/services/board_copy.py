"""A new board set up like another one (a board template): its columns with their kinds, WIP
limits and policies, the personal WIP limit, the rule that a done column takes only finished
checklists, the plugins' switches and settings, and the active card templates. Never its cards.

Whoever may see the source board and may create a board for the new owner may copy it. All of
it is one transaction: a plugin that refuses its settings on the new board refuses the copy.
"""

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Board, BoardPlugin, CardTemplate, User
from app.services import card_types
from app.services import plugins as plugin_service
from app.services.access import visible_board
from app.services.audit import record
from app.services.boards import create_board
from app.services.tx import write_transaction

_TEMPLATE_COPIED = (
    "name",
    "position",
    "type",
    "title_pattern",
    "description",
    "checklist",
    "labels",
    "estimate",
    "priority",
    "due_in_working_days",
)


def create_board_from(
    actor: User, source_id, name, unit_code, *, team=None, personal_wip_limit=None
) -> Board:
    """A board named `name` for `unit_code` (or `team`) set up like board `source_id`; the
    personal WIP limit is the source's unless one is given. 404 for a source the person may not
    see; the rules of `boards.create_board` for the new owner."""
    with write_transaction():
        source = visible_board(actor, source_id)
        columns = [
            {
                "name": column.name,
                "kind": column.kind,
                "wip_limit": column.wip_limit,
                "wip_policy": column.wip_policy,
            }
            for column in sorted(source.columns, key=lambda c: c.position)
        ]
        if personal_wip_limit in (None, ""):
            personal_wip_limit = source.personal_wip_limit
        board = create_board(
            actor,
            name,
            unit_code,
            columns=columns,
            personal_wip_limit=personal_wip_limit,
            team=team,
        )
        board.checklist_required_for_done = source.checklist_required_for_done
        card_types.copy_lists(source.id, board.id)  # before what names its types (issue 26)
        _copy_plugins(actor, source, board)
        templates = _copy_templates(actor, source, board)
        record(
            "board_copied",
            actor,
            board_id=board.id,
            source_id=source.id,
            source=source.name,
            templates=templates,
        )
    return board


def _copy_plugins(actor: User, source: Board, board: Board) -> None:
    """Each loaded plugin's switch and settings, through the plugin service (its validation and
    the plugins' vetoes hold; a row equal to the defaults writes nothing)."""
    loaded = current_app.extensions["cergas_plugins"].loaded()
    rows = db.session.scalars(
        select(BoardPlugin).where(BoardPlugin.board_id == source.id).order_by(BoardPlugin.plugin)
    ).all()
    for row in rows:
        if row.plugin not in loaded:
            continue
        plugin_service.set_board_plugin(
            actor,
            board.id,
            row.plugin,
            enabled=row.enabled,
            settings=dict(row.settings or {}),
        )


def _copy_templates(actor: User, source: Board, board: Board) -> int:
    rows = db.session.scalars(
        select(CardTemplate)
        .where(CardTemplate.board_id == source.id, CardTemplate.archived_at.is_(None))
        .order_by(CardTemplate.position, CardTemplate.id)
    ).all()
    for row in rows:
        copy = CardTemplate(board_id=board.id, created_by_id=actor.id)
        for name in _TEMPLATE_COPIED:
            value = getattr(row, name)
            setattr(copy, name, list(value) if isinstance(value, list) else value)
        db.session.add(copy)
    return len(rows)
