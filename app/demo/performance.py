"""The demo office's SKP (issue 27): RHK for this year for the Kadis, the heads and most staff,
cascaded properly (each staff RHK supports their head's), and a realistic share of the existing
cards linked to their assignee's RHK, done ones on two boards for Dimas among them. One RHK of
Dimas has no work linked, so the heads' coverage view has something to show.

It works on whatever demo data exists: people are looked up by their demo NIPs (whoever is
missing is skipped), cards are read from the database and matched to an RHK by words of their
title; everything goes through the services (app/services/rhk.py, cards.update_card), as a
person would do it. Called by `create_demo` at the end.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from app.demo.office import PEOPLE
from app.extensions import db
from app.models import Board, Card, Membership, Sprint, User
from app.services import accounts, cards, rhk
from app.services.errors import ServiceError


@dataclass(frozen=True)
class DemoRhk:
    key: str  # how other RHK of the demo name this one as their parent
    person: str  # a demo person's key (app/demo/office.py)
    text: str
    indicators: tuple[tuple[str, str, str], ...]  # (aspect, indicator, target)
    parent: str | None = None
    kind: str = "utama"
    # Words of card titles that count toward this RHK; "*" takes the person's unmatched cards.
    words: tuple[str, ...] = field(default=())


# Top-down: a parent comes before the RHK that support it.
PLAN = [
    DemoRhk("kadis-kip", "kadis",
            "Meningkatnya keterbukaan informasi publik dan komunikasi pemerintah daerah",
            (("kualitas", "Indeks Keterbukaan Informasi Publik Kabupaten", "≥ 90 (Informatif)"),)),
    DemoRhk("kadis-spbe", "kadis",
            "Meningkatnya kualitas penyelenggaraan Sistem Pemerintahan Berbasis Elektronik (SPBE)",
            (("kualitas", "Indeks SPBE Kabupaten", "3,5 (Baik)"),)),
    DemoRhk("kadis-tata", "kadis",
            "Terselenggaranya tata kelola administrasi perkantoran dinas yang tertib",
            (("kuantitas", "Persentase surat dinas yang diselesaikan tepat waktu", "95%"),)),
    DemoRhk("sekretaris", "sekretaris",
            "Terkelolanya administrasi umum, kepegawaian, dan keuangan dinas",
            (("kualitas", "Nilai SAKIP perangkat daerah", "BB"),), parent="kadis-tata"),
    DemoRhk("kasubbag", "kasubbag",
            "Terlaksananya layanan persuratan dan kearsipan yang tertib dan tepat waktu",
            (("waktu", "Persentase surat masuk yang didisposisi dalam 1 hari kerja", "95%"),
             ("kuantitas", "Jumlah arsip dinamis yang tertata", "1.200 berkas")),
            parent="sekretaris"),
    DemoRhk("rudi", "rudi", "Tercatat dan terdistribusinya surat masuk dan surat keluar dinas",
            (("kuantitas", "Jumlah surat yang diagendakan", "1.500 surat"),
             ("waktu", "Surat terdistribusi paling lambat", "1 hari kerja")),
            parent="kasubbag", words=("surat", "agenda", "disposisi", "nota", "undangan", "*")),
    DemoRhk("nuraini", "nuraini", "Tertatanya arsip dinamis aktif dan inaktif dinas",
            (("kuantitas", "Jumlah berkas arsip yang ditata", "600 berkas"),),
            parent="kasubbag", words=("arsip", "berkas", "*")),
    DemoRhk("kabid-ikp", "kabid_ikp",
            "Meningkatnya kualitas layanan informasi publik dan publikasi pemerintah daerah",
            (("kuantitas", "Persentase permohonan informasi dijawab tepat waktu", "100%"),
             ("kuantitas", "Jumlah publikasi kegiatan pemerintah daerah", "300 publikasi")),
            parent="kadis-kip"),
    DemoRhk("pip-layanan", "kasi_pip",
            "Terlayaninya permohonan informasi publik sesuai standar layanan PPID",
            (("kuantitas", "Jumlah permohonan informasi yang dijawab", "150 permohonan"),
             ("waktu", "Permohonan dijawab paling lambat", "10 hari kerja")),
            parent="kabid-ikp"),
    DemoRhk("pip-konten", "kasi_pip",
            "Terkelolanya konten website dan media sosial resmi dinas",
            (("kuantitas", "Jumlah konten yang terbit", "240 konten"),), parent="kabid-ikp"),
    DemoRhk("dimas-publikasi", "dimas",
            "Terpublikasikannya informasi kegiatan pemerintah daerah melalui website dan media "
            "sosial",
            (("kuantitas", "Jumlah siaran pers dan berita yang terbit", "48 naskah"),
             ("kualitas", "Naskah terbit tanpa ralat", "100%")),
            parent="pip-konten",
            words=("siaran pers", "berita", "website", "konten", "media sosial", "infografis",
                   "publikasi", "liputan")),
    DemoRhk("dimas-permohonan", "dimas",
            "Terjawabnya permohonan informasi publik secara tepat waktu dan lengkap",
            (("kuantitas", "Jumlah permohonan informasi yang dijawab", "60 permohonan"),
             ("waktu", "Jawaban dikirim paling lambat", "10 hari kerja")),
            parent="pip-layanan", words=("permohonan", "informasi", "keberatan", "ppid", "*")),
    DemoRhk("dimas-survei", "dimas",
            "Tersusunnya laporan survei kepuasan masyarakat atas layanan informasi publik",
            (("kuantitas", "Laporan survei kepuasan", "1 laporan"),), parent="pip-layanan",
            kind="tambahan"),
    DemoRhk("fitri", "fitri",
            "Termutakhirkannya Daftar Informasi Publik (DIP) dinas",
            (("kuantitas", "Jumlah pemutakhiran DIP", "4 kali"),), parent="pip-layanan",
            words=("dip", "daftar informasi", "permohonan", "informasi", "*")),
    DemoRhk("ahmad", "ahmad",
            "Terlayaninya pemohon informasi di meja layanan PPID",
            (("kuantitas", "Jumlah pemohon yang dilayani", "200 orang"),), parent="pip-layanan",
            words=("permohonan", "pemohon", "layanan", "informasi", "*")),
    DemoRhk("kabid-aptika", "kabid_aptika",
            "Meningkatnya integrasi aplikasi layanan pemerintahan daerah",
            (("kuantitas", "Jumlah aplikasi yang terintegrasi dengan SSO", "12 aplikasi"),),
            parent="kadis-spbe"),
    DemoRhk("pa", "kasi_pa",
            "Terbangun dan terpeliharanya aplikasi layanan publik daerah",
            (("kuantitas", "Jumlah aplikasi yang dikembangkan atau dimutakhirkan", "6 aplikasi"),
             ("kualitas", "Ketersediaan layanan aplikasi (uptime)", "99%")),
            parent="kabid-aptika"),
]  # fmt: skip
# The developers of Seksi PA share one RHK shape (each their own row).
DEVELOPERS = ("rizky", "annisa", "yoga", "larasati")
DEVELOPER_WORDS = (
    "aplikasi", "sistem", "fitur", "api", "modul", "integrasi", "server", "website", "sso",
    "database", "basis data", "perbaikan", "bug", "*",
)  # fmt: skip
PLAN += [
    DemoRhk(
        f"dev-{key}",
        key,
        "Terkembangkan dan terpeliharanya aplikasi layanan publik yang ditugaskan",
        (
            ("kuantitas", "Jumlah fitur atau perbaikan yang dirilis", "24 rilis"),
            ("waktu", "Perbaikan gangguan paling lambat", "2 hari kerja"),
        ),
        parent="pa",
        words=DEVELOPER_WORDS,
    )
    for key in DEVELOPERS
]


def _people() -> dict[str, User]:
    found = {}
    for person in PEOPLE:
        user = accounts.find_login(person.login)
        if user is not None and user.active:
            found[person.key] = user
    return found


def seed_performance(year: int) -> dict[str, int]:
    """Create the demo RHK for `year` and link cards; returns {"rhk": n, "linked": n}."""
    people = _people()
    made: dict[str, int] = {}
    for spec in PLAN:
        owner = people.get(spec.person)
        if owner is None:
            continue
        data = {
            "year": year,
            "kind": spec.kind,
            "text": spec.text,
            "indicators": [
                {"aspect": aspect, "text": text, "target": target}
                for aspect, text, target in spec.indicators
            ],
            "parent_id": made.get(spec.parent) if spec.parent else None,
        }
        try:
            row = rhk.create_rhk(owner, owner, data)
        except ServiceError:
            # A demo rewritten with another structure: keep the RHK, without its parent.
            row = rhk.create_rhk(owner, owner, {**data, "parent_id": None})
        made[spec.key] = row.id
    linked = _link_cards(people, made, year)
    _name_sprint_goals(people, made)
    return {"rhk": len(made), "linked": linked}


def _name_sprint_goals(people: dict[str, User], made: dict[str, int]) -> None:
    """The information desk's open sprints serve the Kasi's RHK on information requests."""
    head = people.get("kasi_pip")
    if head is None or "pip-layanan" not in made:
        return
    board_ids = db.session.scalars(
        select(Board.id)
        .join(Membership, Membership.unit_id == Board.unit_id)
        .where(Membership.user_id == head.id, Membership.role == "head")
    ).all()
    for sprint in db.session.scalars(
        select(Sprint).where(Sprint.board_id.in_(board_ids), Sprint.state != "closed")
    ).all():
        try:
            rhk.set_sprint_goal_rhk(head, sprint.id, made["pip-layanan"])
        except ServiceError:
            continue


def _choose(title: str, specs: list[DemoRhk], made: dict[str, int], turn: int) -> int | None:
    lowered = title.lower()
    for spec in specs:
        if any(word != "*" and word in lowered for word in spec.words):
            return made[spec.key]
    fallback = [spec for spec in specs if "*" in spec.words]
    # About two in three unmatched cards count toward the main RHK; the rest stay unlinked
    # (the coverage view's "done work linked to no RHK").
    if fallback and turn % 3 != 2:
        return made[fallback[0].key]
    return None


def _link_cards(people: dict[str, User], made: dict[str, int], year: int) -> int:
    linked = 0
    by_person: dict[str, list[DemoRhk]] = {}
    for spec in PLAN:
        if spec.key in made and spec.words:
            by_person.setdefault(spec.person, []).append(spec)
    for key, specs in by_person.items():
        person = people[key]
        work = db.session.scalars(
            select(Card).where(Card.assignee_id == person.id).order_by(Card.id)
        ).all()
        turn = 0
        for card in work:
            if rhk.card_year(card.due_date) != year or card.rhk_id is not None:
                continue
            choice = _choose(card.title, specs, made, turn)
            turn += 1
            if choice is None:
                continue
            try:
                cards.update_card(person, card.id, {"rhk_id": choice}, version=card.version)
            except ServiceError:
                continue  # a card a plugin or the archive keeps as it is
            linked += 1
    return linked
