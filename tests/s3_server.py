"""A real S3-compatible HTTP server for the document storage tests: moto's
`ThreadedMotoServer` on a free port of 127.0.0.1, with a bucket made for the tests.

The server runs in a child process of its own (as tests/ldap_server.py runs slapd): the memory
tests measure this process only, and moto keeps every stored object in its own memory; it also
keeps moto's request threads off this process's GIL. Skips, with the reason, where moto is not
installed (`pip install -e .[test]` installs moto[server]).

Credentials: moto takes any; the tests put AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the
environment for the session (as an administrator would for boto3), so the app's own client
(app/storage/s3.py) finds them the usual way.
"""

import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from tests.ldap_server import free_port

MOTO_SKIP = "moto is not installed (moto[server], in setup.cfg's test extra)"
BUCKET = "cergas-dokumen"
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "cergas-test", "AWS_SECRET_ACCESS_KEY": "cergas-test-secret"}

_SERVE = """
import sys
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("ready", flush=True)
sys.stdin.read()  # until the tests close the pipe (or die)
server.stop()
"""


@dataclass
class S3Server:
    port: int
    process: subprocess.Popen

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self, **extra) -> dict:
        """The app settings for storing documents on this server."""
        return {
            "DOCUMENT_STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_REGION": REGION,
            "S3_PREFIX": "",
            **extra,
        }

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION)

    def keys(self, prefix: str = "") -> list[str]:
        """Every object name in the test bucket (under `prefix`)."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server() -> S3Server:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask_cors") is None:
        pytest.skip(MOTO_SKIP)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    server = S3Server(port, process)
    line = process.stdout.readline()
    if line.strip() != "ready":
        server.stop()
        raise RuntimeError(f"moto's S3 server did not start (exit code {process.poll()})")
    client = server.client()
    deadline = time.monotonic() + 20
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            return server
        except Exception:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.1)


def running_s3():
    """A running S3 server with the test bucket, the credentials in the environment, until the
    generator is closed: for a session-scoped fixture, `yield from running_s3()`."""
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    server = None
    try:
        server = start_server()
        yield server
    finally:
        if server is not None:
            server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def s3_server():
    yield from running_s3()
