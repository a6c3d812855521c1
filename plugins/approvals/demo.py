"""The approvals part of the demo office: the Persuratan board's paraf chain (Sekretaris, then
Kepala Dinas), and its outgoing letters already in review sent through it."""

PARAF_CHAIN = {
    "type": "surat-keluar",
    "review_column": "Paraf Pimpinan",
    "return_column": "Dikonsep",
    "steps": [
        {"head_of": "SEKRETARIAT", "label": "Sekretaris"},
        {"head_of": "DISKOMINFO", "label": "Kepala Dinas"},
    ],
}
BOARD = "Persuratan"


def add_demo_content(office) -> None:
    """Each letter waiting for paraf goes back to Dikonsep and is resubmitted, so its chain
    starts and it waits in the Sekretaris' inbox. The letters already sent stay as they were."""
    office.configure("approvals", BOARD, {"chains": [PARAF_CHAIN]})
    review, back = PARAF_CHAIN["review_column"], PARAF_CHAIN["return_column"]
    for card in office.cards(BOARD, review):
        if card.type == PARAF_CHAIN["type"]:
            office.move(card, back)
            office.move(card, review)
