"""Nomor surat: an outgoing letter (*surat keluar*) reaches Done only with its letter number.

The number is a card label that starts with "No." or "Nomor:", e.g. "No. 800/123/2026" or
"Nomor: 005/17/Setda". Cards without one show the badge "Belum bernomor" (not yet numbered);
numbered cards show their number. Settings per board: which card types need a number, and
whether a move into a done column is refused without one.
"""

import re

from cergas.plugin import Badge, MoveScope, PluginInfo, Setting, Veto, hookimpl, plugin_settings

NAME = "nomor-surat"  # the entry point name in setup.cfg; settings are stored under it

# What people see instead of the name (in their language), and the plugin API versions this
# module is written for: Cergas refuses to load it under another major version.
PLUGIN_INFO = PluginInfo(
    title="Nomor surat",
    description="Surat keluar baru boleh Selesai setelah nomornya tercatat di label kartu.",
    api_range=">=1.0,<2",
)

# "No. 800/123/2026", "No:800/123", "Nomor: 005/17/Setda", "nomor 12/2026" (any case); the
# number must contain a digit, so "No. urut" or "Notulen" are not numbers.
LABEL = re.compile(r"^(?:no|nomor)(?:\s*[.:]\s*|\s+)(?P<number>\S*\d.*)$", re.IGNORECASE)


def letter_number(card) -> str | None:
    """The letter number written on the card's labels, or None."""
    for label in card.labels or []:
        match = LABEL.match(label.strip())
        if match:
            return match["number"]
    return None


@hookimpl
def cergas_settings():
    return [
        Setting(
            "card_types",
            "list",
            ["surat-keluar"],
            "Card types that need a letter number",
            help="Comma-separated card types, e.g. surat-keluar, nota-dinas.",
        ),
        Setting(
            "require_in_done",
            "bool",
            True,
            "Refuse Done without a letter number",
        ),
    ]


@hookimpl
def cergas_card_before_move(card, target, board):
    settings = plugin_settings(board, NAME)
    if target.kind != "done" or not settings["require_in_done"]:
        return None
    if card.type in settings["card_types"] and letter_number(card) is None:
        return Veto(
            "Surat keluar belum bernomor: tambahkan label 'No. …' (misalnya 'No. 800/123/2026') "
            "sebelum Selesai."
        )
    return None


@hookimpl
def cergas_move_scope(board):
    settings = plugin_settings(board, NAME)
    if not settings["require_in_done"]:
        return MoveScope()
    return MoveScope(card_types=frozenset(settings["card_types"]), target_kinds={"done"})


@hookimpl
def cergas_card_badges(cards, board):
    types = plugin_settings(board, NAME)["card_types"]
    badges = {}
    for card in cards:
        if card.type not in types:
            continue
        number = letter_number(card)
        if number is None:
            badges[card.id] = [
                Badge("Belum bernomor", "warning", title="Tambahkan label 'No. …' sebelum Selesai.")
            ]
        else:
            badges[card.id] = [Badge(f"No. {number}", "success", title="Nomor surat")]
    return badges
