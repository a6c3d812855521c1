"""Benchmark: importing 5,000 people from the staff register (issue 21).

    .venv/bin/python bench/import.py [--rows 5000] [--pg postgresql+psycopg://...] [--check]

Generates a realistic people file (plausible NIPs, Indonesian names and degrees, jabatan,
phones, emails, a few heads) over a Dinas of 12 units, then on a fresh SQLite file database
(and on PostgreSQL when --pg is given; that database is emptied first!) times, through
app/services/imports.py as the page, the API and the CLI call it:

- reading the file (CSV) and the dry run of the first import (every row a creation);
- applying it;
- the dry run and the apply of the same file again (every row unchanged);
- the dry run and the apply of a file where one person in ten has a new phone and jabatan.

Target: dry run + apply of 5,000 rows under 20 s on each database. --check exits 1 if missed.
"""

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import User  # noqa: E402
from app.services import accounts, import_files, imports  # noqa: E402

TARGET_SECONDS = 20.0

# A Dinas tree of 12 units: (code, name, parent code). tests/data/first_day_units.csv holds it.
UNITS = [
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika", ""),
    ("SEKRETARIAT", "Sekretariat", "DISKOMINFO"),
    ("SUBBAG-UMPEG", "Subbagian Umum dan Kepegawaian", "SEKRETARIAT"),
    ("SUBBAG-KEU", "Subbagian Keuangan dan Perencanaan", "SEKRETARIAT"),
    ("BID-IKP", "Bidang Informasi dan Komunikasi Publik", "DISKOMINFO"),
    ("SEKSI-PIP", "Seksi Pengelolaan Informasi Publik", "BID-IKP"),
    ("SEKSI-KP", "Seksi Komunikasi Publik", "BID-IKP"),
    ("BID-APTIKA", "Bidang Aplikasi Informatika", "DISKOMINFO"),
    ("SEKSI-LAYANAN", "Seksi Layanan E-Government", "BID-APTIKA"),
    ("SEKSI-INFRA", "Seksi Infrastruktur TIK", "BID-APTIKA"),
    ("SEKSI-STATISTIK", "Seksi Statistik Sektoral", "BID-STATSAN"),
    ("BID-STATSAN", "Bidang Statistik dan Persandian", "DISKOMINFO"),
]
HEAD_TITLES = {
    "DISKOMINFO": "Kepala Dinas",
    "SEKRETARIAT": "Sekretaris",
    "SUBBAG-UMPEG": "Kepala Subbagian Umum dan Kepegawaian",
    "SUBBAG-KEU": "Kepala Subbagian Keuangan dan Perencanaan",
    "BID-IKP": "Kepala Bidang Informasi dan Komunikasi Publik",
    "SEKSI-PIP": "Kepala Seksi Pengelolaan Informasi Publik",
    "SEKSI-KP": "Kepala Seksi Komunikasi Publik",
    "BID-APTIKA": "Kepala Bidang Aplikasi Informatika",
    "SEKSI-LAYANAN": "Kepala Seksi Layanan E-Government",
    "SEKSI-INFRA": "Kepala Seksi Infrastruktur TIK",
    "SEKSI-STATISTIK": "Kepala Seksi Statistik Sektoral",
    "BID-STATSAN": "Kepala Bidang Statistik dan Persandian",
}
FIRST = [
    "Agus",
    "Budi",
    "Dedi",
    "Eko",
    "Fajar",
    "Hendra",
    "Irfan",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Muhammad",
    "Nanda",
    "Rizky",
    "Slamet",
    "Teguh",
    "Wahyu",
    "Yudi",
    "Andi",
    "Bayu",
    "Dimas",
    "Ahmad",
    "Rudi",
    "Yoga",
    "Arief",
    "Siti",
    "Dewi",
    "Rina",
    "Sri",
    "Nur",
    "Wulan",
    "Fitri",
    "Indah",
    "Ratna",
    "Yuni",
    "Ayu",
    "Putri",
    "Lestari",
    "Diah",
    "Ika",
    "Nadia",
    "Endang",
    "Retno",
    "Mega",
    "Anisa",
    "Tri",
]
LAST = [
    "Santoso",
    "Wijaya",
    "Pratama",
    "Saputra",
    "Hidayat",
    "Kusuma",
    "Setiawan",
    "Nugroho",
    "Rahmawati",
    "Lestari",
    "Wibowo",
    "Susanto",
    "Hartono",
    "Purnomo",
    "Siregar",
    "Nasution",
    "Harahap",
    "Simanjuntak",
    "Tanjung",
    "Lubis",
    "Putri",
    "Handayani",
    "Wulandari",
    "Maharani",
    "Firmansyah",
    "Ramadhan",
    "Syahputra",
    "Gunawan",
    "Hakim",
    "Utami",
]
DEGREES = ("", "", "", ", S.Kom.", ", S.T.", ", S.E.", ", S.Sos.", ", S.Kom., M.T.", ", A.Md.")
POSITIONS = (
    "Pranata Komputer Ahli Pertama",
    "Pranata Komputer Ahli Muda",
    "Pranata Komputer Terampil",
    "Pranata Hubungan Masyarakat Ahli Pertama",
    "Statistisi Ahli Pertama",
    "Sandiman Ahli Pertama",
    "Analis Kebijakan Ahli Muda",
    "Pengelola Keuangan",
    "Pengadministrasi Umum",
    "Analis Sumber Daya Manusia Aparatur",
)
HEADER = ["NIP", "Nama", "Jabatan", "Kode Unit", "Email", "No HP", "Peran"]


def nip(rng: random.Random, used: set[str]) -> str:
    """A plausible, unused NIP: birth date, TMT CPNS 20-35 years later, sex, serial."""
    while True:
        year = rng.randint(1965, 2000)
        born = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        tmt_year = min(year + rng.randint(21, 35), 2024)
        value = (
            f"{born}{tmt_year}{rng.randint(1, 12):02d}{rng.randint(1, 2)}{rng.randint(1, 999):03d}"
        )
        if value not in used:
            used.add(value)
            return value


def people_rows(count: int, seed: int = 21) -> list[list[str]]:
    """`count` rows of a people file (HEADER's columns): the first 12 are the units' heads."""
    rng = random.Random(seed)
    used: set[str] = set()
    codes = [code for code, _name, _parent in UNITS]
    rows = []
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}{rng.choice(DEGREES)}"
        if index < len(codes):
            unit, position, role = codes[index], HEAD_TITLES[codes[index]], "kepala"
        else:
            unit, position, role = rng.choice(codes[1:]), rng.choice(POSITIONS), "anggota"
        email = f"{first}.{last}{index}@kominfo.example.go.id".lower()
        phone = f"0812-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        rows.append([nip(rng, used), name, position, unit, email, phone, role])
    return rows


def csv_bytes(rows, header=HEADER, separator=",") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def make_app(url: str):
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "CERGAS_PLUGINS": "",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def seed(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        accounts.create_user("Administrator", "bench-password", username="admin", admin=True)
        units = import_files.read(
            csv_bytes([list(u) for u in UNITS], header=["kode", "nama", "induk"]), "units"
        )
        imports.apply_units(admin(), units, "units.csv")
        db.session.remove()


def admin() -> User:
    return db.session.scalar(select(User).where(User.username == "admin"))


def timed(app, label, work, figures):
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            start = time.perf_counter()
            report = work()
            seconds = time.perf_counter() - start
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
    totals = report.totals
    figures.append((label, seconds, len(statements), totals))
    print(
        f"  {label:<34} {seconds:6.2f} s  {len(statements):4d} statements  "
        f"create {totals['create']}, update {totals['update']}, "
        f"unchanged {totals['unchanged']}, refused {totals['refused']}",
        flush=True,
    )
    return seconds


def run(url: str, name: str, count: int) -> float:
    app = make_app(url)
    seed(app)
    first = csv_bytes(people_rows(count))
    changed_rows = people_rows(count)
    rng = random.Random(5)
    for row in changed_rows[12::10]:
        row[2] = rng.choice(POSITIONS)
        row[5] = f"0813-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    changed = csv_bytes(changed_rows)
    print(f"{name}: {count} people rows, {len(first) // 1024} KiB CSV", flush=True)
    figures: list = []

    def dry(data):
        return lambda: imports.plan_people(admin(), import_files.read(data, "people"), "p.csv")

    def apply(data):
        return lambda: imports.apply_people(admin(), import_files.read(data, "people"), "p.csv")

    worst = timed(app, "first import: read + dry run", dry(first), figures)
    worst += timed(app, "first import: read + apply", apply(first), figures)
    timed(app, "same file again: dry run", dry(first), figures)
    timed(app, "same file again: apply", apply(first), figures)
    timed(app, "10% changed: dry run", dry(changed), figures)
    timed(app, "10% changed: apply", apply(changed), figures)
    print(f"  first import, dry run + apply: {worst:.2f} s (target < {TARGET_SECONDS:.0f} s)")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--pg", help="a PostgreSQL URL; its database is emptied first")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    worst = []
    with tempfile.TemporaryDirectory() as folder:
        worst.append(run(f"sqlite:///{folder}/import.db", "SQLite", args.rows))
    if args.pg:
        worst.append(run(args.pg, "PostgreSQL", args.rows))
    return 1 if args.check and max(worst) >= TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
