"""Import from the staff register (app/services/imports.py, app/services/import_files.py): the
dry run says per row what applying does, applying does exactly that in one transaction, a
re-import changes nothing, every refusal has its reason."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AdminEvent, Membership, Unit, User
from app.services import access, accounts, admin_log, import_files, imports
from app.services.errors import Conflict, Forbidden, Invalid
from tests.conftest import NIPS, PASSWORD, get_user
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg

DATA = Path(__file__).parent / "data"
HEADER = "NIP,Nama,Jabatan,Kode Unit,Email,No HP,Peran\n"
NEW = "199503142020121003"  # plausible, not in the org fixture
NEW2 = "199611202021032001"


def people(text: str, header: str = HEADER) -> import_files.Table:
    return import_files.read((header + text).encode("utf-8"), "people")


def units(text: str) -> import_files.Table:
    return import_files.read(("kode,nama,induk\n" + text).encode("utf-8"), "units")


def user(key):
    return db.session.scalar(select(User).where((User.nip == key) | (User.username == key)))


def admin():
    return user("admin")


def log_rows():
    return db.session.scalars(select(AdminEvent).where(AdminEvent.kind == "import.applied")).all()


def by_line(report):
    return {row.line: row for row in report.rows}


def test_dry_run_says_what_apply_does_and_writes_nothing(app, org):
    data = (
        f"{NEW},Rudi Hartono S.Kom.,Pranata Komputer Ahli Pertama,SEKSI-APL,"
        "rudi@Kominfo.GO.ID,0812-3456-7890,anggota\n"
        f"{NIPS['staff']},Agus Pratama,Pranata Komputer Ahli Muda,SEKSI-APL,,,\n"
        f"{NIPS['staff2']},Dewi Lestari,,SEKSI-APL,,,\n"
    )
    with app.app_context():
        dry = imports.plan_people(admin(), people(data), "pegawai.csv")
        assert db.session.scalar(select(func.count(User.id))) == 7
        applied = imports.apply_people(admin(), people(data), "pegawai.csv")
        assert applied.applied
        assert [r.to_json() for r in applied.rows] == [r.to_json() for r in dry.rows]
        assert applied.signature == dry.signature
        assert dry.totals == {"rows": 3, "create": 1, "update": 1, "unchanged": 1, "refused": 0}
        rows = by_line(dry)
        assert rows[2].changes["email"] == (None, "rudi@kominfo.go.id")
        assert rows[2].changes["phone"] == (None, "+6281234567890")
        assert rows[3].changes == {"position": ("", "Pranata Komputer Ahli Muda")}
        created = user(NEW)
        assert created.name == "Rudi Hartono S.Kom."
        assert created.phone == "+6281234567890"
        assert [(m.unit.code, m.role) for m in created.memberships] == [("SEKSI-APL", "member")]
        assert user(NIPS["staff"]).position == "Pranata Komputer Ahli Muda"


def test_importing_the_same_file_again_changes_nothing(app, org):
    data = f"{NEW},Rudi Hartono,Pranata Komputer,SEKSI-APL,rudi@kominfo.go.id,0812 3456 7890,kasi\n"
    with app.app_context():
        imports.apply_people(admin(), people(data))
        assert len(log_rows()) == 1
        again = imports.apply_people(admin(), people(data))
        assert again.totals["unchanged"] == 1 and again.totals["rows"] == 1
        assert len(log_rows()) == 1  # nothing changed, nothing logged
        assert user(NEW).memberships[0].role == "head"


def test_update_by_nip_keeps_before_and_after_in_the_one_log_row(app, org):
    data = (
        f"{NIPS['staff']},Agus Pratama S.T.,Pranata Komputer Ahli Muda,SEKSI-APL,"
        "agus@kominfo.go.id,,head\n"
        f"{NEW},Rudi Hartono,,SEKSI-APL,,,\n"
    )
    with app.app_context():
        report = imports.apply_people(admin(), people(data), "simpeg.csv")
        row = by_line(report)[2]
        assert row.action == "update"
        assert row.changes == {
            "name": ("Agus Pratama", "Agus Pratama S.T."),
            "position": ("", "Pranata Komputer Ahli Muda"),
            "email": (None, "agus@kominfo.go.id"),
            "role": ("member", "head"),
        }
        staff = get_user("staff", org)
        assert staff.name == "Agus Pratama S.T." and staff.memberships[0].role == "head"
        # Blank cells leave what is stored.
        assert staff.phone is None
        (event,) = log_rows()
        assert event.target_kind == "import" and event.target_label == "simpeg.csv"
        assert event.actor_id == org.users["admin"]
        after = event.after
        assert after["totals"]["update"] == 1 and after["totals"]["create"] == 1
        assert after["updated"] == [
            {
                "line": 2,
                "key": NIPS["staff"],
                "before": {
                    "name": "Agus Pratama",
                    "position": "",
                    "email": None,
                    "role": "member",
                },
                "after": {
                    "name": "Agus Pratama S.T.",
                    "position": "Pranata Komputer Ahli Muda",
                    "email": "agus@kominfo.go.id",
                    "role": "head",
                },
            }
        ]
        assert after["created"][0]["key"] == NEW
        imported = select(func.count(AdminEvent.id)).where(AdminEvent.kind == "import.applied")
        assert db.session.scalar(imported) == 1
        # and nothing per row
        per_person = select(func.count(AdminEvent.id)).where(AdminEvent.kind.startswith("user."))
        assert db.session.scalar(per_person) == 0


def test_every_refusal_names_its_reason(app, org):
    with app.app_context():
        accounts.create_unit("LAMA", "Unit Lama")
        db.session.execute(Unit.__table__.update().where(Unit.code == "LAMA").values(active=False))
        db.session.commit()
        accounts.create_user("Tenaga Ahli", PASSWORD, username="tenaga.ahli")
        data = (
            "199013052015031001,Nama Satu,,SEKSI-APL,,,\n"  # 2: birth month 13
            f"{NEW},Nama Dua,,XYZ,,,\n"  # 3: unknown unit
            f"{NEW2},Nama Tiga,,SEKSI-APL,,,\n"  # 4: twice
            f"{NEW2},Nama Empat,,SEKSI-APL,,,\n"  # 5: twice
            "199701012022011001,,,SEKSI-APL,,,\n"  # 6: no name
            "199702012022011001,Nama Enam,,SEKSI-APL,,,wakil\n"  # 7: unknown role
            f"{NIPS['outsider']},Rina Kusuma,,SEKSI-APL,,,\n"  # 8: in another unit
            "199703012022011001,Nama Tujuh,,SEKSI-APL,bukan-email,08-12,\n"  # 9: email, phone
            "199704012022011001,Nama Delapan,,LAMA,,,\n"  # 10: inactive unit
            ",Nama Sembilan,,SEKSI-APL,,,\n"  # 11: neither NIP nor username
            "199705012022011001,Nama Sepuluh,,,,,\n"  # 12: no unit
        )
        report = imports.plan_people(admin(), people(data))
        reasons = {row.line: row.reasons for row in report.rows}
        assert all(row.action == "refused" for row in report.rows)
        assert reasons[2] == [
            "NIP tidak valid: 8 digit pertama NIP adalah tanggal lahir (TTTTBBHH)."
        ]
        assert reasons[3] == ["Kode unit XYZ tidak dikenal."]
        assert "baris 4, 5" in reasons[4][0] and reasons[4] == reasons[5]
        assert len(reasons[6]) == 1 and "Nama" in reasons[6][0]
        assert "wakil" in reasons[7][0]
        assert "BID-IKP" in reasons[8][0] and "mutasi" in reasons[8][0]
        assert len(reasons[9]) == 2
        assert reasons[10] == ["Unit LAMA sudah tidak aktif."]
        assert len(reasons[11]) == 1 and "NIP" in reasons[11][0]
        assert len(reasons[12]) == 1 and "Kode unit" in reasons[12][0]
        with_username = people(
            "Tenaga Baru,SEKSI-APL,tenaga.ahli\n", header="Nama,Kode Unit,Username\n"
        )
        # The username names a stored person with no unit: matched, given the unit.
        row = imports.plan_people(admin(), with_username).rows[0]
        assert row.action == "update" and row.changes["unit"] == (None, "SEKSI-APL")
        taken = people(
            f"{NEW},Baru,SEKSI-APL,tenaga.ahli\n", header="NIP,Nama,Kode Unit,Username\n"
        )
        assert "tenaga.ahli" in imports.plan_people(admin(), taken).rows[0].reasons[0]


def test_heads_import_only_into_the_units_they_head(app, org):
    data = f"{NEW},Rudi,,SEKSI-APL,,,\n{NEW2},Rina,,BID-IKP,,,\n"
    with app.app_context():
        kabid = get_user("kabid", org)
        report = imports.apply_people(kabid, people(data))
        rows = by_line(report)
        assert rows[2].action == "create"
        assert rows[3].action == "refused" and "BID-IKP" in rows[3].reasons[0]
        assert user(NEW) is not None and user(NEW2) is None
        admin_flag = people(f"{NEW2},Rina,SEKSI-APL,ya\n", header="NIP,Nama,Kode Unit,Admin\n")
        refused = imports.plan_people(kabid, admin_flag).rows[0]
        assert refused.action == "refused" and "administrator" in refused.reasons[0].lower()
        with pytest.raises(Forbidden):
            imports.plan_units(kabid, units("X1,Unit X,\n"))
        with pytest.raises(Forbidden):
            imports.plan_people(get_user("staff", org), people(data))


def test_a_failure_midway_leaves_nothing(app, org, monkeypatch):
    data = f"{NEW},Rudi,,SEKSI-APL,,,\n{NIPS['staff']},Agus Pratama Baru,,SEKSI-APL,,,\n"

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    with app.app_context():
        monkeypatch.setattr(admin_log, "record", fail)
        with pytest.raises(RuntimeError):
            imports.apply_people(admin(), people(data))
        db.session.remove()
        assert user(NEW) is None
        assert get_user("staff", org).name == "Agus Pratama"


def test_applying_refuses_when_the_plan_changed_since_the_dry_run(app, org):
    data = f"{NIPS['staff']},Agus Baru,,SEKSI-APL,,,\n{NEW},Rudi,,SEKSI-APL,,,\n"
    with app.app_context():
        dry = imports.plan_people(admin(), people(data))
        accounts.create_user("Rudi", PASSWORD, nip=NEW)  # someone else got there first
        with pytest.raises(Conflict) as caught:
            imports.apply_people(admin(), people(data), signature=dry.signature)
        assert caught.value.code == "import_changed"
        assert get_user("staff", org).name == "Agus Pratama"


def test_refused_rows_are_skipped_unless_all_or_nothing(app, org):
    data = f"{NEW},Rudi,,SEKSI-APL,,,\n{NEW2},Rina,,XYZ,,,\n"
    with app.app_context():
        with pytest.raises(Conflict) as caught:
            imports.apply_people(admin(), people(data), all_or_nothing=True)
        assert caught.value.code == "import_refused"
        assert user(NEW) is None
        report = imports.apply_people(admin(), people(data))
        assert report.totals["create"] == 1 and report.totals["refused"] == 1
        assert user(NEW) is not None
        assert log_rows()[0].after["refused"][0]["line"] == 3


def test_new_people_cannot_sign_in_with_a_password(app, org):
    with app.app_context():
        imports.apply_people(admin(), people(f"{NEW},Rudi,,SEKSI-APL,,,\n"))
        assert user(NEW).password_hash == "!"
    client = app.test_client()
    for password in ("", "!", PASSWORD):
        response = client.post("/login", data={"username": NEW, "password": password})
        assert response.status_code != 302


def test_semicolons_bom_and_header_variants(app, org):
    raw = (
        "\ufeffNIP Baru;Nama Lengkap;Jabatan;kode_unit;E-mail;No. HP;PERAN;Golongan\r\n"
        f'{NEW};"Hartono, S.Kom.";Analis;SEKSI-APL;a@b.go.id;0812 1111 2222;Staf;III/a\r\n'
    ).encode()
    with app.app_context():
        table = import_files.read(raw, "people")
        assert table.ignored == ["Golongan"]
        row = imports.plan_people(admin(), table).rows[0]
        assert row.action == "create"
        assert row.changes["name"] == (None, "Hartono, S.Kom.")
        assert row.changes["role"] == (None, "member")
        assert row.line == 2


def test_xlsx_first_sheet_with_numbers_as_spreadsheets_store_them(app, org):
    book = Workbook()
    sheet = book.active
    sheet.append(["NIP", "Nama", "Kode Unit", "Telepon", "Peran"])
    sheet.append([NEW, "Rudi", "SEKSI-APL", 81234567890, "Kepala"])
    sheet.append([1.99611202021032e17, "Rina", "SEKSI-APL", None, None])
    book.create_sheet("Lain").append(["ignored"])
    out = io.BytesIO()
    book.save(out)
    with app.app_context():
        report = imports.plan_people(admin(), import_files.read(out.getvalue(), "people"))
        first, second = report.rows
        assert first.action == "create" and first.changes["phone"] == (None, "+6281234567890")
        assert first.changes["role"] == (None, "head")
        assert second.action == "refused"
        assert second.reasons == [
            "NIP tersimpan sebagai angka oleh Excel sehingga digit terakhirnya hilang; "
            "format kolom NIP sebagai Teks lalu ketik ulang."
        ]


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "kosong"),
        (b"NIP,Nama,Kode Unit\n", "tidak ada baris"),
        (b"Nama,Jabatan\nA,B\n", "NIP"),
        (b"NIP,Nama\n1,A\n", "Kode unit"),
        ("NIP,Nama,Kode Unit\nä,b,c\n".encode("latin-1"), "UTF-8"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04garbage", "XLSX"),
        (b"NIP,NIP Baru,Nama,Kode Unit\n1,2,A,B\n", "NIP Baru"),
    ],
)
def test_unreadable_files_say_why(app, data, words):
    with app.app_context(), pytest.raises(Invalid) as caught:
        import_files.read(data, "people")
    assert caught.value.fields["file"] == caught.value.message
    assert words.lower() in caught.value.message.lower()


def test_size_and_row_limits(app, monkeypatch):
    monkeypatch.setattr(import_files, "MAX_ROWS", 3)
    with app.app_context():
        with pytest.raises(Invalid) as caught:
            import_files.read(b"NIP,Nama,Kode Unit\n" + b"1,A,B\n" * 4, "people")
        assert "3" in caught.value.message
        monkeypatch.setattr(import_files, "MAX_BYTES", 10)
        with pytest.raises(Invalid) as caught:
            import_files.read(b"NIP,Nama,Kode Unit\n1,A,B\n", "people")
        assert "MB" in caught.value.message


def test_queries_do_not_grow_with_the_rows(app, org):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_import", "bench/import.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    small = bench.people_rows(30, seed=3)
    large = bench.people_rows(1200, seed=4)
    for rows in (small, large):
        for row in rows:
            row[3] = "SEKSI-APL"
    counts = []
    with app.app_context():
        for rows in (small, large):
            data = bench.csv_bytes(rows)
            with count_queries(app) as statements:
                imports.plan_people(admin(), import_files.read(data, "people"))
                imports.apply_people(admin(), import_files.read(data, "people"))
            counts.append(len(statements))
    # 1,200 rows are three chunks of NIPs where 30 are one: a few statements more, not 1,170.
    assert counts[1] - counts[0] <= 12, counts


def test_units_parent_later_in_the_file_cycles_and_unknown_parents(app, org):
    data = (
        "SEKSI-X,Seksi X,BID-X\n"  # 2: parent on line 3
        "BID-X,Bidang X,DISKOMINFO\n"  # 3
        "A1,Unit A,B1\n"  # 4: A1 -> B1 -> A1
        "B1,Unit B,A1\n"  # 5
        "C1,Unit C,NOWHERE\n"  # 6: unknown
        "D1,Unit D,C1\n"  # 7: parent refused
        "BID-TIK,Bidang Teknologi Informasi,\n"  # 8: renamed, parent kept
        "BID-IKP,Bidang IKP,BID-TIK\n"  # 9: moved
        "DISKOMINFO,Dinas,SEKSI-APL\n"  # 10: circle through the stored tree
        "bad code!,X,\n"  # 11
    )
    with app.app_context():
        report = imports.apply_units(admin(), units(data), "unit.csv")
        rows = by_line(report)
        assert [rows[n].action for n in range(2, 12)] == [
            "create",
            "create",
            "refused",
            "refused",
            "refused",
            "refused",
            "update",
            "update",
            "refused",
            "refused",
        ]
        assert "→" in rows[4].reasons[0]
        assert "NOWHERE" in rows[6].reasons[0]
        assert "6" in rows[7].reasons[0]
        assert rows[9].changes == {"parent": ("DISKOMINFO", "BID-TIK")}
        db.session.remove()
        found = {u.code: u for u in db.session.scalars(select(Unit))}
        assert found["SEKSI-X"].parent_id == found["BID-X"].id
        assert found["BID-X"].parent_id == found["DISKOMINFO"].id
        assert found["BID-IKP"].parent_id == found["BID-TIK"].id
        assert found["BID-TIK"].name == "Bidang Teknologi Informasi"
        assert found["DISKOMINFO"].parent_id is None
        # A new unit takes its stored ancestor's time zone.
        assert found["BID-X"].timezone == "Asia/Jakarta"
        again = imports.apply_units(admin(), units(data), "unit.csv")
        assert again.totals["create"] == 0 and again.totals["update"] == 0


def test_first_day_files(app):
    """The files the first-day browser test imports: 12 units onto the top unit made by hand,
    200 people of whom one is refused for an implausible NIP."""
    with app.app_context():
        accounts.create_user("Admin", PASSWORD, username="admin", admin=True)
        accounts.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
        unit_table = import_files.read((DATA / "first_day_units.csv").read_bytes(), "units")
        report = imports.apply_units(admin(), unit_table, "first_day_units.csv")
        assert report.totals == {
            "rows": 12,
            "create": 11,
            "update": 0,
            "unchanged": 1,
            "refused": 0,
        }
        table = import_files.read((DATA / "first_day_people.csv").read_bytes(), "people")
        dry = imports.plan_people(admin(), table)
        assert dry.totals == {"rows": 200, "create": 199, "update": 0, "unchanged": 0, "refused": 1}
        (refused,) = [row for row in dry.rows if row.action == "refused"]
        assert refused.line == 59 and refused.reasons[0].startswith("NIP tidak valid")
        imports.apply_people(admin(), table, signature=dry.signature)
        assert db.session.scalar(select(func.count(User.id))) == 200
        heads = db.session.scalar(select(func.count()).where(Membership.role == "head"))
        assert heads == 12
        access.forget_unit_tree()


def test_admin_rights_by_import_only_from_an_admin_and_never_ones_own(app, org):
    with app.app_context():
        accounts.create_user("Admin Dua", PASSWORD, nip=NEW, unit_code="SEKSI-APL", admin=True)
        mine = people(f"{NEW},Admin Dua,SEKSI-APL,tidak\n", header="NIP,Nama,Kode Unit,Admin\n")
        row = imports.plan_people(user(NEW), mine).rows[0]
        assert row.reasons == ["Anda tidak dapat mencabut hak administrator Anda sendiri."]
        # Another administrator may; a blank cell changes nothing.
        row = imports.plan_people(admin(), mine).rows[0]
        assert row.action == "update" and row.changes == {"admin": (True, False)}
        blank = people(f"{NEW},Admin Dua,SEKSI-APL,\n", header="NIP,Nama,Kode Unit,Admin\n")
        assert imports.plan_people(admin(), blank).rows[0].action == "unchanged"


def test_unit_rows_own_parent_inactive_parent_and_duplicates(app, org):
    with app.app_context():
        accounts.create_unit("LAMA", "Unit Lama")
        db.session.execute(Unit.__table__.update().where(Unit.code == "LAMA").values(active=False))
        db.session.commit()
        data = "X1,Unit X,X1\nX2,Unit X2,LAMA\nX3,Unit X3,\nX3,Unit X3 lagi,\n,Tanpa kode,\n"
        rows = by_line(imports.plan_units(admin(), units(data)))
        assert rows[2].reasons == ["Unit tidak dapat menjadi induk dirinya sendiri."]
        assert rows[3].reasons == ["Unit induk LAMA sudah tidak aktif."]
        assert "baris 4, 5" in rows[4].reasons[0] and rows[4].reasons == rows[5].reasons
        assert rows[6].reasons[0].startswith("Kode tidak valid")


def test_a_cell_too_long_for_csv_is_a_file_error(app):
    data = b'NIP,Nama,Kode Unit\n1,"' + b"a" * 200_000 + b'",X\n'
    with app.app_context(), pytest.raises(Invalid) as caught:
        import_files.read(data, "people")
    assert caught.value.message.startswith("Baris 2 berkas tidak dapat dibaca")


def test_a_head_imports_no_head_into_their_own_unit(app, org):
    with app.app_context():
        kasi = user(NIPS["kasi"])
        report = imports.plan_people(kasi, people(f"{NEW},Rina Marlina,,SEKSI-APL,,,kepala\n"))
        (row,) = report.rows
        assert row.action == "refused"
        assert any("kepala" in reason.lower() or "head" in reason.lower() for reason in row.reasons)
        # The same row as a member is fine; a head above may import the head.
        member = imports.plan_people(kasi, people(f"{NEW},Rina Marlina,,SEKSI-APL,,,anggota\n"))
        assert member.rows[0].action == "create"
        above = imports.plan_people(
            user(NIPS["kabid"]), people(f"{NEW},Rina Marlina,,SEKSI-APL,,,kepala\n")
        )
        assert above.rows[0].action == "create"
        # Nor does the head change their own record or a fellow head's by import.
        own = imports.plan_people(kasi, people(f"{NIPS['kasi']},Nama Lain,,SEKSI-APL,,,kepala\n"))
        assert own.rows[0].action == "refused"
