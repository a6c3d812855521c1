"""Documents in S3-compatible object storage (MinIO, Ceph RGW, SeaweedFS, a cloud bucket),
through boto3: what several app servers share.

Settings (environment): `CERGAS_S3_BUCKET` (required), `CERGAS_S3_ENDPOINT_URL` (e.g.
`http://minio.local:9000`; empty for AWS), `CERGAS_S3_REGION`, `CERGAS_S3_PREFIX` (a folder
inside the bucket), and the credentials as boto3 reads them (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, or a profile / instance role).

Memory stays bounded whatever the size: a file up to 8 MB goes in one request and a larger one
in parts of 8 MB, each part's body a window onto the caller's (seekable) stream that botocore
reads in small blocks, so no part is ever copied into memory (boto3's `upload_fileobj` would
hold each part whole). Downloads stream in 64 KB chunks.
"""

from typing import BinaryIO

from app.storage import CHUNK, Missing, StorageError, check_key

PART_SIZE = 8 * 1024 * 1024
_NOT_FOUND = ("NoSuchKey", "404", "NotFound")


def _boto_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


class _Body:
    """boto3's streaming body as a plain readable stream (what `send_file` and the service's
    callers read): `read()` with no size reads to the end, as a file's does; a dropped
    connection half-way is a StorageError."""

    def __init__(self, body, name: str):
        self._body = body
        self._name = name

    def read(self, size: int | None = -1) -> bytes:
        try:
            return self._body.read(None if size is None or size < 0 else size)
        except _boto_errors() as exc:
            raise StorageError(f"cannot read {self._name}: {exc}") from exc

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def __iter__(self):
        while chunk := self.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Window:
    """`length` bytes of `source` from `start`, as a seekable stream of their own: the body of
    one request, which botocore reads in blocks (and rewinds to retry) without a copy."""

    def __init__(self, source: BinaryIO, start: int, length: int):
        self._source = source
        self._start = start
        self._length = length
        self._position = 0

    def __len__(self) -> int:
        return self._length

    def read(self, size: int | None = -1) -> bytes:
        left = self._length - self._position
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        self._source.seek(self._start + self._position)
        data = self._source.read(size)
        self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: self._length}[whence]
        self._position = min(max(base + offset, 0), self._length)
        return self._position

    def tell(self) -> int:
        return self._position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


class S3Storage:
    label = "s3"

    def __init__(self, bucket: str, *, prefix: str = "", client=None, **client_options):
        if not bucket:
            raise SystemExit("CERGAS_DOCUMENT_STORAGE=s3 needs CERGAS_S3_BUCKET")
        self.bucket = bucket
        self.prefix = normal_prefix(prefix)
        self.client = client or make_client(**client_options)

    @classmethod
    def from_config(cls, config) -> "S3Storage":
        return cls(
            config.get("S3_BUCKET") or "",
            prefix=config.get("S3_PREFIX") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _error(self, action: str, name: str, exc: Exception) -> StorageError:
        return StorageError(f"cannot {action} s3://{self.bucket}/{name}: {exc}")

    def save(self, key: str, source: BinaryIO) -> None:
        name = self._key(key)
        try:
            start = source.tell()
            size = source.seek(0, 2) - start
        except (OSError, AttributeError) as exc:
            raise StorageError(f"cannot write s3://{self.bucket}/{name}: {exc}") from exc
        try:
            if size <= PART_SIZE:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=name,
                    Body=_Window(source, start, size),
                    ContentLength=size,
                )
            else:
                self._save_in_parts(name, source, start, size)
        except _boto_errors() as exc:
            raise self._error("write", name, exc) from exc
        except OSError as exc:
            raise self._error("write", name, exc) from exc

    def _save_in_parts(self, name: str, source: BinaryIO, start: int, size: int) -> None:
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=name)["UploadId"]
        try:
            parts = []
            for number, offset in enumerate(range(0, size, PART_SIZE), start=1):
                length = min(PART_SIZE, size - offset)
                answer = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload,
                    PartNumber=number,
                    Body=_Window(source, start + offset, length),
                    ContentLength=length,
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=name, UploadId=upload, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload)
            except _boto_errors():
                pass  # the bucket's lifecycle rule for incomplete uploads cleans it up
            raise

    def open(self, key: str) -> BinaryIO:
        name = self._key(key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        except _boto_errors() as exc:
            if _code(exc) in _NOT_FOUND:
                raise Missing(key) from None
            raise self._error("read", name, exc) from exc
        return _Body(answer["Body"], f"s3://{self.bucket}/{name}")

    def delete(self, key: str) -> None:
        name = self._key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except _boto_errors() as exc:
            if _code(exc) in _NOT_FOUND:
                return
            raise self._error("delete", name, exc) from exc

    def exists(self, key: str) -> bool:
        name = self._key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except _boto_errors() as exc:
            if _code(exc) in _NOT_FOUND:
                return False
            raise self._error("check", name, exc) from exc
        return True


def normal_prefix(prefix: str) -> str:
    """`cergas/documents/` from `/cergas//documents`: the folder inside the bucket, ending in
    `/` (or empty); `.` and `..` are refused like in keys."""
    parts = [part for part in (prefix or "").split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise SystemExit(f"CERGAS_S3_PREFIX must be a folder name, not {prefix!r}")
    return "/".join(parts) + "/" if parts else ""


def make_client(**options):
    """A boto3 S3 client that gives up in time: a store that does not answer within seconds
    turns into a 503 for that request, not a worker thread stuck for minutes."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    return boto3.client(
        "s3", config=config, **{name: value for name, value in options.items() if value}
    )


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
