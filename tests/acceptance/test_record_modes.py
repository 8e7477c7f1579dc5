"""The relay itself: streams pass as they come, an upstream out of reach is OpenAI's 502 (or 504), proxy
mode forwards and journals without recording, the key is the upstream's or passed through, and record
mode forwards what mockapi itself would refuse."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.record_support import (
    SECRET_HEADERS,
    SECRETS,
    SLOW_TEXT,
    UPSTREAM_KEY,
    client,
    every_file,
    last_request_id,
    recorder,
    upstream_requests,
    upstream_server,
)
from tests.support import API_KEY, ServerProcess, error_of, free_port


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with upstream_server(tmp_path_factory.mktemp("upstream-rules")) as server:
        yield server


def _chat(server: ServerProcess, text: str, key: str = API_KEY, **fields: object) -> httpx.Response:
    body = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": text}], **fields}
    headers = {"Authorization": f"Bearer {key}", **SECRET_HEADERS}
    return httpx.post(server.base_url + "/chat/completions", json=body, headers=headers, timeout=30)


def test_a_stream_is_relayed_as_it_comes(upstream: ServerProcess, tmp_path: Path) -> None:
    with recorder(upstream, "--record", str(tmp_path / "rules")) as server:
        stream = client(server).chat.completions.create(
            model="gpt-3.5-turbo", messages=[{"role": "user", "content": "Tell me slowly"}], stream=True
        )
        started = time.monotonic()
        arrivals: list[tuple[float, str]] = []
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append((time.monotonic() - started, chunk.choices[0].delta.content))
    assert "".join(text for _, text in arrivals) == SLOW_TEXT
    first, last = arrivals[0][0], arrivals[-1][0]
    # The upstream writes 8 tokens a second: the first arrives long before the upstream has finished.
    assert last > 1.2 and first < last - 1.0, arrivals
    (rule,) = (tmp_path / "rules").glob("*.yaml")
    assert f"content: {SLOW_TEXT}" in rule.read_text()


def test_an_unreachable_upstream_is_a_502_in_openais_shape(tmp_path: Path) -> None:
    port = free_port()
    with recorder(f"http://127.0.0.1:{port}/v1", "--record", str(tmp_path / "rules")) as server:
        response = _chat(server, "Hello?")
        assert response.status_code == 502 and "x-request-id" in response.headers
        error = error_of(response)
        assert error["message"] == (
            f"The upstream http://127.0.0.1:{port} could not be reached: the connection was refused."
        )
        assert (error["type"], error["code"], error["param"]) == ("server_error", "upstream_error", None)
        with pytest.raises(openai.InternalServerError) as caught:
            client(server).models.list()
        assert caught.value.status_code == 502
    assert list((tmp_path / "rules").iterdir()) == []  # nothing recorded


def test_a_failed_tls_handshake_is_a_502_naming_it(upstream: ServerProcess) -> None:
    with recorder(f"https://127.0.0.1:{upstream.port}/v1") as server:  # the upstream speaks plain HTTP
        response = _chat(server, "Hello?")
    assert response.status_code == 502
    assert error_of(response)["message"].startswith(
        f"The upstream https://127.0.0.1:{upstream.port} could not be reached: the TLS handshake failed ("
    )


def test_an_upstream_too_slow_is_a_504_naming_it(upstream: ServerProcess, tmp_path: Path) -> None:
    with recorder(upstream, "--record", str(tmp_path), "--upstream-timeout", "0.5") as server:
        started = time.monotonic()
        response = _chat(server, "Take your time")
        assert response.status_code == 504 and time.monotonic() - started < 2.5
        error = error_of(response)
        assert error["code"] == "upstream_timeout"
        name = f"http://127.0.0.1:{upstream.port}"
        assert error["message"] == f"The upstream {name} did not answer within 0.5 seconds (--upstream-timeout)."


def test_proxy_mode_forwards_and_journals_everything_without_recording(upstream: ServerProcess) -> None:
    with recorder(upstream) as server:  # --upstream alone: proxy mode
        direct = _chat(upstream, "Hello, proxy", key=UPSTREAM_KEY)
        relayed = _chat(server, "Hello, proxy")
        assert relayed.status_code == 200 and relayed.json()["choices"] == direct.json()["choices"]
        assert relayed.headers.get_list("x-request-id") == [relayed.headers["x-request-id"]]
        assert relayed.headers["openai-model"] == "gpt-3.5-turbo"
        refused = _chat(server, "Are you busy?")  # the upstream's 429, with its headers
        assert refused.status_code == 429 and refused.headers["retry-after"] == "20"
        assert error_of(refused)["code"] == "rate_limit_exceeded"
        unknown = httpx.get(server.base_url + "/no/such/route", headers={"Authorization": f"Bearer {API_KEY}"})
        assert unknown.status_code == 404 and "Invalid URL (GET /v1/no/such/route)" in unknown.text
        journal = httpx.get(server.url + "/__mockapi/requests").json()["data"]
    assert [(entry["path"], entry["status"], entry["relayed"]) for entry in journal] == [
        ("/v1/chat/completions", 200, True),
        ("/v1/chat/completions", 429, True),
        ("/v1/no/such/route", 404, True),
    ]
    assert journal[0]["body"]["messages"][0]["content"] == "Hello, proxy"
    headers = journal[0]["headers"]
    assert headers["openai-organization"] == headers["openai-project"] == headers["cookie"] == "[redacted]"
    assert [secret for secret in SECRETS if secret in str(journal)] == []


def test_without_an_upstream_key_the_clients_key_is_passed_through(upstream: ServerProcess) -> None:
    with recorder(upstream, key="") as server:
        assert _chat(server, "Hello", key=UPSTREAM_KEY).status_code == 200
        refused = _chat(server, "Hello", key=API_KEY)
        assert refused.status_code == 401 and error_of(refused)["code"] == "invalid_api_key"
        assert "sk-test-" in error_of(refused)["message"]  # the upstream's own refusal of the client's key


def test_record_mode_forwards_what_mockapi_itself_refuses(upstream: ServerProcess, tmp_path: Path) -> None:
    before = last_request_id(upstream)
    with recorder(upstream, "--record", str(tmp_path)) as server:
        answer = client(server).chat.completions.create(
            model="gpt-upstream-only", messages=[{"role": "user", "content": "Who knows you?"}]
        )
        assert answer.model == "gpt-upstream-only" and answer.choices[0].message.content
    (forwarded,) = upstream_requests(upstream, before)
    assert forwarded["body"]["model"] == "gpt-upstream-only" and forwarded["status"] == 200
    assert list(every_file(tmp_path)) == []  # relayed, not recorded: mockapi could not replay it


def test_upstream_settings_are_checked_at_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    cases = [
        (["--mode", "record"], "--mode record needs --upstream URL"),
        (["--mode", "replay"], "--mode replay needs --record DIR"),
        (["--upstream", "ftp://example.com"], "is not an http:// or https:// URL"),
        (["--upstream", "http://x/v1", "--record", str(tmp_path), "--workers", "2"], "needs a single worker"),
    ]
    for flags, expected in cases:
        command = [sys.executable, "-m", "mockapi", "serve", "--port", "1", *flags]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
