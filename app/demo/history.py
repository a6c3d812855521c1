"""Twelve weeks of the demo office's work, played through the services with a moved clock.

Two kinds of cards:

- the cards of `office.py` (what the boards show today): each gets a past of its own that ends
  where its data says: created some working days ago (by the board's intake desk), assigned by the
  head on the first working day, moved one column at a time, its deadline moved with the reason
  its data gives, commented on, its draft letter revised;
- the cards of the twelve weeks before (`HISTORY` below, drawn with a fixed seed): requests,
  complaints, letters, bugs that came in, were worked on and finished, some late, some after a
  slipped deadline, some in a column over its limit with a head's written override. Who got them
  shifts over the weeks (the load moves from one person to another, as it does).

The Layanan Informasi Publik board works in two-week sprints: five are closed with a review (the
goal met, partly met or not), the sixth starts today. Plugins act on each working day through
`office.each_working_day` (the approvals plugin gives or returns paraf there).

Everything goes through the services, so events, flow metrics, SLA clocks, the workload trend
and sprint reviews all read true figures. Deterministic: a fixed seed, days relative to today.
"""

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from app.demo.office import BOARDS, DemoBoard, DemoCard, Slip
from app.demo.pdf import simple_pdf
from app.demo.player import Player
from app.extensions import db
from app.models import Board, Card, Sprint, User
from app.services import attachments, cards, sprints
from app.services.errors import ServiceError

SEED = 20260
WEEKS = 12

# Who registers the incoming work of a board (the intake desk creates the cards).
INTAKE = {"Layanan Informasi Publik": "ahmad", "Pengembangan Aplikasi": "kasi_pa",
          "Persuratan": "rudi"}  # fmt: skip
# Working days from a card's arrival to its due date, by type (what the unit promises).
PROMISED = {"permohonan-informasi": 10, "keberatan": 30, "pengaduan": 3, "surat-keluar": 5,
            "surat-masuk": 3, "konten": 4, "bug": 6, "pengembangan": 15}  # fmt: skip

WIP_OVERRIDE_REASON = (
    "Perintah langsung Kepala Dinas: harus selesai minggu ini, kartu lain di kolom ini ditunda."
)


@dataclass(frozen=True)
class Recurring:
    """A kind of work that keeps coming to a board: titles to draw from, its type, labels, who
    does it (weights per phase: the first six weeks, then the last six), hours."""

    titles: tuple[str, ...]
    type: str
    labels: tuple[str, ...]
    early: dict[str, int]
    late: dict[str, int]
    estimate: tuple[int, int]
    lead: tuple[int, int]  # working days from arrival to done
    per_week: float


HISTORY: dict[str, list[Recurring]] = {
    "Layanan Informasi Publik": [
        Recurring(
            (
                "Permohonan data realisasi APBD {year} Kapanewon {place}",
                "Permohonan salinan SK Bupati tentang {topic}",
                "Permohonan data {topic} per kalurahan di Kapanewon {place}",
                "Permohonan informasi hasil audit {topic}",
            ),
            "permohonan-informasi",
            ("PPID",),
            {"dimas": 5, "ahmad": 2, "fitri": 1},
            {"dimas": 2, "ahmad": 2, "fitri": 4},
            (2, 6),
            (5, 13),
            1.4,
        ),
        Recurring(
            (
                "Pengaduan LAPOR!: {topic} di Kapanewon {place}",
                "Pengaduan warga: layanan {topic} lambat",
            ),
            "pengaduan",
            ("LAPOR!",),
            {"ahmad": 3, "dimas": 1},
            {"ahmad": 2, "fitri": 2},
            (1, 3),
            (1, 5),
            0.8,
        ),
        Recurring(
            (
                "Siaran pers {topic}",
                "Konten Instagram: {topic}",
                "Klarifikasi hoaks {topic}",
            ),
            "konten",
            ("Humas",),
            {"fitri": 2, "dimas": 2},
            {"fitri": 4, "dimas": 1},
            (2, 4),
            (3, 7),
            0.8,
        ),
        Recurring(
            (
                "Surat jawaban permohonan informasi a.n. {person}",
                "Surat pemberitahuan perpanjangan waktu jawaban a.n. {person}",
            ),
            "surat-keluar",
            ("PPID",),
            {"dimas": 3, "ahmad": 1},
            {"dimas": 1, "fitri": 2},
            (1, 2),
            (5, 9),
            0.6,
        ),
    ],
    "Pengembangan Aplikasi": [
        Recurring(
            (
                "Perbaikan bug {app}: {problem}",
                "Galat {problem} di {app}",
            ),
            "bug",
            ("Bug",),
            {"rizky": 4, "annisa": 1, "yoga": 1},
            {"rizky": 1, "annisa": 2, "wulan": 2},
            (2, 8),
            (3, 9),
            0.9,
        ),
        Recurring(
            (
                "Fitur {app}: {feature}",
                "Pengembangan {feature} untuk {app}",
            ),
            "pengembangan",
            ("SPBE",),
            {"yoga": 3, "wulan": 2},
            {"yoga": 2, "wulan": 1, "larasati": 2},
            (8, 24),
            (8, 18),
            0.6,
        ),
        Recurring(
            (
                "Pembuatan akun {app} untuk {unit}",
                "Pemutakhiran data {app} semester ini",
            ),
            "tugas",
            ("Layanan",),
            {"larasati": 2, "rizky": 1},
            {"larasati": 3},
            (1, 3),
            (1, 4),
            0.6,
        ),
    ],
    "Persuratan": [
        Recurring(
            (
                "Surat undangan rapat {topic}",
                "Surat balasan permohonan {topic}",
                "Surat pengantar laporan {topic} ke {unit}",
            ),
            "surat-keluar",
            (),
            {"rudi": 3, "nuraini": 2},
            {"nuraini": 4, "rudi": 1},
            (1, 2),
            (4, 8),
            1.6,
        ),
        Recurring(
            (
                "Surat masuk dari {unit}: {topic}",
                "Undangan {topic} dari {unit}",
            ),
            "surat-masuk",
            ("Undangan",),
            {"nuraini": 2, "rudi": 1},
            {"rudi": 2, "nuraini": 1},
            (1, 1),
            (1, 4),
            1.0,
        ),
        Recurring(
            ("Nota dinas {topic}",),
            "nota-dinas",
            ("Keuangan",),
            {"kasubbag": 1, "rudi": 1},
            {"kasubbag": 2},
            (2, 4),
            (3, 7),
            0.4,
        ),
    ],
}

WORDS = {
    "year": ("2024", "2025"),
    "place": ("Depok", "Mlati", "Gamping", "Ngaglik", "Kalasan", "Berbah", "Prambanan", "Turi",
              "Pakem", "Sleman", "Tempel", "Minggir", "Moyudan", "Seyegan", "Cangkringan"),
    "topic": ("penerangan jalan umum", "bantuan sosial", "sampah", "perizinan usaha",
              "air bersih", "jalan rusak", "beasiswa daerah", "pajak daerah", "stunting",
              "pengadaan barang dan jasa", "rekrutmen PPPK", "Festival Literasi Digital",
              "Hari Keterbukaan Informasi", "jaringan internet kalurahan", "menara telekomunikasi"),
    "person": ("Sdr. Bayu Saputra", "Sdri. Intan Permata", "Sdr. Joko Susilo", "LSM Sleman Bersih",
               "Sdri. Rina Marlina", "Sdr. Teguh Wibowo", "Forum Warga Ngaglik"),
    "app": ("SIMPEG", "e-Kinerja", "portal PPID", "Sleman Smart", "aplikasi perizinan",
            "e-Surat", "portal berita"),
    "problem": ("ekspor PDF terpotong", "login gagal setelah ganti sandi", "unggah foto lambat",
                "notifikasi ganda", "tanggal tampil terbalik", "halaman kosong di ponsel"),
    "feature": ("laporan bulanan otomatis", "tanda tangan elektronik", "dasbor rekap",
                "pencarian arsip", "formulir daring"),
    "unit": ("BKPP", "Bappeda", "Inspektorat", "Dinas Kesehatan", "DPMPTSP", "Setda"),
}  # fmt: skip

SLIP_REASONS = (
    "Data dari perangkat daerah pemilik informasi belum lengkap; sudah dikirim surat susulan.",
    "Pimpinan dinas luar sampai Kamis; paraf menunggu beliau kembali.",
    "Perpanjangan sesuai ketentuan; pemohon sudah diberi tahu secara tertulis.",
    "Server uji dipakai untuk persiapan UAT aplikasi lain.",
    "Menunggu konfirmasi jadwal dari instansi pengundang.",
)
COMMENTS = (
    "Sudah saya koordinasikan lewat telepon, tinggal menunggu berkasnya.",
    "Mohon dicek ulang lampirannya sebelum diajukan.",
    "Draf pertama sudah jadi, saya unggah di kartu ini.",
    "Pemohon menanyakan perkembangan lewat WhatsApp, sudah saya jawab.",
    "Ikuti format yang dipakai bulan lalu saja.",
)


class History:
    """The demo's past, queued on a `Player` and played in time order."""

    def __init__(self, player: Player, people: dict[str, User], boards: dict[str, Board]):
        self.player = player
        self.people = people
        self.boards = boards
        self.random = random.Random(SEED)
        self.card_ids: dict[str, int] = {}  # title -> id, for the cards of office.py
        self.created = 0
        self.columns = {name: [c.id for c in board.columns] for name, board in boards.items()}
        self.targets: list[tuple[str, dict, int]] = []  # (board, card state, column index)
        self.sprint_ids: dict[date, int] = {}

    def finish(self) -> list[str]:
        """After the history: a card whose last move was refused until yesterday (a paraf
        still waiting, a limit) makes it now; what still cannot is reported."""
        for board, state, target in self.targets:
            if "id" not in state:
                continue
            card = db.session.get(Card, state["id"])
            columns = self.columns[board]
            while columns.index(card.column_id) < target:
                try:
                    self._move(
                        card.assignee or self._head(board),
                        card,
                        columns[columns.index(card.column_id) + 1],
                        board,
                        last=True,
                    )
                except ServiceError as error:
                    self.player.failures.append(f"{card.title}: {error.code} (today)")
                    break
                card = db.session.get(Card, state["id"])
        return self.player.failures

    # --- one card's past ------------------------------------------------------------------------

    def plan_office_card(self, spec: DemoBoard, item: DemoCard) -> None:
        """The past of a card the board shows today: it ends in its column with its data."""
        p, last = self.player, len(spec.columns) - 1
        first_due = p.on(p.today, 0) if item.due is None else _day(p.today, item.due)
        final_due = _day(p.today, item.slips[-1].due) if item.slips else first_due
        promised = PROMISED.get(item.type, 7)
        if item.column == last:
            done = p.clamp(p.back(final_due, self.random.choice((0, 0, 1, 2))))
            created = p.back(done, self.random.randint(4, 12) + 2 * item.column)
        else:
            created = p.back(first_due, promised) if item.due is not None else None
            created = created or p.back(p.today, self.random.randint(1, 8))
            created = p.clamp(created)
            # The last move: yesterday into the column before the done one (a paraf asked
            # yesterday still waits today), a few days ago into the others.
            done = p.yesterday
            if item.column != last - 1:
                done = max(p.back(done, self.random.randint(0, 4)), p.on(created, 1))
                done = min(done, p.yesterday)
        created = min(created, p.back(done, item.column + 1))
        for slip in item.slips:
            created = min(created, p.back(min(_day(p.today, slip.due), first_due), 2))
        created = max(created, p.first)
        moves = _spread(p, created, done, item.column, end_on_last=True)
        owner = item.assignee or spec.head
        intake = INTAKE[spec.name]
        data = {
            "title": item.title,
            "type": item.type,
            "description": item.description,
            "due_date": first_due if item.due is not None else None,
            "priority": item.priority,
            "estimate": item.estimate,
            "labels": list(item.labels),
        }
        if item.column == 0 and item.assignee:
            data["assignee"] = self.people[item.assignee]
        self._plan_card(
            spec.name,
            data,
            created=created,
            creator=intake,
            assignee=item.assignee if item.column > 0 else None,
            owner=owner,
            moves=moves,
            slips=[(slip, first_due) for slip in item.slips],
            comments=list(item.comments),
            letter=item.type == "surat-keluar",
            revised=bool(item.comments),
            remember=True,
        )

    def plan_recurring_work(self) -> None:
        """The cards of the twelve weeks before, all finished by yesterday."""
        p = self.player
        days = p.days()
        for board, kinds in HISTORY.items():
            spec = next(b for b in BOARDS if b.name == board)
            last = len(spec.columns) - 1
            for kind in kinds:
                # About `per_week` cards a week, arriving on random working days.
                weeks = len(days) / 5
                arrivals = days[: -kind.lead[0] - 2]
                for _n in range(round(kind.per_week * weeks) if arrivals else 0):
                    created = self.random.choice(arrivals)
                    lead = self.random.randint(*kind.lead)
                    done = p.on(created, lead)
                    if done >= p.today:
                        continue
                    late_phase = created >= days[len(days) // 2]
                    weights = kind.late if late_phase else kind.early
                    who = self.random.choices(list(weights), list(weights.values()))[0]
                    promised = PROMISED.get(kind.type, lead + 2)
                    due = p.on(created, promised + self.random.choice((0, 0, 1, 3)))
                    slips = []
                    if self.random.random() < 0.2 and done > due:
                        new_due = p.on(due, self.random.randint(2, 6))
                        slip = Slip(0, self.random.choice(SLIP_REASONS), who)
                        slips.append((slip, due, new_due))
                    comments = []
                    if self.random.random() < 0.35:
                        author = self.random.choice([who, spec.head])
                        comments.append((author, self.random.choice(COMMENTS)))
                    self._plan_card(
                        board,
                        {
                            "title": self._title(kind),
                            "type": kind.type,
                            "due_date": due,
                            "estimate": float(self.random.randint(*kind.estimate)),
                            "labels": list(kind.labels),
                            "priority": self.random.choice(("normal",) * 4 + ("high",)),
                        },
                        created=created,
                        creator=INTAKE[board],
                        assignee=who,
                        owner=who,
                        moves=_spread(p, created, done, last, end_on_last=True),
                        slips=slips,
                        comments=comments,
                        letter=kind.type == "surat-keluar",
                        revised=bool(comments),
                    )

    def _title(self, kind: Recurring) -> str:
        title = self.random.choice(kind.titles)
        for word, choices in WORDS.items():
            title = title.replace("{" + word + "}", self.random.choice(choices))
        return title

    def _plan_card(
        self,
        board: str,
        data: dict,
        *,
        created: date,
        creator: str,
        assignee: str | None,
        owner: str,
        moves: list[date],
        slips: list,
        comments: list[tuple[str, str]],
        letter: bool,
        revised: bool,
        remember: bool = False,
    ) -> None:
        p, rnd = self.player, self.random
        state: dict = {}
        board_id = self.boards[board].id
        head = self.people[next(b.head for b in BOARDS if b.name == board)]

        def create():
            card = cards.create_card(self.people[creator], board_id, data).card
            state["id"] = card.id
            self.created += 1
            if remember:
                self.card_ids[data["title"]] = card.id
            if letter:
                state["document"] = add_draft_letter(self.people[owner], card, board)

        p.at(created, 8, rnd.randint(0, 50), create)
        first_work = moves[0] if moves else None
        if assignee and first_work:
            p.at(first_work, 8, 55, lambda: self._assign(head, state["id"], assignee))
        if letter and revised and first_work:
            p.at(first_work, 9, 5, lambda: self._revise(owner, state, board))
        for number, day in enumerate(moves, start=1):
            hour = 15 if number == len(moves) else 9 + min(number, 4)
            p.at(day, hour, rnd.randint(0, 59), self._advance(board, state, number))
        if moves:
            self.targets.append((board, state, len(moves)))
        span = [d for d in p.days() if created < d <= (moves[-1] if moves else p.yesterday)]
        for slip_data in slips:
            slip, old_due = slip_data[0], slip_data[1]
            new_due = slip_data[2] if len(slip_data) > 2 else _day(p.today, slip.due)
            # The deadline is moved on the day it falls due at the latest.
            when = [d for d in span if d <= min(old_due, new_due)]
            day = when[-1] if when else (span[0] if span else created)
            p.at(day, 13, rnd.randint(0, 30), self._slip(slip, new_due, state))
        for n, (author, body) in enumerate(comments):
            day = (
                span[min(len(span) - 1, (n + 1) * len(span) // (len(comments) + 1))]
                if span
                else created
            )
            p.at(day, 11, rnd.randint(0, 59), self._comment(author, body, state))

    # --- actions --------------------------------------------------------------------------------

    def _assign(self, head: User, card_id: int, who: str) -> None:
        card = db.session.get(Card, card_id)
        cards.update_card(head, card_id, {"assignee": self.people[who]}, version=card.version)

    def _revise(self, owner: str, state: dict, board: str) -> None:
        document = state.get("document")
        if document is None:
            return
        card = db.session.get(Card, state["id"])
        lines = [
            "PEMERINTAH KABUPATEN SLEMAN",
            board.upper(),
            "",
            card.title,
            "",
            "KONSEP (perbaikan)",
        ]
        name = _letter_name(card.title)
        attachments.add_version(
            self.people[owner],
            document,
            attachments.Upload(io.BytesIO(simple_pdf(lines, title=card.title)), name),
        )

    def _advance(self, board: str, state: dict, target: int) -> Callable[[], None]:
        """Move the card towards column `target`, one column at a time; a move refused (a
        plugin's veto, a hard limit nobody overrides) is tried again the next working day."""
        tries = {"left": 8}

        def advance():
            card = db.session.get(Card, state["id"])
            columns = self.columns[board]
            where = columns.index(card.column_id)
            if where >= target:
                return
            actor = card.assignee or self._head(board)
            try:
                self._move(actor, card, columns[where + 1], board)
            except ServiceError:
                tries["left"] -= 1
                day = self.player.on(self.player.local_day(), 1)
                if tries["left"] and day < self.player.today:
                    self.player.at(day, 9, 30, advance)
                return  # else `finish` tries once more today and reports a refusal
            if columns.index(db.session.get(Card, state["id"]).column_id) < target:
                advance()  # more than one column to go on this day

        return advance

    def _move(self, actor: User, card: Card, column_id: int, board: str, *, last=False) -> None:
        try:
            cards.move_card(actor, card.id, column_id)
        except ServiceError as error:
            if error.code not in ("wip_limit_reached", "personal_wip_limit_reached"):
                raise
            pressing = card.priority in ("high", "urgent") or (
                card.due_date is not None and card.due_date <= self.player.local_day()
            )
            if not (pressing or last):
                raise  # it waits for a free place, tried again the next working day
            # Urgent or due: the head decides and writes why (an audited WIP override).
            cards.move_card(
                self._head(board), card.id, column_id, override_reason=WIP_OVERRIDE_REASON
            )

    def _slip(self, slip: Slip, new_due: date, state: dict) -> Callable[[], None]:
        def change():
            card = db.session.get(Card, state["id"])
            by = self.people.get(slip.by, card.assignee)
            by = by or self._head_of_card(card)
            cards.update_card(
                by,
                card.id,
                {"due_date": new_due},
                version=card.version,
                deadline_reason=slip.reason,
            )

        return change

    def _comment(self, author: str, body: str, state: dict) -> Callable[[], None]:
        return lambda: cards.add_comment(self.people[author], state["id"], body)

    def _head(self, board: str) -> User:
        return self.people[next(b.head for b in BOARDS if b.name == board)]

    def _head_of_card(self, card: Card) -> User:
        return self._head(next(n for n, b in self.boards.items() if b.id == card.board_id))


# --- sprints --------------------------------------------------------------------------------------

SPRINT_GOALS = (
    "Semua permohonan informasi yang masuk dijawab tepat waktu",
    "Tunggakan pengaduan LAPOR! bulan lalu selesai",
    "Konten Hari Keterbukaan Informasi terbit sesuai jadwal",
    "Rekap permohonan informasi untuk Komisi Informasi siap",
    "Semua surat jawaban pemohon diparaf tanpa dikembalikan",
    "Semua permohonan informasi yang masuk bulan ini dijawab tepat waktu",
)
REVIEW_NOTES = {
    "partly": "Sebagian kartu lewat tenggat, tertahan menunggu data dari perangkat daerah lain.",
    "no": "Dua pegawai bertugas di luar kantor satu minggu; beban permohonan menumpuk.",
}


def plan_sprints(player: Player, history: History, head: User, board: Board, count_: int) -> None:
    """Two-week sprints on a board: `count_` closed ones before this week, each planned on the
    Friday before, started on Monday with the cards due in it, closed on the second Friday with
    the head's verdict; the next one is planned before a sprint closes so unfinished cards move
    on. The current sprint is started by `start_current_sprint`, today."""
    this_monday = player.today - timedelta(days=player.today.weekday())
    mondays = [this_monday - timedelta(days=14 * n) for n in range(count_, 0, -1)]
    state: dict = {}

    def create(monday: date, number: int):
        def run():
            sprint = sprints.create_sprint(
                head,
                board.id,
                {
                    "name": f"Sprint {monday.isocalendar().week}",
                    "goal": SPRINT_GOALS[number % len(SPRINT_GOALS)],
                    "start": monday.isoformat(),
                    "end": (monday + timedelta(days=11)).isoformat(),
                },
            )
            state[monday] = sprint.id

        return run

    def start(monday: date):
        def run():
            sprint = db.session.get(Sprint, state[monday])
            end = monday + timedelta(days=11)
            # The head commits the cards due in the sprint and a few due just after it.
            candidates = [
                c
                for c in sprints.backlog_cards(sprint)
                if c.due_date and c.due_date <= end + timedelta(days=4)
            ]
            candidates.sort(key=lambda c: c.due_date)
            if candidates:
                sprints.add_cards(head, sprint.id, [c.id for c in candidates[:8]])
            sprints.start_sprint(head, sprint.id)

        return run

    def close(monday: date, following: date):
        def run():
            sprint = db.session.get(Sprint, state[monday])
            # The goals are about finishing, on time: met when every committed card is done
            # and most by their due date, partly when most are done.
            committed = sprints.sprint_cards(sprint)
            done = [c for c in committed if c.column.kind == "done"]
            on_time = [c for c in done if c.due_date is None or c.done_at.date() <= c.due_date]
            total = len(committed) or 1
            if len(done) == len(committed) and len(on_time) / total >= 0.6:
                verdict = "yes"
            else:
                verdict = "partly" if len(done) / total >= 0.6 else "no"
            sprints.close_sprint(
                head,
                sprint.id,
                verdict,
                note=REVIEW_NOTES.get(verdict, ""),
                carry_over="next",
                next_sprint_id=state[following],
            )

        return run

    all_mondays = [*mondays, this_monday]
    for number, monday in enumerate(all_mondays):
        friday_before = player.back(monday - timedelta(days=1), 0)
        player.at(friday_before, 14, 0, create(monday, number))
    for number, monday in enumerate(mondays):
        player.at(player.on(monday, 0), 8, 15, start(monday))
        closing = player.back(monday + timedelta(days=11), 0)
        player.at(closing, 16, 0, close(monday, all_mondays[number + 1]))
    history.sprint_ids = state


def _spread(player: Player, start: date, end: date, moves: int, end_on_last: bool) -> list[date]:
    """The days of `moves` moves between `start` and `end` (the last on `end`): the last column
    is reached at least three working days after the one before it (a review or a paraf takes
    time), the others spread evenly before that."""
    if moves <= 0:
        return []
    if moves == 1:
        return [end]
    before = max(start, player.back(end, 3))
    days, day = [], start
    while day < before:
        day = player.on(day, 1)
        days.append(min(day, before))
    if not days:
        days = [start]
    count_ = moves - 1
    # At 1/(k+1), 2/(k+1), ... of the way: the first move is not always on the same day.
    picked = [
        days[max(0, min(len(days) - 1, round((n + 1) * len(days) / (count_ + 1)) - 1))]
        for n in range(count_)
    ]
    return [*picked, end]


def _day(today: date, offset: int) -> date:
    from app.demo.dates import working_day

    return working_day(today, offset)


def _letter_name(title: str) -> str:
    title = title[:80]
    return f"{title}.pdf" if title.lower().startswith("konsep") else f"Konsep {title}.pdf"


def add_draft_letter(owner: User, card: Card, board: str) -> int:
    """A draft of the letter (a one-page PDF) on an outgoing letter's card; its id."""
    lines = ["PEMERINTAH KABUPATEN SLEMAN", board.upper(), "", card.title, "", "KONSEP"]
    document = attachments.add(
        owner,
        card.id,
        attachments.Upload(
            io.BytesIO(simple_pdf(lines, title=card.title)), _letter_name(card.title)
        ),
    )
    return document.id
