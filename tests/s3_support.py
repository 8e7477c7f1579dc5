"""A real S3-compatible server on a free 127.0.0.1 port, for the tests of the bucket stores (--files-url): moto's
server (the dev extras), in a process of its own, everything in its memory and gone when it stops. boto3 needs
credentials and a region, any will do: AWS_ENV holds dummy ones, for this process and for servers started."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.support import free_port

MOTO_MISSING = "no S3-compatible server: moto[server] (the dev extras) is not installed"
BUCKET = "mockapi-tests"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Nothing of the machine's own AWS set-up (profiles, ~/.aws) may reach the tests.
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def moto_installed() -> bool:
    return importlib.util.find_spec("moto") is not None and importlib.util.find_spec("flask") is not None


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/moto-api/", timeout=0.5).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def s3_server(timeout: float = 20.0, tries: int = 3) -> Iterator[str]:
    """moto's server for the block, with the bucket BUCKET: answers its endpoint URL."""
    failure = ""
    for _ in range(tries):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and process.poll() is None and not _answers(url):
                    time.sleep(0.05)
                if process.poll() is None and _answers(url):
                    create_bucket(url, BUCKET)
                    yield url
                    return
                log.seek(0)
                failure = log.read().decode(errors="replace")
            finally:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    raise RuntimeError(f"moto's server did not start: {failure}")


def create_bucket(endpoint: str, name: str) -> None:
    import boto3

    boto3.session.Session(**session_options()).client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)


def session_options() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": AWS_ENV["AWS_DEFAULT_REGION"],
    }


def fresh_url() -> str:
    """A prefix of the test bucket no other test uses: a store of its own."""
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"


def keys(endpoint: str, url: str) -> list[str]:
    """Every key under a store's prefix, relative to it."""
    import boto3

    prefix = url.removeprefix(f"s3://{BUCKET}/") + "/"
    client = boto3.session.Session(**session_options()).client("s3", endpoint_url=endpoint)
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        found += [item["Key"][len(prefix) :] for item in page.get("Contents", ())]
    return sorted(found)
