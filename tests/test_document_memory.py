"""A 25 MB document goes up and comes down in bounded memory, on the local folder and on S3
(moto's S3 server, tests/s3_server.py), measured with tracemalloc around a real multipart
request and a download read in chunks (bench/documents.py measures the same and prints it;
docs/benchmarks.md, "Documents: memory", has the figures).

Measured: upload peak about 1 MB (local) and 2.4 MB (S3), download about 0.1 MB, the same for
50 MB. The bounds leave room for that to vary, yet sit below the 8 MB part boto3's
`upload_fileobj` would hold (10.8 MB measured) and far below the file.
"""

import io

import pytest
from flask import request

from app.extensions import db
from bench.documents import MB, Peak, measure, memory_app
from tests.conftest import build_org, make_app
from tests.s3_server import s3_server  # noqa: F401  (the fixture)

SIZE = 25 * MB
UPLOAD_BOUND = 6 * MB
DOWNLOAD_BOUND = 4 * MB


@pytest.fixture(params=["local", "s3"])
def memory(request, tmp_path):
    if request.param == "local":
        config = {"DOCUMENT_STORAGE": "local", "DOCUMENT_FOLDER": str(tmp_path / "documents")}
    else:
        config = request.getfixturevalue("s3_server").config(S3_PREFIX="memory")
    app, card_id = memory_app(make_app, build_org, "sqlite://", **config)
    yield app, card_id
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_25_mb_upload_and_download_stay_in_bounded_memory(memory, tmp_path):
    app, card_id = memory
    result = measure(app, card_id, SIZE, tmp_path)
    assert result["upload_peak"] < UPLOAD_BOUND, result
    assert result["download_peak"] < DOWNLOAD_BOUND, result


def test_the_measurement_sees_a_file_read_whole(tmp_path):
    """The same measurement around a route that reads the upload at once: it must show the
    file, or the bounds above would prove nothing."""
    app = make_app("sqlite://", DOCUMENT_FOLDER=str(tmp_path / "documents"))

    @app.post("/_memory/whole")
    def whole():
        return {"size": len(request.files["file"].read())}

    data = io.BytesIO(b"x" * (8 * MB))
    with Peak() as peak:
        response = app.test_client().post(
            "/_memory/whole", data={"file": (data, "a.txt")}, content_type="multipart/form-data"
        )
    assert response.get_json() == {"size": 8 * MB}
    assert peak.bytes >= 8 * MB
