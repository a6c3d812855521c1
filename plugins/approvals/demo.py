"""The approvals part of the demo office: paraf chains on the Persuratan board (Sekretaris, then
Kepala Dinas) and on Layanan Informasi Publik (its Menunggu Paraf column: Kepala Seksi, then
Kepala Bidang for letters; Kepala Bidang for press content), set before the office's history is
played. On every working day of the history the approvers decide what has waited at least a
working day for them: mostly paraf, now and then a card returned with a note (it goes back to
the drafter, who resubmits it). Letters that reach the review column yesterday wait today."""

from datetime import date

from plugins.approvals import paraf
from plugins.approvals.clock import parse_iso, utcnow, waited_working_days

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

DESK = "Layanan Informasi Publik"
DESK_CHAINS = [
    {
        "type": "surat-keluar",
        "review_column": "Menunggu Paraf",
        "return_column": "Diproses",
        "steps": [
            {"head_of": "SEKSI-PIP", "label": "Kepala Seksi PIP"},
            {"head_of": "BID-IKP", "label": "Kepala Bidang IKP"},
        ],
    },
    {
        "type": "konten",
        "review_column": "Menunggu Paraf",
        "return_column": "Diproses",
        "steps": [{"head_of": "BID-IKP", "label": "Kepala Bidang IKP"}],
    },
]
RETURN_NOTES = (
    "Nomor dan tanggal surat permohonan belum dicantumkan; mohon dilengkapi.",
    "Dasar hukum di paragraf kedua kurang tepat, gunakan UU 14/2008 Pasal 22.",
    "Lampiran belum sesuai dengan yang disebut di badan surat.",
)


def add_demo_content(office) -> None:
    office.configure("approvals", BOARD, {"chains": [PARAF_CHAIN]})
    office.configure("approvals", DESK, {"chains": DESK_CHAINS})
    first_rounds = {BOARD: 0, DESK: 0}
    office.each_working_day(lambda day: decide_waiting(office, day, first_rounds))


def decide_waiting(office, day: date, first_rounds: dict) -> None:
    """Each step that has waited a working day or more is decided by its approver: approved, or
    returned with a note (every third first step of a first round on a board, for a card not
    due yet, before the last two weeks)."""
    columns = ((BOARD, PARAF_CHAIN["review_column"]), (DESK, DESK_CHAINS[0]["review_column"]))
    now = utcnow()
    people = {user.id: user for user in office.people.values()}
    for board, column in columns:
        for card in office.cards(board, column):
            state = paraf.state_of(card.id)
            if not state or state.get("state") != "pending":
                continue
            if waited_working_days(card.board.unit, parse_iso(state["since"]), now) < 1:
                continue
            step = state["steps"][state["current_step"] - 1]
            approver = people.get(step["approver_id"])
            if approver is None:
                continue
            send_back = False
            if state["round"] == 1 and state["current_step"] == 1:
                # Not in the last two weeks: a returned card needs days to come back.
                may = (office.today - day).days > 14 and (
                    card.due_date is None or (card.due_date - day).days >= 1
                )
                first_rounds[board] += may
                send_back = may and first_rounds[board] % 3 == 0
            if send_back:
                note = RETURN_NOTES[card.id % len(RETURN_NOTES)]
                paraf.decide(approver, card.id, "return", note=note)
            else:
                paraf.decide(approver, card.id, "approve")
