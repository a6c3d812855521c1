"""Documents in S3-compatible object storage (MinIO, Ceph RGW, SeaweedFS, a cloud bucket),
through boto3: what several app servers share.

Settings (environment): `CERGAS_S3_BUCKET` (required), `CERGAS_S3_ENDPOINT_URL` (e.g.
`http://minio.local:9000`; empty for AWS), `CERGAS_S3_REGION`, `CERGAS_S3_PREFIX` (a folder
inside the bucket), and the credentials as boto3 reads them (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, or a profile / instance role). Uploads go in parts of 8 MB, one at a
time, so an upload holds at most one part in memory; downloads stream in 64 KB chunks.
"""

from typing import BinaryIO

from app.storage import CHUNK, Missing, StorageError

PART_SIZE = 8 * 1024 * 1024


class _Body:
    """boto3's streaming body as a plain readable stream (what `send_file` reads)."""

    def __init__(self, body):
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(CHUNK if size is None or size < 0 else size)

    def __iter__(self):
        return self._body.iter_chunks(CHUNK)

    def close(self) -> None:
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class S3Storage:
    label = "s3"

    def __init__(self, bucket: str, *, prefix: str = "", client=None, **client_options):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        if not bucket:
            raise SystemExit("CERGAS_DOCUMENT_STORAGE=s3 needs CERGAS_S3_BUCKET")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client(
            "s3",
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
            **{name: value for name, value in client_options.items() if value},
        )
        # One part in memory at a time, in this thread: bounded memory whatever the size.
        self.transfer = TransferConfig(
            multipart_threshold=PART_SIZE,
            multipart_chunksize=PART_SIZE,
            max_concurrency=1,
            use_threads=False,
        )

    @classmethod
    def from_config(cls, config) -> "S3Storage":
        return cls(
            config.get("S3_BUCKET") or "",
            prefix=config.get("S3_PREFIX") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
        )

    def _key(self, key: str) -> str:
        if not key or any(part in ("", ".", "..") for part in key.split("/")):
            raise ValueError(f"bad storage key {key!r}")
        return self.prefix + key

    def _error(self, action: str, key: str, exc: Exception) -> StorageError:
        return StorageError(f"cannot {action} s3://{self.bucket}/{self._key(key)}: {exc}")

    def save(self, key: str, source: BinaryIO) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.upload_fileobj(source, self.bucket, self._key(key), Config=self.transfer)
        except (BotoCoreError, ClientError) as exc:
            raise self._error("write", key, exc) from exc

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise Missing(key) from None
            raise self._error("read", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("read", key, exc) from exc
        return _Body(answer["Body"])

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise self._error("delete", key, exc) from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise self._error("check", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("check", key, exc) from exc
        return True
