"""The import page (/admin/import), the API (POST /api/v1/import/people and /units) and the
command line (`cergas users import`, `cergas units import`)."""

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.admin.imports import EXAMPLES
from app.extensions import db
from app.models import AdminEvent, Unit, User
from tests.conftest import NIPS

ROOT = Path(__file__).resolve().parents[1]
NEW = "199503142020121003"
NEW2 = "199611202021032001"
GOOD = f"NIP;Nama;Kode Unit\r\n{NEW};Rudi Hartono;SEKSI-APL\r\n".encode()
MIXED = (
    "NIP;Nama;Jabatan;Kode Unit\r\n"
    f"{NEW};Rudi Hartono;Analis;SEKSI-APL\r\n"
    f"{NEW2};Rina;Analis;BID-IKP\r\n"
    "199013052015031001;Siti Aminah;;SEKSI-APL\r\n"
).encode()


def upload(client, data: bytes, name="pegawai.csv", kind="people"):
    return client.post("/admin/import", data={"kind": kind, "file": (io.BytesIO(data), name)})


def token_of(page: str) -> str:
    marker = 'name="token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def count_people() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_the_page_shows_the_dry_run_then_applies_it(app, org, auth, client):
    auth.login("admin")
    page = client.get("/admin/import").get_data(as_text=True)
    assert "Impor data kepegawaian" in page and "contoh-pegawai.csv" in page
    response = upload(client, MIXED)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Totals, then the refused row first with its reason, in Indonesian.
    assert "2. Periksa apa yang akan terjadi: pegawai.csv" in page
    assert page.index("Siti Aminah") < page.index("Rudi Hartono")
    assert "NIP tidak valid: 8 digit pertama NIP adalah tanggal lahir (TTTTBBHH)." in page
    assert "Terapkan: 2 baru, 0 diubah" in page
    with app.app_context():
        assert count_people() == 7
    token = token_of(page)
    applied = client.post("/admin/import/apply", data={"token": token})
    assert applied.status_code == 200
    assert "Impor sudah diterapkan: 2 ditambahkan, 0 diubah" in applied.get_data(as_text=True)
    with app.app_context():
        assert count_people() == 9
        imported = select(func.count(AdminEvent.id)).where(AdminEvent.kind == "import.applied")
        assert db.session.scalar(imported) == 1
        # and nothing per row
        per_person = select(func.count(AdminEvent.id)).where(AdminEvent.kind.startswith("user."))
        assert db.session.scalar(per_person) == 0
    # A second click finds the upload gone and leads back to the form; nothing happens twice.
    again = client.post("/admin/import/apply", data={"token": token}, follow_redirects=True)
    assert "sudah tidak tersedia" in again.get_data(as_text=True)
    with app.app_context():
        assert count_people() == 9
    folder = Path(app.config["CERGAS_IMPORT_FOLDER"])
    assert not list(folder.glob(f"{token}*"))


def test_all_or_nothing_applies_nothing_with_a_refused_row(app, org, auth, client):
    auth.login("admin")
    token = token_of(upload(client, MIXED).get_data(as_text=True))
    response = client.post("/admin/import/apply", data={"token": token, "all_or_nothing": "1"})
    assert response.status_code == 409
    assert "tidak ada yang diterapkan" in response.get_data(as_text=True)
    with app.app_context():
        assert count_people() == 7


def test_the_data_changing_after_the_dry_run_applies_nothing(app, org, auth, client):
    from app.services import accounts

    auth.login("admin")
    token = token_of(upload(client, MIXED).get_data(as_text=True))
    with app.app_context():
        accounts.create_user("Rudi", "rahasia123", nip=NEW, unit_code="BID-IKP")
    response = client.post("/admin/import/apply", data={"token": token})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Data berubah sejak uji coba" in page
    # The new dry run is shown, ready to apply again.
    assert "mutasi" in page and token_of(page) != token
    with app.app_context():
        assert db.session.scalar(select(User).where(User.nip == NEW2)) is None


def test_someone_else_cannot_apply_an_upload(app, org, auth, client):
    auth.login("admin")
    token = token_of(upload(client, GOOD).get_data(as_text=True))
    auth.logout()
    auth.login(NIPS["kasi"])
    response = client.post("/admin/import/apply", data={"token": token})
    assert response.status_code == 302
    with app.app_context():
        assert count_people() == 7


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "kosong.csv", "Berkas kosong."),
        (b"Nama;Jabatan\r\nA;B\r\n", "x.csv", "kolom yang tidak ditemukan"),
        ("NIP;Nama;Kode Unit\nä;b;c\n".encode("cp1252"), "ansi.csv", "bukan CSV UTF-8"),
        (b"\x89PNG\r\n\x1a\n\0\0\0", "foto.png", "bukan CSV"),
        (b"PK\x03\x04rusak", "rusak.xlsx", "XLSX ini tidak dapat dibaca"),
    ],
)
def test_unreadable_files_are_named_next_to_the_field(app, org, auth, client, data, name, message):
    auth.login("admin")
    response = upload(client, data, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="file-error"' in page and message in page


def test_a_missing_file_and_an_oversized_request(app, org, auth, client, monkeypatch):
    from app.admin import imports as view

    auth.login("admin")
    response = client.post("/admin/import", data={"kind": "people"})
    assert response.status_code == 422 and "Pilih berkasnya." in response.get_data(as_text=True)
    monkeypatch.setattr(view, "MAX_REQUEST_BYTES", 100)
    response = upload(client, GOOD + b"x" * 200)
    assert response.status_code == 422
    assert "lebih besar dari 5 MB" in response.get_data(as_text=True)


def test_heads_import_people_only_and_into_their_units(app, org, auth, client):
    auth.login(NIPS["kabid"])
    page = client.get("/admin/import").get_data(as_text=True)
    assert 'value="units"' not in page
    # Asking for units gets the people import.
    response = upload(client, b"kode,nama,induk\nX1,Unit X,\n", kind="units")
    assert response.status_code == 422
    response = upload(client, MIXED)
    page = response.get_data(as_text=True)
    assert "Anda hanya dapat mengimpor pegawai ke unit yang Anda pimpin" in page
    auth.logout()
    auth.login(NIPS["staff"])
    assert client.get("/admin/import").status_code == 403


def test_example_files_are_served_and_kept_in_examples(app, org, auth, client):
    auth.login(NIPS["kasi"])
    for name, text in EXAMPLES.items():
        response = client.get(f"/admin/import/examples/{name}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.data == ("\ufeff" + text).encode()
        assert (ROOT / "examples" / "import" / name).read_bytes() == response.data
    assert client.get("/admin/import/examples/secret_key").status_code == 404


def test_example_files_import_cleanly(app, org):
    from app.services import import_files, imports

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        units = import_files.read(("\ufeff" + EXAMPLES["contoh-unit.csv"]).encode(), "units")
        report = imports.apply_units(admin, units, "contoh-unit.csv")
        assert report.totals["refused"] == 0
        people = import_files.read(("\ufeff" + EXAMPLES["contoh-pegawai.csv"]).encode(), "people")
        report = imports.apply_people(admin, people, "contoh-pegawai.csv")
        assert report.totals == {"rows": 3, "create": 3, "update": 0, "unchanged": 0, "refused": 0}


# -- API ------------------------------------------------------------------------------------


def api(client, token, path, **kwargs):
    return client.post(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_api_dry_run_then_apply_with_the_signature(app, org, tokens, client):
    dry = api(
        client,
        tokens["admin"],
        "/api/v1/import/people?dry_run=1",
        data={"file": (io.BytesIO(MIXED), "pegawai.csv")},
    )
    assert dry.status_code == 200
    body = dry.get_json()
    assert body["applied"] is False and body["file"] == "pegawai.csv"
    assert body["totals"] == {"rows": 3, "create": 2, "update": 0, "unchanged": 0, "refused": 1}
    refused = [row for row in body["rows"] if row["action"] == "refused"]
    assert refused[0]["line"] == 4 and refused[0]["reasons"]
    with app.app_context():
        assert count_people() == 7
    applied = api(
        client,
        tokens["admin"],
        f"/api/v1/import/people?signature={body['signature']}",
        data=MIXED,
        content_type="text/csv",
    )
    assert applied.status_code == 200 and applied.get_json()["applied"] is True
    assert applied.get_json()["rows"] == body["rows"]
    again = api(
        client, tokens["admin"], "/api/v1/import/people", data=MIXED, content_type="text/csv"
    )
    assert again.get_json()["totals"]["unchanged"] == 2


def test_api_refusals(app, org, tokens, client):
    admin = tokens["admin"]
    no_file = api(
        client, admin, "/api/v1/import/people", data={"other": (io.BytesIO(GOOD), "a.csv")}
    )
    assert no_file.status_code == 422 and "file" in no_file.get_json()["error"]["fields"]
    as_json = api(client, admin, "/api/v1/import/people", json={"file": "x"})
    assert as_json.status_code == 400
    empty = api(client, admin, "/api/v1/import/people", data=b"", content_type="text/csv")
    assert empty.status_code == 422
    assert empty.get_json()["error"]["fields"] == {"file": "Berkas kosong."}
    bad_flag = api(client, admin, "/api/v1/import/people?dry_run=maybe", data=GOOD)
    assert bad_flag.status_code == 422
    all_or_nothing = api(
        client,
        admin,
        "/api/v1/import/people?all_or_nothing=1",
        data=MIXED,
        content_type="text/csv",
    )
    assert all_or_nothing.status_code == 409
    assert all_or_nothing.get_json()["error"]["code"] == "import_refused"
    stale = api(
        client, admin, "/api/v1/import/people?signature=abc", data=GOOD, content_type="text/csv"
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "import_changed"
    too_big = api(
        client,
        admin,
        "/api/v1/import/people",
        data=b"x" * (5 * 1024 * 1024 + 70 * 1024),
        content_type="text/csv",
    )
    assert too_big.status_code == 413
    member = api(
        client, tokens["staff"], "/api/v1/import/people", data=GOOD, content_type="text/csv"
    )
    assert member.status_code == 403
    with app.app_context():
        assert count_people() == 7


def test_api_units_import_from_xlsx(app, org, tokens, client):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Kode", "Nama", "Induk"])
    book.active.append(["SEKSI-BARU", "Seksi Baru", "BID-TIK"])
    out = io.BytesIO()
    book.save(out)
    response = api(
        client,
        tokens["admin"],
        "/api/v1/import/units",
        data=out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["totals"]["create"] == 1
    with app.app_context():
        assert db.session.scalar(select(Unit).where(Unit.code == "SEKSI-BARU")).parent.code == (
            "BID-TIK"
        )
    head = api(client, tokens["kabid"], "/api/v1/import/units", data=b"kode,nama\nA,B\n")
    assert head.status_code == 403


def test_the_operations_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/import/people"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {
        "multipart/form-data",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert content["multipart/form-data"]["schema"]["required"] == ["file"]
    assert {"dry_run", "all_or_nothing", "signature"} <= {
        p["name"] for p in operation["parameters"]
    }
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ImportReport"
    )


# -- command line ---------------------------------------------------------------------------


def test_cli_dry_run_then_import(app, org, runner, tmp_path):
    path = tmp_path / "pegawai.csv"
    path.write_bytes(MIXED)
    dry = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert dry.exit_code == 1, dry.output  # a row is refused
    lines = dry.output.splitlines()
    assert "ditolak" in lines[0] and "199013052015031001" in lines[0]
    assert "3 baris: 2 akan dibuat, 0 akan diubah, 0 tetap, 1 ditolak." in dry.output
    assert "Uji coba: belum ada yang diubah." in dry.output
    with app.app_context():
        assert count_people() == 7
    applied = runner.invoke(args=["users", "import", str(path)])
    assert "2 dibuat" in applied.output and applied.exit_code == 1
    path.write_bytes(GOOD)
    clean = runner.invoke(args=["users", "import", str(path)])
    assert clean.exit_code == 0 and "1 tetap" in clean.output
    with app.app_context():
        assert count_people() == 9
        event = db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind == "import.applied")
        ).first()
        assert event.actor_id is None and event.target_label == "pegawai.csv"


def test_cli_units_and_errors(app, org, runner, tmp_path):
    path = tmp_path / "unit.csv"
    path.write_text("kode;nama;induk\nSEKSI-X;Seksi X;BID-X\nBID-X;Bidang X;DISKOMINFO\n")
    result = runner.invoke(args=["units", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 dibuat" in result.output
    path.write_bytes(b"")
    result = runner.invoke(args=["units", "import", str(path)])
    assert result.exit_code == 1 and "Error: Berkas kosong." in result.output
    assert "Traceback" not in result.output


def test_the_log_row_is_readable_json(app, org, auth, client):
    auth.login("admin")
    client.post(
        "/admin/import/apply",
        data={"token": token_of(upload(client, MIXED).get_data(as_text=True))},
    )
    with app.app_context():
        (event,) = db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind == "import.applied")
        ).all()
        assert event.kind == "import.applied" and event.target_kind == "import"
        assert json.dumps(event.after)  # stored as JSON
        assert event.after["totals"]["refused"] == 1
