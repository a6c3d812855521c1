"""Documents on cards, the JSON API: upload, list, read, versions, content, soft removal and
restore; the size limit (413 before the body is read), type refusals, bad requests answered
with a 4xx, outsiders answered 404 everywhere, bytes included."""

import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from app.extensions import db
from app.models import Attachment, AttachmentVersion, Event
from app.services import cards
from tests import documents
from tests.conftest import DOCUMENT_FOLDER, build_org, build_tokens, get_user, make_app


def new_card(app, org) -> int:
    with app.app_context():
        data = {"title": "Surat balasan", "due_date": "2026-12-01"}
        return cards.create_card(get_user("staff", org), org.board_id, data).card.id


def multipart(data: bytes, name: str) -> dict:
    return {
        "data": {"file": (io.BytesIO(data), name)},
        "content_type": "multipart/form-data",
    }


def upload(api, role, card_id, data, name="draf.pdf"):
    return api(role).post(f"/api/v1/cards/{card_id}/attachments", **multipart(data, name))


def stored_files(folder=DOCUMENT_FOLDER) -> int:
    return sum(1 for path in Path(folder).rglob("*") if path.is_file())


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Attachment.id))),
            db.session.scalar(select(func.count(AttachmentVersion.id))),
        )


@pytest.fixture
def card_id(app, org):
    return new_card(app, org)


@pytest.fixture
def doc(api, card_id):
    """A PDF the member (staff) uploaded to the card: its JSON."""
    response = upload(api, "staff", card_id, documents.pdf("Versi satu"), "Surat undangan.pdf")
    assert response.status_code == 201
    return response.get_json()


def test_upload_answers_201_with_location_and_the_document(app, api, org, card_id):
    data = documents.pdf("Draf surat balasan")
    response = upload(api, "staff", card_id, data, "draf balasan.pdf")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/attachments/{body['id']}"
    assert body["card_id"] == card_id and body["name"] == "draf balasan.pdf"
    assert (body["kind"], body["content_type"], body["size"], body["version"]) == (
        "pdf",
        "application/pdf",
        len(data),
        1,
    )
    assert len(body["sha256"]) == 64 and body["created_by"] == org.nips["staff"]
    assert body["removed_at"] is None and body["removed_by"] is None
    assert body["links"]["content"] == f"/api/v1/attachments/{body['id']}/content"
    (version,) = body["versions"]
    assert version["number"] == 1 and version["filename"] == "draf balasan.pdf"
    assert version["uploaded_by"] == org.nips["staff"] and version["uploaded_at"].endswith("Z")
    assert version["links"]["content"].endswith("/content?version=1")
    assert api("staff").get(response.headers["Location"]).get_json() == body
    card = api("staff").get(f"/api/v1/cards/{card_id}").get_json()
    assert card["attachment_count"] == 1


def test_a_program_named_pdf_is_refused_on_the_field_and_nothing_is_stored(app, api, card_id):
    before = stored_files()
    response = upload(api, "staff", card_id, documents.EXE, "surat.pdf")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "program" in error["fields"]["file"]
    assert counts(app) == (0, 0) and stored_files() == before


def test_a_request_without_the_file_field_is_422_on_file(app, api, card_id):
    response = api("staff").post(
        f"/api/v1/cards/{card_id}/attachments",
        data={"berkas": "bukan file"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"file"}
    empty_name = upload(api, "staff", card_id, documents.pdf(), "")
    assert empty_name.status_code == 422 and "file" in empty_name.get_json()["error"]["fields"]
    assert counts(app) == (0, 0)


def test_a_json_body_to_the_upload_endpoint_is_a_clear_400(app, api, card_id):
    response = api("staff").post(f"/api/v1/cards/{card_id}/attachments", json={"file": "x"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and "multipart/form-data" in error["message"]
    assert counts(app) == (0, 0)


@pytest.fixture
def small_limit(database_url, tmp_path):
    """An app whose documents may be at most 1 MB, storing into a folder of its own."""
    app = make_app(database_url, DOCUMENT_MAX_MB=1, DOCUMENT_FOLDER=str(tmp_path))
    org = build_org(app)
    tokens = build_tokens(app, org)
    yield app, org, {"Authorization": f"Bearer {tokens['staff']}"}, tmp_path
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def big_pdf(size: int) -> bytes:
    data = documents.pdf("Lampiran besar")
    return data + b"%" + b"0" * (size - len(data) - 1)


def test_a_file_over_the_limit_is_413_too_large_and_nothing_is_stored(small_limit):
    app, org, headers, folder = small_limit
    card_id = new_card(app, org)
    client = app.test_client()
    url = f"/api/v1/cards/{card_id}/attachments"
    # Said too large by its Content-Length: refused before the body is read.
    response = client.post(url, headers=headers, **multipart(big_pdf(2 << 20), "besar.pdf"))
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "too_large" and "1 MB" in error["message"]
    assert "file" in error["fields"]
    # Within the request's margin but over the limit once read: refused by the size check.
    response = client.post(url, headers=headers, **multipart(big_pdf((1 << 20) + 10), "b.pdf"))
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert counts(app) == (0, 0) and stored_files(folder) == 0
    # Exactly the limit is taken.
    response = client.post(url, headers=headers, **multipart(big_pdf(1 << 20), "pas.pdf"))
    assert response.status_code == 201 and counts(app) == (1, 1)


def test_a_body_without_a_length_is_cut_off_at_the_limit(small_limit):
    """Sent in chunks with no Content-Length: the parser stops at the limit (413), never 500."""
    app, org, headers, folder = small_limit
    card_id = new_card(app, org)
    builder = EnvironBuilder(
        path=f"/api/v1/cards/{card_id}/attachments",
        method="POST",
        headers=headers,
        **multipart(big_pdf(3 << 20), "besar.pdf"),
    )
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    # Straight to the app: the test client would put a Content-Length back.
    answer, status, _headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413")
    assert json.loads(b"".join(answer))["error"]["code"] == "too_large"
    assert counts(app) == (0, 0) and stored_files(folder) == 0


def test_list_shows_the_documents_newest_first_with_their_versions(api, card_id, doc):
    second = upload(api, "kasi", card_id, documents.PNG, "foto.png").get_json()
    answer = api("staff").get(f"/api/v1/cards/{card_id}/attachments")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["card_id"] == card_id and body["include_removed"] is False
    assert [each["id"] for each in body["attachments"]] == [second["id"], doc["id"]]
    assert body["attachments"][0]["kind"] == "png"
    assert body["attachments"][1] == doc


def test_content_is_the_bytes_as_a_download_with_safe_headers(app, api, card_id):
    data = documents.pdf("Isi dokumen")
    name = "Surat – undangan rapat.pdf"
    doc = upload(api, "staff", card_id, data, name).get_json()
    response = api("kabid").get(doc["links"]["content"])
    assert response.status_code == 200 and response.data == data
    headers = response.headers
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Length"] == str(len(data))
    assert headers["Content-Disposition"] == (
        'attachment; filename="Surat  undangan rapat.pdf"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert headers["ETag"] == f'"{doc["sha256"]}"'
    assert "no-store" not in headers["Cache-Control"] and "private" in headers["Cache-Control"]
    again = api("staff").get(doc["links"]["content"], headers={"If-None-Match": headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_second_version_keeps_the_first_readable(app, api, org, card_id, doc):
    first = api("staff").get(doc["links"]["content"]).data
    data = documents.pdf("Versi dua")
    url = f"/api/v1/attachments/{doc['id']}/versions"
    response = api("kasi").post(url, **multipart(data, "Surat undangan v2.pdf"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/attachments/{doc['id']}/content?version=2"
    assert body["version"] == 2 and body["name"] == "Surat undangan v2.pdf"
    assert [v["number"] for v in body["versions"]] == [1, 2]
    assert body["versions"][1]["uploaded_by"] == org.nips["kasi"]
    assert body["created_by"] == org.nips["staff"]
    assert api("staff").get(doc["links"]["content"]).data == data
    old = api("staff").get(f"/api/v1/attachments/{doc['id']}/content?version=1")
    assert old.data == first and old.headers["ETag"] == f'"{doc["sha256"]}"'
    assert "Surat%20undangan.pdf" in old.headers["Content-Disposition"]
    missing = api("staff").get(f"/api/v1/attachments/{doc['id']}/content?version=3")
    assert missing.status_code == 404
    bad = api("staff").get(f"/api/v1/attachments/{doc['id']}/content?version=dua")
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"version"}
    refused = api("staff").post(url, **multipart(documents.EXE, "v3.pdf"))
    assert refused.status_code == 422 and "file" in refused.get_json()["error"]["fields"]
    assert counts(app) == (1, 2)


def test_delete_is_soft_and_restore_is_for_heads(app, api, org, card_id, doc):
    url = f"/api/v1/attachments/{doc['id']}"
    kasi_doc = upload(api, "kasi", card_id, documents.PNG, "foto.png").get_json()
    # Not the uploader, not a head: may see it but not remove it.
    refused = api("staff2").delete(url)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert api("staff").delete(f"/api/v1/attachments/{kasi_doc['id']}").status_code == 403
    too_long = api("staff").delete(url, query_string={"reason": "x" * 501})
    assert too_long.status_code == 422 and "reason" in too_long.get_json()["error"]["fields"]
    # The uploader removes it, with a reason.
    removed = api("staff").delete(url, query_string={"reason": "Salah unggah"})
    assert removed.status_code == 200, removed.get_json()
    body = removed.get_json()
    assert body["removed_by"] == org.nips["staff"] and body["removed_reason"] == "Salah unggah"
    assert body["removed_at"].endswith("Z")
    listed = api("staff").get(f"/api/v1/cards/{card_id}/attachments").get_json()
    assert [each["id"] for each in listed["attachments"]] == [kasi_doc["id"]]
    assert api("staff").get(f"/api/v1/cards/{card_id}").get_json()["attachment_count"] == 1
    # A member no longer reads it, bytes included; asking for removed ones shows nothing more.
    assert api("staff").get(url).status_code == 404
    assert api("staff").get(doc["links"]["content"]).status_code == 404
    asked = api("staff").get(f"/api/v1/cards/{card_id}/attachments?include_removed=true")
    assert asked.get_json()["include_removed"] is False
    assert len(asked.get_json()["attachments"]) == 1
    # The head sees it among the removed ones and may still read it.
    head_list = api("kasi").get(f"/api/v1/cards/{card_id}/attachments?include_removed=true")
    assert head_list.get_json()["include_removed"] is True
    assert {each["id"] for each in head_list.get_json()["attachments"]} == {
        doc["id"],
        kasi_doc["id"],
    }
    assert api("kasi").get(doc["links"]["content"]).status_code == 200
    assert api("kasi").delete(url).status_code == 409
    version = api("kasi").post(f"{url}/versions", **multipart(documents.pdf(), "v2.pdf"))
    assert version.status_code == 409
    assert version.get_json()["error"]["code"] == "attachment_removed"
    # Restore: not for the member (who cannot see it), for the head.
    assert api("staff").post(f"{url}/restore").status_code == 404
    restored = api("kasi").post(f"{url}/restore")
    assert restored.status_code == 200 and restored.get_json()["removed_at"] is None
    assert api("staff").get(doc["links"]["content"]).status_code == 200
    assert api("kasi").post(f"{url}/restore").status_code == 409
    assert api("staff").post(f"{url}/restore").status_code == 403
    with app.app_context():
        kinds = db.session.scalars(
            select(Event.kind).where(Event.card_id == card_id).order_by(Event.id)
        ).all()
    assert kinds[-2:] == ["attachment_removed", "attachment_restored"]


def test_outsiders_get_404_everywhere(app, api, card_id, doc):
    outsider = api("outsider")
    url = f"/api/v1/attachments/{doc['id']}"
    answers = [
        outsider.get(f"/api/v1/cards/{card_id}/attachments"),
        outsider.post(f"/api/v1/cards/{card_id}/attachments", **multipart(documents.PNG, "a.png")),
        outsider.get(url),
        outsider.get(f"{url}/content"),
        outsider.get(f"{url}/content?version=1"),
        outsider.post(f"{url}/versions", **multipart(documents.PNG, "a.png")),
        outsider.delete(url),
        outsider.post(f"{url}/restore"),
    ]
    # Whatever the body: not looked at for someone who may not see the card.
    answers += [
        outsider.post(f"/api/v1/cards/{card_id}/attachments", json={"file": "x"}),
        outsider.post(f"{url}/versions", data=b"x", content_type="text/plain"),
    ]
    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert all(answer.get_json()["error"]["code"] == "not_found" for answer in answers)
    assert all(doc["name"] not in answer.get_data(as_text=True) for answer in answers)
    assert counts(app) == (1, 1)


def test_unknown_documents_and_parameters_are_4xx(api, card_id, doc):
    assert api("admin").get("/api/v1/attachments/999999").status_code == 404
    assert api("admin").get("/api/v1/attachments/99999999999").status_code == 404
    assert api("admin").get("/api/v1/cards/999999/attachments").status_code == 404
    flag = api("kasi").get(f"/api/v1/cards/{card_id}/attachments?include_removed=ya")
    assert flag.status_code == 422 and "include_removed" in flag.get_json()["error"]["fields"]
    unknown = api("kasi").get(f"/api/v1/attachments/{doc['id']}?versi=1")
    assert unknown.status_code == 422
    assert api("staff").get(f"/api/v1/attachments/{doc['id']}/content").status_code == 200


def test_without_a_token_nothing_is_answered(client, card_id, doc):
    for response in (
        client.get(f"/api/v1/cards/{card_id}/attachments"),
        client.get(f"/api/v1/attachments/{doc['id']}/content"),
        client.post(f"/api/v1/cards/{card_id}/attachments", **multipart(documents.PNG, "a.png")),
    ):
        assert response.status_code == 401


def test_the_document_describes_multipart_uploads_and_binary_answers(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    for path in (
        "/api/v1/cards/{card_id}/attachments",
        "/api/v1/attachments/{attachment_id}/versions",
    ):
        post = paths[path]["post"]
        assert list(post["requestBody"]["content"]) == ["multipart/form-data"]
        form = post["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["required"] == ["file"]
        assert form["properties"]["file"]["type"] == "string"
        assert form["properties"]["file"]["contentMediaType"] == "application/octet-stream"
        assert {"201", "400", "404", "409", "413", "422", "503"} <= set(post["responses"])
        assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/AttachmentOut"
        }
    content = paths["/api/v1/attachments/{attachment_id}/content"]["get"]
    answer = content["responses"]["200"]
    assert answer["content"] == {
        "application/octet-stream": {
            "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
        }
    }
    assert set(answer["headers"]) == {"Content-Disposition", "ETag"}
    assert [param["name"] for param in content["parameters"]] == ["attachment_id", "version"]
    delete = paths["/api/v1/attachments/{attachment_id}"]["delete"]
    assert "requestBody" not in delete
    assert [param["name"] for param in delete["parameters"]] == ["attachment_id", "reason"]
    schemas = document["components"]["schemas"]
    assert "attachment_count" in schemas["Card"]["required"]
    assert {"versions", "links", "removed_reason"} <= set(schemas["AttachmentOut"]["properties"])


def test_listing_sends_as_many_queries_for_many_documents_as_for_two(app, api, card_id, doc):
    """Versions and the people named are loaded in one query each, whatever their number."""
    from tests.query_counter import count_queries

    url = f"/api/v1/cards/{card_id}/attachments?include_removed=true"
    removed = upload(api, "staff2", card_id, documents.PNG, "foto.png").get_json()
    api("kasi").delete(f"/api/v1/attachments/{removed['id']}")
    api("kasi").get(url)  # the token's first use is written down once
    with count_queries(app) as two:
        assert len(api("kasi").get(url).get_json()["attachments"]) == 2
    for n, role in enumerate(("staff2", "kabid", "admin")):
        added = upload(api, role, card_id, documents.PNG, f"foto {n}.png").get_json()
        versions = f"/api/v1/attachments/{added['id']}/versions"
        assert api(role).post(versions, **multipart(documents.pdf(), "v2.pdf")).status_code == 201
    api("admin").delete(f"/api/v1/attachments/{added['id']}")
    with count_queries(app) as five:
        assert len(api("kasi").get(url).get_json()["attachments"]) == 5
    assert len(five) == len(two)
