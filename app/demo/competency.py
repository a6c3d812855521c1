"""Skills in the demo office: verified skills, certificates and this year's learning log of the
staff, the publication board whose ten weeks of history show work waiting for the one person who
holds a skill, and skill labels on the cards that pile up on Fitri. All of it is core data
(skills, labels, cards) created through the services; the competency and workload plugins read
it when they are loaded.
"""

from datetime import date, timedelta

from sqlalchemy import select

from app.demo.dates import working_day, working_days_on
from app.demo.office import LAYANAN_INFORMASI, PEOPLE, column_spec
from app.extensions import db
from app.models import Board, Card, User
from app.services import boards, card_types, cards, skills

# --- competency: skills, certificates, learning and a history of work that waited -------------
# Seksi PIP's publication board: for ten weeks every poster, infographic and banner waited for
# Fitri, the only one in Bidang IKP who does graphic design (Canva); press releases, which three
# people can write, hardly waited. The gap analysis of SEKSI-PIP (or BID-IKP) names both.

COMPETENCY_SKILLS = {
    # person: {skill: level}, recorded and verified by their head
    "fitri": {"graphic-design": 3, "digital-promotion": 3, "public-communication-writing": 2},
    "dimas": {
        "public-communication-writing": 3,
        "public-presentation": 3,
        "digital-promotion": 2,
        "foreign-language": 2,
    },
    "ahmad": {"service-excellence": 3, "office-software": 2, "spreadsheet-data-analysis": 2},
    "kasi_pip": {
        "public-communication-writing": 3,
        "public-presentation": 3,
        "critical-thinking": 3,
        "spreadsheet-data-analysis": 3,
    },
    "kabid_ikp": {"public-presentation": 4, "critical-thinking": 3},
    "rizky": {"spreadsheet-data-analysis": 3, "office-software": 3},
    "annisa": {"graphic-design": 2, "office-software": 3},
    "yoga": {"critical-thinking": 2, "spreadsheet-data-analysis": 3},
    "rudi": {"office-software": 3, "service-excellence": 2},
    "nuraini": {"office-software": 2},
}
HEAD_OF = {"SEKSI-PIP": "kasi_pip", "BID-IKP": "kabid_ikp", "SEKSI-PA": "kasi_pa",
           "SUBBAG-UMPEG": "kasubbag", "BID-APTIKA": "kabid_aptika"}  # fmt: skip

DESIGN = "graphic-design"
WRITING = "public-communication-writing"
DATA = "spreadsheet-data-analysis"

# (person, activity, title, days ago, hours, skills)
COMPETENCY_LEARNING = [
    ("dimas", "training", "Pelatihan Kehumasan Pemerintah", 200, 24, [WRITING]),
    ("dimas", "e_learning", "Literasi Digital ASN", 120, 6, ["digital-promotion"]),
    ("fitri", "e_learning", "Desain Konten Media Sosial dengan Canva", 150, 3.5, [DESIGN]),
    ("fitri", "seminar", "Seminar Keterbukaan Informasi Publik", 60, 1.25, []),
    ("ahmad", "bimtek", "Bimtek Standar Pelayanan Informasi", 90, 4, ["service-excellence"]),
    ("kasi_pip", "coaching", "Coaching Kepemimpinan Pengawas", 180, 9, ["critical-thinking"]),
    ("kasi_pip", "training", "Analisis Data dengan Spreadsheet", 45, 6.75, [DATA]),
    ("rizky", "e_learning", "Dasar Keamanan Aplikasi Web", 30, 8, []),
    ("annisa", "mentoring", "Mentoring UI/UX bersama Diskominfo Provinsi", 75, 2, [DESIGN]),
]  # fmt: skip

# (title, skill, waited working days, worked working days or None (still open), column index,
#  assignee, estimate, created working days ago)
PUBLICATION_HISTORY = [
    ("Infografis layanan PPID Triwulan III", DESIGN, 5, 2, 3, "fitri", 3, 48),
    ("Poster Hari Hak untuk Tahu", DESIGN, 4, 1, 3, "fitri", 2, 45),
    ("Banner Instagram jadwal layanan informasi", DESIGN, 6, 1, 3, "fitri", 1.5, 42),
    ("Infografis standar layanan PPID", DESIGN, 4, 2, 3, "fitri", 3, 38),
    ("Desain sertifikat lomba video ASN", DESIGN, 5, 1, 3, "fitri", 2, 35),
    ("Poster survei kepuasan layanan", DESIGN, 3, 1, 3, "fitri", 1.5, 31),
    ("Template presentasi Kepala Dinas", DESIGN, 5, 2, 3, "fitri", 4, 28),
    ("Infografis rekap permohonan informasi", DESIGN, 4, 1, 3, "fitri", 2.5, 24),
    ("Banner website Sleman Smart City", DESIGN, 6, 2, 3, "fitri", 3, 20),
    ("Feed Instagram Hari Pahlawan", DESIGN, 4, 1, 3, "fitri", 1.5, 16),
    ("Poster maklumat pelayanan", DESIGN, 5, 1, 3, "fitri", 2, 12),
    ("Infografis capaian Bidang IKP", DESIGN, 4, None, 1, "fitri", 3, 8),
    ("Desain kop dan sampul laporan tahunan", DESIGN, 5, None, 1, "fitri", 4, 7),
    ("Poster sosialisasi aplikasi Lapor Sleman", DESIGN, 3, None, 2, "fitri", 2, 5),
    ("Banner Instagram libur akhir tahun", DESIGN, None, None, 0, None, 1.5, 4),
    ("Infografis tata cara keberatan informasi", DESIGN, None, None, 0, None, 2, 3),
    ("Poster layanan informasi via WhatsApp", DESIGN, None, None, 0, None, 1.5, 2),
    ("Feed Instagram rekap kegiatan minggu ini", DESIGN, None, None, 0, None, 1, 1),
    ("Siaran pers peluncuran PPID Desa", WRITING, 0, 1, 3, "dimas", 2, 40),
    ("Siaran pers Festival Literasi Digital", WRITING, 1, 1, 3, "dimas", 2, 33),
    ("Naskah sambutan Kepala Dinas", WRITING, 0, 2, 3, "kasi_pip", 3, 27),
    ("Siaran pers capaian keterbukaan informasi", WRITING, 1, 1, 3, "dimas", 2, 19),
    ("Rilis berita rapat koordinasi PPID", WRITING, 0, 1, 3, "fitri", 1.5, 11),
    ("Rekap statistik permohonan informasi", DATA, 1, 2, 3, "ahmad", 3, 30),
    ("Analisis survei kepuasan layanan", DATA, 1, 3, 3, "kasi_pip", 5, 14),
]  # fmt: skip


def create_competency_history(admin: User, people: dict[str, User], today: date) -> int:
    """Skills (verified by each person's head), certificates and this year's learning log; the
    publication board's ten weeks are played with the rest of the history
    (`plan_publication_board`). Returns the number of that board's cards."""
    skills.seed_catalog()
    unit_of = {person.key: person.unit for person in PEOPLE}
    for key, levels in COMPETENCY_SKILLS.items():
        head = people[HEAD_OF.get(unit_of[key], "kadis")] if key in people else admin
        verifier = head if head.id != people[key].id else people["kadis"]
        skills.set_user_skills(verifier, people[key], levels, replace=False)
    # A TOEFL that lapses in six weeks (warns now) and an IELTS that has lapsed.
    skills.add_certificate(
        people["dimas"],
        people["dimas"],
        {
            "test": "TOEFL",
            "score": 523,
            "taken_on": today - timedelta(days=730 - 42),
            "expires_on": today + timedelta(days=42),
        },
    )
    skills.add_certificate(
        people["kasi_pip"],
        people["kasi_pip"],
        {
            "test": "IELTS",
            "score": 6.5,
            "taken_on": today - timedelta(days=760),
            "expires_on": today - timedelta(days=30),
        },
    )
    first_of_year = date(today.year, 1, 1)
    for key, activity, title, days_ago, hours, slugs in COMPETENCY_LEARNING:
        skills.record_learning(
            people[key],
            people[key],
            {
                "activity": activity,
                "title": title,
                "date": max(today - timedelta(days=days_ago), first_of_year),
                "hours": hours,
                "skills": slugs,
            },
        )

    return len(PUBLICATION_HISTORY)


def plan_publication_board(player, admin: User, people: dict[str, User]) -> Board:
    """The publication board, created now (the clock at the history's start), and its ten weeks
    of cards queued on the demo's history `player`: each card arrives, waits, is started and
    (most) published on the working days its line in PUBLICATION_HISTORY says."""
    skills.seed_catalog()  # its cards carry skill labels, which name the catalogue's skills
    board = boards.create_board(
        admin,
        "Publikasi dan Media Sosial",
        "SEKSI-PIP",
        columns=[
            column_spec("Antrean Desain dan Naskah", "backlog"),
            column_spec("Produksi", "active", 6),
            column_spec("Tinjau Kasi", "active", 4, "soft"),
            column_spec("Terbit", "done"),
        ],
        personal_wip_limit=3,
    )
    card_types.add(admin, "type", board.id, "Publikasi", "purple")  # the cards' type
    column_ids = [column.id for column in board.columns]
    today = player.today
    for title, slug, waited, worked, column, assignee, estimate, age in PUBLICATION_HISTORY:
        created_day = player.back(today, age)
        started = player.on(created_day, waited) if waited is not None else None
        finished = player.on(started, worked) if worked is not None else None
        data = {
            "title": title,
            "type": "publikasi",
            "assignee": people[assignee] if assignee else None,
            "due_date": working_day(today, 5) if column == 0 else working_days_on(created_day, 8),
            "estimate": float(estimate),
            "labels": [f"skill:{slug}"],
        }
        owner = people[assignee] if assignee else people["kasi_pip"]
        # Started: into Produksi; published: through Tinjau Kasi into Terbit; still open: the
        # columns its line names, reached on the day it was started.
        steps = []
        if column >= 1:
            steps.append((started, column_ids[1]))
        if column >= 2:
            steps.append((finished or started, column_ids[2]))
        if column >= 3:
            steps.append((finished, column_ids[3]))
        _queue_card(player, people["kasi_pip"], owner, board.id, data, created_day, steps)
    return board


def _queue_card(player, creator, owner, board_id, data, created_day, steps) -> None:
    made = {}

    def create():
        made["id"] = cards.create_card(creator, board_id, data).card.id

    player.at(created_day, 8, 30, create)
    for number, (day, column_id) in enumerate(steps):
        player.at(
            day,
            10 + 2 * number,
            0,
            lambda column_id=column_id: cards.move_card(owner, made["id"], column_id),
        )


# --- workload: skills on the cards that pile up on Fitri ------------------------------------------
# On Layanan Informasi Publik, Fitri holds 4 active cards against a team median of 2.5, so the
# workload plugin flags her (1.5 x the median). Three of her cards ask for a skill; the plugin
# suggests the least-loaded member who holds it, e.g. Ahmad Fauzi for the data request that needs
# service excellence, and a head reassigns it with one click.

WORKLOAD_CARD_SKILLS = {
    # card title on Layanan Informasi Publik -> the skill it asks for
    "Permohonan data anggaran pemeliharaan jalan 2024": "service-excellence",
    "Rilis berita peluncuran Sleman Smart Regency": "public-communication-writing",
    "Monitoring komentar akun media sosial resmi Pemkab": "digital-promotion",
}
WORKLOAD_SKILLS = {
    # person -> skills they need to hold for the suggestions above (added when missing)
    "ahmad": {"service-excellence": 3},
    "dimas": {"public-communication-writing": 3, "digital-promotion": 2},
    "kasi_pip": {"public-communication-writing": 3},
    "fitri": {"digital-promotion": 3, "public-communication-writing": 2},
}


def create_workload_demo(people: dict[str, User]) -> None:
    """Skill labels on Fitri's cards and the skills that let the workload plugin suggest who
    could take them; everything through the skills and card services."""
    skills.seed_catalog()
    held = skills.skills_of_users([people[key].id for key in WORKLOAD_SKILLS])
    for key, levels in WORKLOAD_SKILLS.items():
        have = held[people[key].id]
        missing = {slug: level for slug, level in levels.items() if slug not in have}
        if missing:
            skills.set_user_skills(people["kasi_pip"], people[key], missing, replace=False)
    board_id = db.session.scalar(
        select(Board.id).where(Board.name == LAYANAN_INFORMASI.name).order_by(Board.id)
    )
    for title, slug in WORKLOAD_CARD_SKILLS.items():
        card = db.session.scalar(select(Card).where(Card.board_id == board_id, Card.title == title))
        labels = list(card.labels or []) + [f"skill:{slug}"]
        cards.update_card(people["kasi_pip"], card.id, {"labels": labels}, version=card.version)
