"""The performance world of issue 27's tests: staff's RHK for 2026 and their done cards on
three boards (two of Seksi Aplikasi, one of Bidang IKP that neither staff nor their Kasi can
open), built on tests/conftest.py's `org`. RHK rows and `card.rhk_id` are written directly:
linking cards is another feature's service."""

from datetime import date, datetime
from types import SimpleNamespace

from app.extensions import db
from app.models import Board, Card, DeadlineChange
from app.models.performance import Rhk, RhkIndicator
from app.services import attachments, boards, cards
from tests import documents
from tests.conftest import get_user

DONE_COLUMNS = [
    {"name": "Antrean", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Proses", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
]


def rhk(user, text, *indicators, year=2026, position=0, kind="utama") -> Rhk:
    row = Rhk(user_id=user.id, year=year, text=text, position=position, kind=kind)
    row.indicators = [
        RhkIndicator(position=i, aspect="kuantitas", text=t, target=target)
        for i, (t, target) in enumerate(indicators)
    ]
    db.session.add(row)
    db.session.commit()
    return row


def done_card(actor, board, title, done_at, *, assignee, rhk_row=None, due="2026-12-31"):
    """A card assigned to `assignee`, in the board's done column, done at `done_at` (UTC)."""
    done = next(column for column in board.columns if column.kind == "done")
    card = cards.create_card(
        actor,
        board.id,
        {"title": title, "due_date": due},
        column_id=done.id,
    ).card
    card = db.session.get(Card, card.id)
    # Set directly: staff's card on Bidang IKP's board is one they held before a transfer.
    card.assignee_id = assignee.id
    card.done_at = done_at
    card.rhk_id = rhk_row.id if rhk_row is not None else None
    db.session.commit()
    return card.id


def build_performance(app, org) -> SimpleNamespace:
    with app.app_context():
        admin, staff = get_user("admin", org), get_user("staff", org)
        staff2 = get_user("staff2", org)
        main = db.session.get(Board, org.board_id)
        complaints = boards.create_board(admin, "Pengaduan Aplikasi", "SEKSI-APL", DONE_COLUMNS)
        elsewhere = boards.create_board(admin, "Liputan IKP", "BID-IKP", DONE_COLUMNS)
        serve = rhk(
            staff,
            "Terlayaninya permohonan aplikasi perangkat daerah",
            ("Jumlah permohonan aplikasi yang diselesaikan", "12 permohonan"),
            ("Persentase permohonan selesai tepat waktu", "90%"),
        )
        report = rhk(
            staff,
            "Tersusunnya laporan kinerja aplikasi",
            ("Jumlah laporan", "4 laporan"),
            position=1,
        )
        other = rhk(staff2, "Terkelolanya server", ("Uptime", "99%"))
        ids = SimpleNamespace(
            serve=serve.id,
            report=report.id,
            other=other.id,
            main=main.id,
            complaints=complaints.id,
            elsewhere=elsewhere.id,
        )
        ids.first = done_card(
            admin,
            main,
            "Aplikasi SIMPEG versi 2",
            datetime(2026, 10, 5, 3),
            assignee=staff,
            rhk_row=serve,
        )
        ids.second = done_card(
            admin,
            complaints,
            "Perbaikan formulir pengaduan",
            datetime(2026, 11, 10, 2),
            assignee=staff,
            rhk_row=serve,
        )
        ids.hidden = done_card(
            admin,
            elsewhere,
            "Bantu siaran pers",
            datetime(2026, 10, 20, 4),
            assignee=staff,
            rhk_row=serve,
        )
        ids.unlinked = done_card(
            admin, main, "Rapat koordinasi SPBE", datetime(2026, 12, 1, 1), assignee=staff
        )
        # 30 Sep 18:00 UTC is 1 Oct 01:00 WIB: done in the fourth quarter.
        ids.edge_in = done_card(
            admin, main, "Tengah malam Oktober", datetime(2026, 9, 30, 18), assignee=staff
        )
        # 31 Dec 20:00 UTC is 1 Jan 2027 03:00 WIB: not in the fourth quarter.
        ids.edge_out = done_card(
            admin, main, "Tahun baru", datetime(2026, 12, 31, 20), assignee=staff, rhk_row=report
        )
        ids.colleague = done_card(
            admin,
            main,
            "Pekerjaan Dewi",
            datetime(2026, 10, 7, 3),
            assignee=staff2,
            rhk_row=other,
        )
        open_card = cards.create_card(
            admin, main.id, {"title": "Belum selesai", "assignee": staff.login}
        ).card
        db.session.get(Card, open_card.id).rhk_id = report.id
        db.session.commit()
        ids.open = open_card.id
        ids.document = attachments.add(
            admin, ids.first, documents.upload(documents.pdf("Berita acara"), "berita acara.pdf")
        ).id
        db.session.add(
            DeadlineChange(
                card_id=ids.first,
                old_date=date(2026, 10, 1),
                new_date=date(2026, 10, 8),
                reason="Menunggu data dari BKD",
                actor_id=admin.id,
            )
        )
        archived = db.session.get(Card, ids.second)
        archived.archived_at = datetime(2026, 11, 30)
        db.session.commit()
        return ids
