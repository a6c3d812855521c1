"""The hooks Cergas calls. Plugins implement them with `cergas.plugin.hookimpl`.

Every hook is called with keyword arguments; an implementation may accept fewer arguments than
its spec. Hooks that decorate cards receive every card of a render at once. Hooks return data
(`Veto`, `MoveScope`, `Badge`, `BoardWarning`, `Panel`, `Setting`), never HTML. Reference:
docs/plugins.md.
"""

from typing import TYPE_CHECKING

import pluggy

hookspec = pluggy.HookspecMarker("cergas")


@hookspec
def cergas_startup(app):
    """Once, at the end of the app factory. Raise to refuse a bad configuration."""


@hookspec
def cergas_register_blueprints():
    """Return Flask blueprints, mounted under /plugins/<plugin-name> unless they set a prefix."""


@hookspec
def cergas_register_commands(cli):
    """Add click commands to the `cergas` command group `cli`."""


@hookspec
def cergas_settings():
    """Return a list of `Setting`: the per-board settings of this plugin, with their defaults."""


@hookspec
def cergas_card_before_move(card, source, target, actor, board):
    """Before a move is written, inside its transaction. Return a `Veto` to refuse it, or None.
    A card created straight into a column passes this hook too, with `source` None (the card
    is flushed and has its id)."""


@hookspec
def cergas_move_scope(board):
    """Return a `MoveScope`: the moves on `board` that `cergas_card_before_move` may refuse."""


@hookspec
def cergas_card_before_update(card, changes, reason, actor, board):
    """Before an edit is written, inside its transaction: `card` still has its old values,
    `changes` maps each changed field to [old, new] (as in `cergas_card_updated`) and `reason`
    is the reason the editor gave ("" when none). Return a `Veto` to refuse the edit, or None.
    A plugin may write its own records here; they commit or roll back with the edit."""


@hookspec
def cergas_card_moved(card, source, target, actor, board):
    """After a move is committed."""


@hookspec
def cergas_card_created(card, actor, board):
    """After a new card is committed."""


@hookspec
def cergas_card_updated(card, changes, actor, board):
    """After an edit is committed; `changes` maps each changed field to [old, new]."""


@hookspec
def cergas_deadline_changed(card, old, new, reason, actor, board):
    """After a due date change (with its reason) is committed."""


@hookspec
def cergas_sprint_started(sprint, actor, board):
    """After a sprint start (its committed scope snapshotted) is committed."""


@hookspec
def cergas_sprint_closed(sprint, review, actor, board):
    """After a sprint close is committed; `review` is the review as the API returns it."""


@hookspec
def cergas_card_badges(cards, board):
    """Every render of cards, all cards at once. Return {card_id: [Badge, ...]}."""


@hookspec
def cergas_board_warnings(board, cards):
    """Board page and board API. Return a list of `BoardWarning`."""


@hookspec
def cergas_card_panels(card, board):
    """Card view. Return a list of `Panel`."""


@hookspec
def cergas_card_api(cards, board):
    """API card JSON, all cards at once. Return {card_id: {...}}, shown under "plugins"."""


@hookspec
def cergas_periodic(now):
    """Run by `cergas tick [--now ISO-8601]` from cron; `now` is an aware UTC datetime."""


@hookspec
def cergas_notification_channels():
    """Return channel objects with `deliver(notification)`; called when a notification is sent."""


@hookspec
def cergas_nav_items(user):
    """Every page for a signed-in `user`. Return a list of `NavItem` for the main navigation."""


@hookspec
def cergas_demo_content(office):
    """After `cergas demo` built the core office (`app.demo.DemoOffice`): add this plugin's part."""


if TYPE_CHECKING:  # for the annotations below (strings: nothing is imported at run time)
    from app.models import Board, User
    from cergas.plugin import Veto


@hookspec
def cergas_board_plugin_before_change(
    board: "Board", plugin: "str", enabled: "bool", settings: "dict", actor: "User"
) -> "Veto | None":
    """Before a plugin's switch or settings change on a board. Return a `Veto` to refuse it."""
