"""Rate limits per API key (--rpm/--tpm and per rule): headers counting down, the real 429, recovery."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from mockapi.app import create_app
from mockapi.pytest_plugin import Mockapi, ServerThread
from mockapi.settings import Settings
from tests import fake_endpoints
from tests.support import ServerProcess, error_of

WINDOW = 2.0  # seconds; the real API's window is a minute


def _get(process: ServerProcess, key: str) -> httpx.Response:
    return httpx.get(process.base_url + "/models/ada", headers={"Authorization": f"Bearer {key}"})


def test_rpm_refuses_the_sixth_request_then_recovers(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--rpm", "5", "--rate-window-seconds", str(WINDOW))
    responses = [_get(process, "sk-rpm-test-key-1111") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert [r.headers["x-ratelimit-remaining-requests"] for r in responses] == ["4", "3", "2", "1", "0"]
    assert {r.headers["x-ratelimit-limit-requests"] for r in responses} == {"5"}
    assert all(r.headers["x-ratelimit-reset-requests"].endswith("s") for r in responses)
    refused = _get(process, "sk-rpm-test-key-1111")
    assert refused.status_code == 429
    error = error_of(refused)
    assert (error["type"], error["code"], error["param"]) == ("requests", "rate_limit_exceeded", None)
    assert str(error["message"]).startswith(
        "Rate limit reached for default-ada in organization org-mockapi on requests per min. Limit: 5 / min. "
        "Please try again in "
    )
    assert 1 <= int(refused.headers["retry-after"]) <= WINDOW
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    # Another key has its own window.
    assert _get(process, "sk-rpm-other-key-2222").headers["x-ratelimit-remaining-requests"] == "4"
    # The SDK honours retry-after and gets through once the window has moved on.
    client = openai.OpenAI(base_url=process.base_url, api_key="sk-rpm-test-key-1111", max_retries=3)
    assert client.models.retrieve("ada").id == "ada"
    time.sleep(WINDOW)
    recovered = _get(process, "sk-rpm-test-key-1111")
    assert recovered.status_code == 200 and recovered.headers["x-ratelimit-remaining-requests"] == "4"


def test_reset_clears_the_rate_limit_windows(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--rpm", "3")  # the real one-minute window: only a reset lets the key in again
    key = "sk-reset-window-key-3333"
    assert [_get(process, key).status_code for _ in range(3)] == [200, 200, 200]
    refused = _get(process, key)
    assert refused.status_code == 429 and error_of(refused)["code"] == "rate_limit_exceeded"
    assert httpx.post(process.url + "/__mockapi/reset").json() == {"reset": True}
    again = _get(process, key)
    assert again.status_code == 200
    assert again.headers["x-ratelimit-remaining-requests"] == "2"  # the limit minus this one request


def test_limit_headers_on_every_v1_response(mockapi: Mockapi) -> None:
    headers = {"Authorization": "Bearer sk-headers-key-000000"}
    with httpx.Client(base_url=mockapi.url, headers=headers) as http:
        remaining = [int(http.get("/v1/models").headers["x-ratelimit-remaining-requests"]) for _ in range(3)]
        missing = http.get("/v1/nope")
        health = http.get("/health")
    assert remaining == [3499, 3498, 3497]
    assert missing.status_code == 404 and missing.headers["x-ratelimit-limit-requests"] == "3500"
    assert missing.headers["x-ratelimit-limit-tokens"] == "90000"
    assert "x-ratelimit-limit-requests" not in health.headers


def test_rule_with_its_own_rpm(mockapi: Mockapi) -> None:
    mockapi.add_rule(id="limited", match={"endpoint": "models", "model": "ada"}, rpm=2)
    client = mockapi.openai_client()
    raw = [client.models.with_raw_response.retrieve("ada") for _ in range(2)]
    assert [r.headers["x-ratelimit-remaining-requests"] for r in raw] == ["1", "0"]
    assert raw[0].headers["x-ratelimit-limit-requests"] == "2"
    with pytest.raises(openai.RateLimitError) as caught:
        client.models.retrieve("ada")
    assert caught.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    assert client.models.retrieve("babbage").id == "babbage"  # other requests are not limited by the rule
    assert mockapi.requests.last_request.fault is None
    assert [e.fault for e in mockapi.requests][2] == "rate_limit"


def _refused_for_tokens(client: openai.OpenAI, messages: list[Any], tries: int) -> openai.RateLimitError:
    """Chat requests until one is refused (within `tries`), with the real message of a 60-token limit."""
    for _ in range(tries):
        try:
            client.chat.completions.create(model="gpt-3.5-turbo", messages=messages)
        except openai.RateLimitError as exc:
            assert exc.body["type"] == "tokens"  # type: ignore[index]
            assert "on tokens per min. Limit: 60 / min." in exc.body["message"]  # type: ignore[index]
            return exc
    raise AssertionError(f"no request of {tries} was refused")


def test_rule_with_its_own_tpm(mockapi: Mockapi) -> None:
    words = "one two three four five six seven eight nine ten"
    mockapi.add_rule(id="tokens", match={"endpoint": "chat.completions"}, tpm=60, respond={"content": words})
    client = mockapi.openai_client()
    messages = [{"role": "user", "content": "count my tokens please"}]
    first = client.chat.completions.with_raw_response.create(model="gpt-3.5-turbo", messages=messages)
    usage = first.parse().usage
    assert usage is not None and usage.completion_tokens == 10
    assert first.headers["x-ratelimit-limit-tokens"] == "60"
    assert int(first.headers["x-ratelimit-remaining-tokens"]) == 60 - usage.total_tokens
    _refused_for_tokens(client, messages, tries=5)
    # Only what the rule answers counts against its limit.
    other = client.models.with_raw_response.list()
    assert other.status_code == 200 and other.headers["x-ratelimit-limit-tokens"] == "90000"
    assert [e.fault for e in mockapi.requests].count("rate_limit") == 1


@pytest.fixture(scope="module")
def tpm_server() -> Iterator[ServerThread]:
    app = fake_endpoints.mount(create_app(Settings(tpm=60, rate_window_seconds=WINDOW)))
    server = ServerThread(app).start()
    yield server
    server.stop()


def test_tpm_counts_the_reply_usage(tpm_server: ServerThread) -> None:
    client = openai.OpenAI(base_url=tpm_server.url + fake_endpoints.PREFIX, api_key="sk-tpm-key-0000", max_retries=0)
    messages = [{"role": "user", "content": "count my tokens please"}]
    first = client.chat.completions.with_raw_response.create(model="gpt-3.5-turbo", messages=messages)
    usage = first.parse().usage
    assert usage is not None
    assert first.headers["x-ratelimit-limit-tokens"] == "60"
    assert int(first.headers["x-ratelimit-remaining-tokens"]) == 60 - usage.total_tokens
    second = client.chat.completions.with_raw_response.create(model="gpt-3.5-turbo", messages=messages)
    assert int(second.headers["x-ratelimit-remaining-tokens"]) == 60 - 2 * usage.total_tokens
    refused = _refused_for_tokens(client, messages, tries=10)
    assert int(refused.response.headers["retry-after"]) >= 1


def test_a_streamed_reply_counts_its_tokens_like_an_unstreamed_one(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "chat.completions"}, respond={"content": "one two three four five"})
    messages = [{"role": "user", "content": "count my tokens please"}]

    def remaining_tokens_after(key: str, stream: bool) -> int:
        client = mockapi.openai_client(api_key=key)
        reply = client.chat.completions.create(model="gpt-3.5-turbo", messages=messages, stream=stream)
        if stream:
            assert "".join(chunk.choices[0].delta.content or "" for chunk in reply) == "one two three four five"
        # A request that uses no tokens shows what the key has used (the nominal 90,000 are counted down).
        return int(client.models.with_raw_response.list().headers["x-ratelimit-remaining-tokens"])

    unstreamed = remaining_tokens_after("sk-tpm-unstreamed-key-0001", stream=False)
    assert unstreamed < 90_000 - 5
    assert remaining_tokens_after("sk-tpm-streamed-key-00002", stream=True) == unstreamed
