"""Names, not codes (issue 26): template helpers that show a card type, a label or a skill
label by its display name and colour, never by its stored key.

`board_lists(board_id)` reads a board's lists once per request (one query, whatever the
number of cards); the filters read from it.
"""

from flask import current_app, g

from app.services import card_types


def board_lists(board_id: int) -> card_types.BoardLists:
    cache = g.setdefault("cergas_board_lists", {})
    if board_id not in cache:
        cache.update(card_types.lists_for([board_id]))
    return cache[board_id]


def type_name(key: str, board_id: int) -> str:
    return board_lists(board_id).type_name(key)


def label_name(key: str, board_id: int) -> str:
    return board_lists(board_id).label_name(key)


def plugin_title(name: str) -> str:
    """A plugin by the title it declares (PluginInfo), not its entry-point name."""
    host = current_app.extensions.get("cergas_plugins")
    return host.title_of(name) if host is not None and name else name


def init_app(app) -> None:
    app.add_template_filter(plugin_title, "plugin_title")
    app.add_template_global(board_lists, "board_lists")
    app.add_template_filter(type_name, "type_name")
    app.add_template_filter(label_name, "label_name")
