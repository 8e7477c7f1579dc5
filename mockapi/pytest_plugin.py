"""pytest plugin (entry point `pytest11`): a mockapi server for the whole session, reset before each test.

    def test_summary(mockapi):
        mockapi.add_rule(match={"contains": "summarise"}, respond={"content": "Short."})
        client = mockapi.openai_client()
        ...
        assert mockapi.requests.last_request.body["model"] == "gpt-3.5-turbo"

The server is a real uvicorn in a thread on a free port, so subprocesses and other languages can reach it
too. Override the session fixtures `mockapi_settings` (a `mockapi.settings.Settings`) or `mockapi_app` to
configure it; `@pytest.mark.mockapi(fixtures=..., seed=...)` configures one test.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: loading the plugin must stay cheap for suites that never use it
    import openai
    import uvicorn
    from fastapi import FastAPI

    from mockapi.journal import Entry
    from mockapi.settings import Settings
    from mockapi.state import AppState

__all__ = [
    "API_KEY",
    "Mockapi",
    "RequestLog",
    "ServerThread",
    "mockapi",
    "mockapi_app",
    "mockapi_server",
    "mockapi_settings",
]

API_KEY = "sk-mockapi-test-0000000000000000"
MARKER = "mockapi"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixtures=None, seed=None): rule files or directories (relative to the test file) to load "
        "and the seed to answer with, for this test's `mockapi` fixture",
    )


class ServerThread:
    """A uvicorn server for `app` in a daemon thread, on a free port of 127.0.0.1."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.mockapi
        return state

    def start(self, timeout: float = 20.0) -> ServerThread:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        from mockapi.serving import uvicorn_options

        # The transport and loop of `mockapi serve`; no websockets or lifespan, which the app does not use.
        config = uvicorn.Config(self.app, **uvicorn_options(self.state.settings), ws="none", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="mockapi-server", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mockapi server thread did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(15)


class RequestLog(Sequence["Entry"]):
    """The request journal, oldest first: index it, iterate it, or filter it."""

    def __init__(self, state: AppState) -> None:
        self._state = state

    def _entries(self) -> list[Entry]:
        return self._state.journal.entries()

    def __getitem__(self, index: Any) -> Any:
        return self._entries()[index]

    def __len__(self) -> int:
        return len(self._state.journal)

    @property
    def last_request(self) -> Entry:
        entries = self._entries()
        if not entries:
            raise AssertionError("mockapi received no request")
        return entries[-1]

    def filter(self, path: str | None = None, session: str | None = None, since_id: int | None = None) -> list[Entry]:
        return self._state.journal.entries(path=path, session=session, since_id=since_id)

    def clear(self) -> None:
        self._state.journal.clear()


class Mockapi:
    """What a test sees: the server's URLs, SDK clients pointed at it, rules, the journal, reset()."""

    def __init__(self, server: ServerThread) -> None:
        self._server = server
        self.api_key = API_KEY

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def base_url(self) -> str:
        return self._server.url + "/v1"

    @property
    def state(self) -> AppState:
        return self._server.state

    @property
    def requests(self) -> RequestLog:
        return RequestLog(self.state)

    def openai_client(self, **options: Any) -> openai.OpenAI:
        """The official SDK client pointed at this server (no retries unless `max_retries` is given)."""
        import openai

        options.setdefault("max_retries", 0)
        options.setdefault("api_key", self.api_key)
        options.setdefault("base_url", self.base_url)
        return openai.OpenAI(**options)

    def async_openai_client(self, **options: Any) -> openai.AsyncOpenAI:
        import openai

        options.setdefault("max_retries", 0)
        options.setdefault("api_key", self.api_key)
        options.setdefault("base_url", self.base_url)
        return openai.AsyncOpenAI(**options)

    def add_rule(self, rule: dict[str, Any] | None = None, /, **fields: Any) -> str:
        """Add a rule (the fixture-file schema, as a dict or keywords); answers its id."""
        from mockapi.fixtures import Rule

        added = self.state.rules.add(Rule.model_validate({**(rule or {}), **fields}))
        assert added.id is not None
        return added.id

    def delete_rule(self, rule_id: str) -> bool:
        return self.state.rules.delete(rule_id)

    def load_rules(self, *paths: str | Path) -> list[str]:
        """Add the rules of these files or directories as runtime rules; answers their ids."""
        from mockapi.fixtures import load_rules

        return [self.state.rules.add(rule).id or "" for rule in load_rules([Path(p) for p in paths])]

    def seed(self, seed: int) -> None:
        self.state.reseed(seed)

    def advance(self, seconds: float) -> float:
        """Move the server's clock forward (jobs and expiries move on it); answers the new time."""
        return self.state.seeding.clock.advance(seconds)

    def reset(self) -> None:
        """Runtime rules, sequence counters, journal, rate windows, the clock and the seed back to a fresh start."""
        self.state.reset()


@pytest.fixture(scope="session")
def mockapi_settings() -> Settings:
    """Override to serve with other settings (e.g. `Settings(rpm=5)`)."""
    from mockapi.settings import Settings

    return Settings(log_level="warning")


@pytest.fixture(scope="session")
def mockapi_app(mockapi_settings: Settings) -> FastAPI:
    """Override to add routes or middleware to the app served."""
    from mockapi.app import create_app

    return create_app(mockapi_settings)


@pytest.fixture(scope="session")
def mockapi_server(mockapi_app: FastAPI) -> Iterator[ServerThread]:
    server = ServerThread(mockapi_app).start()
    yield server
    server.stop()


@pytest.fixture
def mockapi(mockapi_server: ServerThread, request: pytest.FixtureRequest) -> Mockapi:
    handle = Mockapi(mockapi_server)
    handle.reset()
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        options = dict(marker.kwargs)
        fixtures = options.pop("fixtures", None)
        seed = options.pop("seed", None)
        if options:
            raise pytest.UsageError(f"unknown mockapi marker options: {', '.join(options)}")
        if seed is not None:
            handle.seed(int(seed))
        if fixtures is not None:
            paths = [fixtures] if isinstance(fixtures, str | Path) else list(fixtures)
            here = request.path.parent
            handle.load_rules(*(p if Path(p).is_absolute() else here / p for p in paths))
    return handle
