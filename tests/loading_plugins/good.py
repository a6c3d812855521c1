"""A well-behaved plugin module, loaded through a (fake) entry point by test_plugin_loading."""

from cergas.plugin import Badge, hookimpl


@hookimpl
def cergas_card_badges(cards, board):
    return {card.id: [Badge("ok")] for card in cards}
