"""Benchmark: search across boards over 100,000 cards and 200,000 comments (issue 25).

    .venv/bin/python bench/search.py [--cards 100000] [--comments 200000] [--repeat 15]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/cergas_bench_search] [--no-sqlite]
        [--check] [--json FILE] [--reuse]

For each database (a fresh SQLite file; with --pg a PostgreSQL database whose name contains
"bench", emptied first) it migrates like production, builds an office through the services (a
Dinas, 4 Bidang, 8 Seksi, their heads and 48 staff, 3 boards per Seksi), bulk-inserts the cards
(a fifth of them archived) and comments, then builds the index with `search_index.rebuild()`
(timed). Then it runs a set of realistic searches, each `--repeat` times, for two people: the
Kepala Dinas (sees all 24 boards) and a staff member of one Seksi (sees its 3 boards), and times
`search.search()` in-process (the service: the two queries and the rows of one page of 20,
highlighting included). It prints per query the median, the 95th percentile and the SQL
statements per search; and over all searches the median and the 95th percentile. Beside the
elapsed time it records the CPU time of the benchmark's own process, which on SQLite (in the
process) is the search's cost without the waits a loaded machine adds; on PostgreSQL the
server's work is not in it. Targets (issue
25): median < 50 ms, 95th percentile < 100 ms, the same statement count for every search that
finds something.
--check exits 1 when a target is missed.
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, event, func, insert, make_url, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Card, Comment, User  # noqa: E402
from app.services import accounts, boards, search, search_index  # noqa: E402

PASSWORD = "bench-password"
COLUMNS = [
    {"name": "Backlog", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Dikerjakan", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Review", "kind": "active", "wip_limit": None, "wip_policy": "soft"},
    {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
]
TYPES = ["surat-keluar", "permohonan-informasi", "pengaduan", "perizinan", "rapat", "tugas"]
LABELS = ["PPID", "LAPOR!", "SPBE", "Humas", "Keuangan", "Kepegawaian", "Website", "Rapat"]
SUBJECTS = [
    "Surat balasan permohonan data",
    "Jawaban permohonan informasi publik",
    "Tindak lanjut pengaduan warga",
    "Konsep nota dinas",
    "Notulen rapat koordinasi",
    "Verifikasi berkas perizinan",
    "Rekap laporan bulanan",
    "Pembaruan konten portal",
    "Penyusunan anggaran kegiatan",
    "Undangan sosialisasi",
    "Telaah staf rancangan peraturan",
    "Evaluasi kinerja triwulan",
]
PLACES = ["Kecamatan Barat", "Kecamatan Timur", "Desa Sukamakmur", "Kelurahan Tengah", "RSUD"]
DESCRIPTIONS = [
    "Pemohon meminta salinan dokumen melalui formulir daring. Koordinasikan dengan PPID "
    "pembantu dan siapkan jawaban tertulis paling lambat sepuluh hari kerja.",
    "Bahan rapat disiapkan oleh bidang terkait, daftar hadir dan notulen diunggah setelah rapat.",
    "Periksa kelengkapan berkas, catat kekurangan dan sampaikan kepada pemohon melalui surel.",
    "Sesuaikan dengan rencana kerja tahunan dan laporkan capaian kepada kepala bidang.",
    "",
]
COMMENTS = [
    "Sudah saya cek, berkas lengkap.",
    "Mohon ditindaklanjuti sebelum tenggat.",
    "Draf jawaban sudah diunggah, silakan diperiksa.",
    "Menunggu paraf kepala seksi.",
    "Data dari dinas terkait belum diterima, sudah diingatkan lewat telepon.",
    "Revisi sesuai arahan pimpinan.",
    "Jadwal rapat dipindah ke hari Kamis.",
    "Pemohon sudah dihubungi dan menyetujui perpanjangan waktu.",
]
# In one comment in about 2,000: a rare word to look for.
RARE = "Sukamaju"


def make_app(url: str):
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REDIS_URL": None,
        }
    )


def empty_postgresql(url: str) -> None:
    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"--pg: the database name must contain 'bench' (it is emptied): {name}")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed_office(rng: random.Random) -> dict:
    """Dinas > 4 Bidang > 2 Seksi each; heads, 6 staff per Seksi, 3 boards per Seksi."""
    accounts.create_unit("DINAS", "Dinas Komunikasi dan Informatika")
    kadis = accounts.create_user(
        "Kepala Dinas", PASSWORD, nip="196805121994031004", unit_code="DINAS", role="head"
    )
    board_ids, people, staff_of = [], [], {}
    serial = 0
    for b in range(4):
        accounts.create_unit(f"BID-{b}", f"Bidang {b + 1}", parent_code="DINAS")
        for s in range(2):
            code = f"SEKSI-{b}-{s}"
            accounts.create_unit(code, f"Seksi {b + 1}.{s + 1}", parent_code=f"BID-{b}")
            serial += 1
            head = accounts.create_user(
                f"Kepala Seksi {b + 1}.{s + 1}",
                PASSWORD,
                nip=f"198001012005011{serial:03d}",
                unit_code=code,
                role="head",
            )
            members = []
            for _member in range(6):
                serial += 1
                members.append(
                    accounts.create_user(
                        f"Staf {rng.choice(['Agus', 'Dewi', 'Budi', 'Sari'])} {serial}",
                        PASSWORD,
                        nip=f"199002022015022{serial:03d}",
                        unit_code=code,
                    ).id
                )
            people += members
            for n in range(3):
                board = boards.create_board(head, f"Papan {code} {n + 1}", code, COLUMNS)
                board_ids.append((board.id, [column.id for column in board.columns], members))
            staff_of.setdefault("staff", members[0])
    return {"kadis": kadis.id, "staff": staff_of["staff"], "boards": board_ids}


def reused_office(cards: int) -> dict:
    """--reuse: the office an earlier run of this script left in the database (its first
    staff member and first board, which the searches name)."""
    from app.models import Board

    kadis = db.session.scalar(select(User.id).where(User.nip == "196805121994031004"))
    staff = db.session.scalar(select(User.id).where(User.nip == "199002022015022002"))
    first_board = db.session.scalar(select(Board.id).order_by(Board.id))
    found = db.session.scalar(select(func.count()).select_from(Card))
    if None in (kadis, staff, first_board) or found != cards:
        raise SystemExit(f"--reuse: no office of {cards} cards from an earlier run here")
    return {"kadis": kadis, "staff": staff, "boards": [(first_board, [], [])]}


def seed_cards(office: dict, cards: int, comments: int, rng: random.Random) -> None:
    today = date.today()
    now = datetime.utcnow()
    rows = []
    batch = 5000
    for n in range(cards):
        board_id, column_ids, members = office["boards"][n % len(office["boards"])]
        column = rng.choices(range(4), weights=[40, 12, 8, 40])[0]
        archived = column == 3 and rng.random() < 0.5
        created = now - timedelta(days=rng.randint(0, 1000))
        rows.append(
            {
                "board_id": board_id,
                "column_id": column_ids[column],
                "position": n,
                "title": f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)} No. {n + 1:06d}",
                "description": rng.choice(DESCRIPTIONS),
                "type": rng.choice(TYPES),
                "assignee_id": rng.choice(members) if rng.random() < 0.85 else None,
                "due_date": today + timedelta(days=rng.randint(-60, 60)),
                "labels": rng.sample(LABELS, rng.randint(0, 2)),
                "created_at": created,
                "updated_at": created,
                "archived_at": created + timedelta(days=30) if archived else None,
            }
        )
        if len(rows) == batch:
            db.session.execute(insert(Card), rows)
            rows = []
    if rows:
        db.session.execute(insert(Card), rows)
    first = db.session.scalar(select(Card.id).order_by(Card.id))
    rows = []
    for _comment in range(comments):
        body = rng.choice(COMMENTS)
        if rng.random() < 0.0005:
            body += f" Warga {RARE} sudah menerima salinan."
        rows.append({"card_id": first + rng.randrange(cards), "body": body, "created_at": now})
        if len(rows) == batch:
            db.session.execute(insert(Comment), rows)
            rows = []
    if rows:
        db.session.execute(insert(Comment), rows)
    db.session.commit()


def queries(office: dict) -> list[tuple[str, str, dict]]:
    one_board = office["boards"][0][0]
    nip = db.session.scalar(select(User.nip).where(User.id == office["staff"]))
    return [
        ("common word", "permohonan", {}),
        ("rare word", RARE.lower(), {}),
        ("two words", "laporan bulanan", {}),
        ("prefix", "verifik", {}),
        ("board filter", "surat", {"boards": [one_board]}),
        ("with archived", "pengaduan", {"archived": True}),
        ("NIP", nip, {}),
        ("overdue", "rapat", {"overdue": True}),
        ("no match", "zzyzx", {}),
    ]


class Counter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.count += 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(name: str, url: str, args) -> dict:
    rng = random.Random(25)
    app = make_app(url)
    result = {"database": name, "cards": args.cards, "comments": args.comments, "queries": []}
    with app.app_context():
        if args.reuse and name == "postgresql":
            office = reused_office(args.cards)
            indexed = args.cards
            result["insert_s"] = result["index_s"] = None
        else:
            flask_migrate.upgrade()
            office = seed_office(rng)
            started = time.perf_counter()
            seed_cards(office, args.cards, args.comments, rng)
            result["insert_s"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            indexed = search_index.rebuild()
            db.session.commit()
            result["index_s"] = round(time.perf_counter() - started, 1)
        if name == "postgresql":
            # As autovacuum leaves freshly loaded tables within a minute or so: statistics, and
            # the visibility map that lets index-only scans skip the table.
            db.session.commit()
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        print(
            f"{name}: {args.cards} cards, {args.comments} comments inserted in "
            f"{result['insert_s']} s; index of {indexed} cards built in {result['index_s']} s",
            flush=True,
        )
        people = {"kadis": office["kadis"], "staff": office["staff"]}
        counter = Counter(db.engine)
        every, every_cpu = [], []
        for who, user_id in people.items():
            for label, q, filters in queries(office):
                times, cpu, counts, total = [], [], [], 0
                for attempt in range(args.repeat + 1):
                    with app.test_request_context():
                        user = db.session.get(User, user_id)
                        counter.count = 0
                        started, used = time.perf_counter(), time.process_time()
                        page = search.search(user, q, **filters)
                        elapsed = (time.perf_counter() - started) * 1000
                        used = (time.process_time() - used) * 1000
                        statements = counter.count
                        db.session.remove()
                    if attempt:  # the first is a warm-up
                        times.append(elapsed)
                        cpu.append(used)
                        counts.append(statements)
                    total = page.total
                every += times
                every_cpu += cpu
                row = {
                    "person": who,
                    "query": label,
                    "q": q,
                    "total": total,
                    "median_ms": round(statistics.median(times), 1),
                    "p95_ms": round(percentile(times, 0.95), 1),
                    "cpu_median_ms": round(statistics.median(cpu), 1),
                    "statements": sorted(set(counts)),
                }
                result["queries"].append(row)
                print(
                    f"  {who:6} {label:14} {total:6} found  median {row['median_ms']:6.1f} ms  "
                    f"p95 {row['p95_ms']:6.1f} ms  (this process's CPU: median "
                    f"{row['cpu_median_ms']:5.1f} ms)  statements {row['statements']}",
                    flush=True,
                )
        result["median_ms"] = round(statistics.median(every), 1)
        result["p95_ms"] = round(percentile(every, 0.95), 1)
        result["cpu_median_ms"] = round(statistics.median(every_cpu), 1)
        result["cpu_p95_ms"] = round(percentile(every_cpu, 0.95), 1)
        # Searches that find something: the ranked page, then its rows (one statement fewer
        # when nothing matches).
        result["statements"] = sorted(
            {s for row in result["queries"] if row["total"] for s in row["statements"]}
        )
        print(
            f"{name}: all searches median {result['median_ms']} ms, p95 {result['p95_ms']} ms "
            f"(this process's CPU: median {result['cpu_median_ms']} ms, p95 "
            f"{result['cpu_p95_ms']} ms), statements per search {result['statements']}",
            flush=True,
        )
        db.session.remove()
        db.engine.dispose()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each search")
    parser.add_argument("--pg", help="a PostgreSQL database (its name contains 'bench')")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the PostgreSQL office an earlier run left (no emptying, no seeding)",
    )
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        if not args.no_sqlite:
            results.append(run("sqlite", f"sqlite:///{Path(folder) / 'search.db'}", args))
    if args.pg:
        if not args.reuse:
            empty_postgresql(args.pg)
        results.append(run("postgresql", args.pg, args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    missed = [
        result["database"]
        for result in results
        if result["median_ms"] >= 50 or result["p95_ms"] >= 100 or len(result["statements"]) != 1
    ]
    for name in missed:
        print(f"target missed on {name}", file=sys.stderr)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
