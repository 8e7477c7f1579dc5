"""The pytest plugin as a user would use it: the `mockapi` fixture, its marker, and a suite run by pytester
that uses nothing but the installed package."""

from __future__ import annotations

import json
import re
import socket
import textwrap
from pathlib import Path

import httpx
import openai
import pytest

from mockapi.pytest_plugin import Mockapi
from tests.fake_endpoints import PREFIX


def _chat(mockapi: Mockapi, text: str) -> str:
    client = mockapi.openai_client(base_url=mockapi.url + PREFIX)
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": text}])
    return completion.choices[0].message.content or ""


def test_fixture_offers_urls_clients_rules_and_journal(mockapi: Mockapi) -> None:
    assert mockapi.base_url == mockapi.url + "/v1"
    assert httpx.get(mockapi.url + "/health").json() == {"status": "ok"}
    rule_id = mockapi.add_rule({"match": {"endpoint": "models"}}, respond={"error": "server_error"}, times=1)
    assert rule_id == "rule-1"
    client = mockapi.openai_client(max_retries=1)
    assert client.models.list().data  # retried once past the rule
    assert [e.status for e in mockapi.requests] == [500, 200]
    assert mockapi.requests.last_request.path == "/v1/models"
    assert len(mockapi.requests.filter(path="/v1/models")) == 2


def test_state_is_reset_before_each_test(pytester: pytest.Pytester) -> None:
    # One session, so one server: the second test runs after the first left a rule, a journal entry, a
    # stored file, a remembered draft and reading and a used id sequence behind, whatever order the outer suite runs in.
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_order=textwrap.dedent(
            """
            FILE_IDS = []

            def _upload(mockapi):
                return mockapi.openai_client().files.create(file=("a.jsonl", b"{}"), purpose="answers").id

            def test_leaves_state_behind(mockapi):
                mockapi.add_rule(match={"endpoint": "models"}, respond={"error": "server_error"})
                FILE_IDS.append(_upload(mockapi))
                client = mockapi.openai_client()
                client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "x"}])
                # The chat answer's draft and the turn made of it are remembered, and the body's reading.
                assert len(mockapi.requests) == 2 and len(mockapi.state.drafts) == 2
                assert len(mockapi.state.readings) == 1

            def test_sees_none_of_it(mockapi):
                assert len(mockapi.requests) == 0
                assert [source for source, _ in mockapi.state.rules.rules() if source == "runtime"] == []
                assert len(mockapi.state.drafts) == 0 and len(mockapi.state.readings) == 0
                assert [_upload(mockapi)] == FILE_IDS  # the id sequence starts again, the first upload gone
                client = mockapi.openai_client()
                assert [stored.id for stored in client.files.list()] == FILE_IDS
                assert client.models.list().data  # the rule that failed it is gone
                assert [entry.path for entry in mockapi.requests] == ["/v1/files", "/v1/files", "/v1/models"]
            """
        )
    )
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*::test_leaves_state_behind PASSED*", "*::test_sees_none_of_it PASSED*"])


def test_a_request_line_the_parser_rejects_is_answered_in_openai_shape(mockapi: Mockapi) -> None:
    # The plugin's server runs the transport of `mockapi serve`: uvicorn's own answer would be plain text.
    port = int(mockapi.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /v1/mo dels HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert lines[0] == "HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == "application/json" and headers["openai-version"] == "2020-10-01"
    assert headers["x-request-id"].startswith("req_") and int(headers["content-length"]) == len(body)
    assert json.loads(body) == {
        "error": {
            "message": "Invalid HTTP request received.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    assert httpx.get(mockapi.url + "/health").json() == {"status": "ok"}  # and it goes on serving


def test_reset_forgets_the_remembered_drafts(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    first = client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "remember me"}])
    assert len(mockapi.state.drafts) == 2  # the draft, and the turn made of it
    mockapi.reset()
    assert len(mockapi.state.drafts) == 0
    again = client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "remember me"}])
    assert again.choices[0].message.content == first.choices[0].message.content
    assert len(mockapi.state.drafts) == 2


async def test_async_client(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "models", "model": "ada"}, respond={"error": "overloaded"})
    client = mockapi.async_openai_client()
    assert (await client.models.retrieve("babbage")).id == "babbage"
    with pytest.raises(openai.InternalServerError, match="overloaded") as caught:
        await client.models.retrieve("ada")
    assert caught.value.status_code == 503
    await client.close()


def test_reset_mid_test(mockapi: Mockapi) -> None:
    mockapi.add_rule(respond={"content": "ruled"})
    assert _chat(mockapi, "x") == "ruled"
    mockapi.reset()
    assert _chat(mockapi, "x") != "ruled"
    assert len(mockapi.requests) == 1


@pytest.mark.mockapi(fixtures="data/marker_rules.yaml")
def test_marker_loads_rule_files(mockapi: Mockapi) -> None:
    assert _chat(mockapi, "hello there") == "Hello from the marker's rule file."
    assert mockapi.requests.last_request.rule_id == "marker-greeting"


@pytest.mark.mockapi(seed=7)
def test_marker_sets_the_seed(mockapi: Mockapi) -> None:
    seven = _chat(mockapi, "tell me something")
    mockapi.seed(0)
    zero = _chat(mockapi, "tell me something")
    mockapi.seed(7)
    assert _chat(mockapi, "tell me something") == seven != zero


def test_seed_returns_to_the_settings_after_the_marked_test(mockapi: Mockapi) -> None:
    assert mockapi.state.seeding.seed == mockapi.state.settings.seed == 0


def test_pytester_suite_uses_only_the_installed_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")  # its own (empty) configuration, whatever lies above its folder
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import openai
            import pytest

            def test_five_lines(mockapi):
                mockapi.add_rule(match={"endpoint": "models"}, respond={"error": "rate_limit_exceeded"}, times=1)
                client = mockapi.openai_client()
                with pytest.raises(openai.RateLimitError):
                    client.models.list()
                assert client.models.retrieve("gpt-4").id == "gpt-4"
                assert mockapi.requests.last_request.path == "/v1/models/gpt-4"

            def test_isolated(mockapi):
                assert len(mockapi.requests) == 0

            @pytest.mark.mockapi(seed=3)
            def test_marker_registered(mockapi):
                assert mockapi.state.seeding.seed == 3
            """
        )
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:asyncio", "-W", "error", "--strict-markers"
    )
    result.assert_outcomes(passed=3)


README = Path(__file__).parents[2] / "README.md"


def _readme_pytest_example() -> str:
    """The README's pytest example, exactly as printed: the first python block after its heading."""
    section = README.read_text().split("### Testing with pytest", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the README lost its pytest example"
    return found.group(1)


def test_the_readme_example_runs_as_printed(pytester: pytest.Pytester) -> None:
    example = _readme_pytest_example()
    assert len(example.strip().splitlines()) == 5  # the five-line test the README promises
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_readme=example)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio", "-W", "error")
    result.assert_outcomes(passed=1)
