from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import openai
import pytest
from fastapi import FastAPI

from mockapi.app import create_app
from mockapi.settings import Settings
from tests import fake_endpoints
from tests.redis_support import REDIS_MISSING, redis_server, redis_server_binary
from tests.s3_support import AWS_ENV, MOTO_MISSING, fresh_url, moto_installed, s3_server
from tests.support import API_KEY, ServerProcess

# `pytester` runs a test suite that uses only the installed package (the mockapi pytest plugin).
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess]:
    """One default server for the whole run; tests must not change its state in ways others see."""
    with ServerProcess() as process:
        yield process


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """One real Redis server for the whole run; tests isolate themselves by a key prefix of their own."""
    if redis_server_binary() is None:
        pytest.skip(REDIS_MISSING)
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """One S3-compatible server (moto's) for the whole run, and boto3's dummy credentials in the environment
    (so also in the servers tests start); tests isolate themselves by a key prefix of their own (`s3_url`)."""
    if not moto_installed():
        pytest.skip(MOTO_MISSING)
    with pytest.MonkeyPatch.context() as environment:
        for name, value in AWS_ENV.items():
            environment.setenv(name, value)
        with s3_server() as endpoint:
            yield endpoint


@pytest.fixture
def s3_url(s3_endpoint: str) -> str:
    """`s3://bucket/prefix` of a store of the test's own in the server of `s3_endpoint`."""
    return fresh_url()


@pytest.fixture
def start_server() -> Iterator[Callable[..., ServerProcess]]:
    """Start a server with particular flags for one test; stopped when the test ends."""
    started: list[ServerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        process = ServerProcess(args, env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def client(server: ServerProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def mockapi_app(mockapi_settings: Settings) -> FastAPI:
    """The pytest plugin's server, plus test-only endpoints under /v1/mockapi-test (see fake_endpoints)."""
    return fake_endpoints.mount(create_app(mockapi_settings))
