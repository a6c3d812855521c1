"""The approvals part of the demo office: the Persuratan board's paraf chain (Sekretaris, then
Kepala Dinas), its outgoing letters in review sent through it, and its letters already sent
given their paraf (no letter stands in a done column without an approval of its content)."""

from plugins.approvals import paraf

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
SENT = "Terkirim"


def add_demo_content(office) -> None:
    """Each letter waiting for paraf goes back to Dikonsep and is resubmitted, so its chain
    starts and it waits in the Sekretaris' inbox. Each letter already sent goes back to review,
    gets the paraf of the Sekretaris and the Kepala Dinas, and is sent again."""
    office.configure("approvals", BOARD, {"chains": [PARAF_CHAIN]})
    review, back = PARAF_CHAIN["review_column"], PARAF_CHAIN["return_column"]
    for card in office.cards(BOARD, SENT):
        if card.type == PARAF_CHAIN["type"]:
            office.move(card, review)
            for approver in ("sekretaris", "kadis"):
                paraf.decide(office.people[approver], card.id, "approve")
            office.move(card, SENT)
    for card in office.cards(BOARD, review):
        if card.type == PARAF_CHAIN["type"] and paraf.state_of(card.id) is None:
            office.move(card, back)
            office.move(card, review)
