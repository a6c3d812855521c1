"""A plugin written before plugin API 1.0: it imports the deprecated `app.plugin_api`, which
still works for one release (tests/test_plugin_contract.py)."""

from app.plugin_api import Badge, hookimpl


@hookimpl
def cergas_card_badges(cards, board):
    return {card.id: [Badge("lama")] for card in cards}
