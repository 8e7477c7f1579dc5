"""The control API under /__mockapi, the request journal, fixture files at start-up and reload."""

from __future__ import annotations

import hashlib
import hmac
import io
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import orjson
import pytest
import yaml
from fastapi import FastAPI

from mockapi.app import create_app
from mockapi.pytest_plugin import Mockapi
from mockapi.routers import control as control_router
from mockapi.settings import Settings
from tests.support import API_KEY, ServerProcess, error_of, sdk_client

# JSON nested past what a rule may hold (64 levels): the serializers could not send it back.
DEEP_JSON: object = 0
for _ in range(70):
    DEEP_JSON = [DEEP_JSON]

RULE = {"id": "custom", "match": {"endpoint": "models", "model": "ada"}, "respond": {"error": "server_error"}}


@pytest.fixture
def control(mockapi: Mockapi) -> httpx.Client:
    return httpx.Client(base_url=mockapi.url + "/__mockapi", timeout=10)


def test_rules_add_list_delete_clear(mockapi: Mockapi, control: httpx.Client) -> None:
    client = mockapi.openai_client()
    added = control.post("/rules", json=RULE)
    assert (added.status_code, added.json()) == (201, {"id": "custom"})
    generated = control.post("/rules", json={"respond": {"content": "x"}}).json()["id"]
    assert generated == "rule-1"
    listing = control.get("/rules").json()
    assert listing["object"] == "list"
    runtime = [rule for rule in listing["data"] if rule["source"] == "runtime"]
    assert [(rule["id"], rule["source"]) for rule in runtime] == [("custom", "runtime"), ("rule-1", "runtime")]
    assert runtime[0]["match"] == RULE["match"]
    assert runtime[0]["respond"]["error"]["status"] == 500
    assert runtime[1]["respond"] == {"content": "x"}
    with pytest.raises(openai.InternalServerError):
        client.models.retrieve("ada")
    assert control.delete("/rules/custom").json() == {"id": "custom", "deleted": True}
    assert client.models.retrieve("ada").id == "ada"
    missing = control.delete("/rules/custom")
    assert missing.status_code == 404 and error_of(missing)["code"] == "rule_not_found"
    assert control.delete("/rules").json() == {"deleted": 1}
    assert [r for r in control.get("/rules").json()["data"] if r["source"] == "runtime"] == []


def test_invalid_rule_is_400_naming_the_field(control: httpx.Client) -> None:
    response = control.post("/rules", json={"respond": {"delay_ms": -5}})
    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == "respond.delay_ms"
    response = control.post("/rules", json={"respond": {"error": "teapot"}})
    assert response.status_code == 400 and "unknown error name 'teapot'" in str(error_of(response)["message"])
    # An unknown key is named as jsonschema names it: in the message, the object holding it as `param`.
    response = control.post("/rules", json={"match": {"colour": "red"}})
    assert error_of(response)["param"] == "match"
    assert error_of(response)["message"] == "Additional properties are not allowed ('colour' was unexpected) - 'match'"


@pytest.mark.parametrize(
    ("rule", "param"),
    [
        ({"respond": {"headers": {"x-a": "b\r\nx-injected: 1"}}}, "respond.headers.x-a"),
        ({"respond": {"headers": {"bad name:": "b"}}}, "respond.headers.bad name:"),
        ({"respond": {"headers": {"x-a": "☃"}}}, "respond.headers.x-a"),
        (
            {"respond": {"error": {"status": 429, "headers": {"retry-after": "1\n"}}}},
            "respond.error.headers.retry-after",
        ),
        ({"match": {"headers": {"x-tenant": "a\x00"}}}, "match.headers.x-tenant"),
        ({"match": {"endpoint": "chat.completion"}}, "match.endpoint"),
        ({"respond": {"status": 503}}, "respond.status"),
        ({"respond": {"embedding": []}}, "respond.embedding"),
        ({"match": {"endpoint": "chat.completions"}, "respond": {"embedding": [1.0]}}, "respond.embedding"),
        ({"respond": {"delay_ms": 600_001}}, "respond.delay_ms"),
        ({"respond": {"body": DEEP_JSON}}, "respond.body"),
    ],
)
def test_rules_that_could_not_answer_are_400_and_not_added(
    mockapi: Mockapi, control: httpx.Client, rule: dict[str, object], param: str
) -> None:
    response = control.post("/rules", json=rule)
    assert response.status_code == 400, response.text
    assert error_of(response)["param"] == param
    assert [r for r in control.get("/rules").json()["data"] if r["source"] == "runtime"] == []
    # Nothing was added: the next request answers as usual, with nothing injected.
    raw = mockapi.openai_client().chat.completions.with_raw_response.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.status_code == 200 and "x-injected" not in raw.headers and raw.parse().choices


def test_header_values_given_as_numbers_are_sent_as_text(mockapi: Mockapi, control: httpx.Client) -> None:
    rule = {
        "match": {"endpoint": "models"},
        "times": 1,
        "respond": {"error": "rate_limit_exceeded", "headers": {"retry-after": 0}},
    }
    assert control.post("/rules", json=rule).status_code == 201
    assert mockapi.openai_client(max_retries=1).models.list().data  # retried at once, as retry-after says
    assert [(e.status, e.fault) for e in mockapi.requests] == [(429, "error"), (200, None)]


def test_journal_lists_filters_and_clears(mockapi: Mockapi, control: httpx.Client) -> None:
    client = mockapi.openai_client()
    client.models.retrieve("ada")
    session = mockapi.openai_client(default_headers={"X-Mockapi-Session": "s1"})
    session.models.list()
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope")
    data = control.get("/requests").json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in data] == [
        ("GET", "/v1/models/ada", 200),
        ("GET", "/v1/models", 200),
        ("GET", "/v1/models/nope", 404),
    ]
    first = data[0]
    assert first["object"] == "mockapi.request" and first["body"] == {"model": "ada"}
    # When the request really came, in Unix seconds, whatever --fixed-time freezes in the answers.
    assert first["duration_ms"] >= 0 and abs(first["time"] - time.time()) < 600
    assert first["headers"]["authorization"] == "Bearer sk-mocka********************0000"
    assert mockapi.api_key not in str(data)
    by_path = control.get("/requests", params={"path": "/v1/models"}).json()["data"]
    assert [e["id"] for e in by_path] == [data[1]["id"]]
    by_session = control.get("/requests", params={"session": "s1"}).json()["data"]
    assert [e["session"] for e in by_session] == ["s1"]
    since = control.get("/requests", params={"since_id": data[0]["id"]}).json()["data"]
    assert [e["id"] for e in since] == [data[1]["id"], data[2]["id"]]
    assert control.delete("/requests").json() == {"deleted": True}
    assert control.get("/requests").json()["data"] == []
    # Control requests themselves are not journaled.
    assert len(mockapi.requests) == 0


def test_journal_keeps_the_query_string(mockapi: Mockapi, control: httpx.Client) -> None:
    client = mockapi.openai_client()
    client.files.list(extra_query={"purpose": "fine-tune", "limit": 2})
    client.models.list()
    entries = control.get("/requests").json()["data"]
    assert [(e["path"], e["query"]) for e in entries] == [
        ("/v1/files", "purpose=fine-tune&limit=2"),
        ("/v1/models", ""),
    ]
    assert mockapi.requests.filter(path="/v1/files")[0].query == "purpose=fine-tune&limit=2"


def test_journal_records_bodies_that_fail_validation_and_caps_long_ones(mockapi: Mockapi) -> None:
    headers = {"Authorization": f"Bearer {mockapi.api_key}"}
    long_text = "x" * 50_000
    httpx.post(mockapi.url + "/v1/mockapi-test/chat/completions", json={"messages": long_text}, headers=headers)
    entry = mockapi.requests.last_request
    assert entry.status == 400
    stored = entry.body["messages"]
    assert stored.startswith("x" * 2000) and len(stored) < 2100 and stored.endswith("[48000 more]")


def test_journal_of_large_bodies_stays_small(mockapi: Mockapi, control: httpx.Client) -> None:
    # Each string and list just within the per-string and per-list caps: 4 MB of JSON per request.
    message = {"role": "user", "content": "x" * 2000, **{f"k{i}": "y" * 2000 for i in range(99)}}
    body = orjson.dumps({"model": "gpt-3.5-turbo", "messages": [message] * 20})
    headers = {"Authorization": f"Bearer {mockapi.api_key}", "Content-Type": "application/json"}
    for _ in range(5):
        response = httpx.post(mockapi.base_url + "/chat/completions", content=body, headers=headers, timeout=60)
        assert response.status_code == 400  # journaled even so
    listing = control.get("/requests")
    entries = listing.json()["data"]
    assert len(entries) == 5 and len(body) * 5 > 20_000_000
    assert len(listing.content) < 5 * 20_000
    assert all(entry["body"]["model"] == "gpt-3.5-turbo" for entry in entries)
    assert "cut: the journal keeps 16384 bytes of a body" in listing.text
    assert mockapi.state.journal.stored_bytes() < 5 * 20_000


def test_reset_clears_rules_journal_and_counters(mockapi: Mockapi, control: httpx.Client) -> None:
    control.post("/rules", json={"match": {"endpoint": "models"}, "times": 1, "respond": {"error": "server_error"}})
    with pytest.raises(openai.InternalServerError):
        mockapi.openai_client().models.list()
    assert control.post("/reset").json() == {"reset": True}
    assert control.get("/requests").json()["data"] == []
    assert [r for r in control.get("/rules").json()["data"] if r["source"] == "runtime"] == []
    assert mockapi.openai_client().models.list().data


async def test_journal_masks_keys_and_stays_at_its_bound(mockapi: Mockapi, mockapi_app: FastAPI) -> None:
    # In-process ASGI calls (the whole app, edge included) keep 5,000 requests quick.
    key = "sk-secret-abcdefghijklmnop-9876"
    transport = httpx.ASGITransport(app=mockapi_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mockapi", headers=_auth(key)) as http:
        for _ in range(5_000):
            assert (await http.get("/v1/models/ada")).status_code == 200
    entries = list(mockapi.requests)
    assert len(entries) == mockapi.state.settings.journal_size == 1_000
    assert entries[-1].id - entries[0].id == 999
    assert all(e.headers["authorization"] == "Bearer sk-secre*******************9876" for e in entries)
    assert key not in str([e.as_dict() for e in entries])


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_control_token_protects_the_control_api(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--control-token", "let-me-in")
    refused = httpx.get(process.url + "/__mockapi/requests")
    assert refused.status_code == 401
    assert error_of(refused)["code"] == "invalid_control_token"
    wrong = httpx.get(process.url + "/__mockapi/rules", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    allowed = httpx.get(process.url + "/__mockapi/requests", headers={"Authorization": "Bearer let-me-in"})
    assert allowed.status_code == 200 and allowed.json() == {"object": "list", "data": []}
    # The OpenAI routes keep their own auth, independent of the control token.
    assert sdk_client(process).models.retrieve("ada").id == "ada"


async def test_control_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def compare_digest(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return original(given, expected)

    monkeypatch.setattr(control_router.hmac, "compare_digest", compare_digest)
    app = create_app(Settings(control_token="sécret-token"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mockapi") as http:
        right = await http.get("/__mockapi/rules", headers={"Authorization": "Bearer sécret-token".encode()})
        wrong = await http.get("/__mockapi/rules", headers={"Authorization": "Bearer sécret-tokeN".encode()})
        # Bytes no text decodes: still a plain 401, never a 500.
        odd = await http.get("/__mockapi/rules", headers={"Authorization": b"Bearer \xff\xfe"})
    assert [r.status_code for r in (right, wrong, odd)] == [200, 401, 401]
    assert error_of(odd)["code"] == "invalid_control_token"
    assert compared[0] == ("sécret-token".encode(), "sécret-token".encode())
    assert len(compared) == 3


def test_no_control_removes_the_routes(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--no-control", "--journal-size", "0")
    response = httpx.post(process.url + "/__mockapi/reset")
    assert response.status_code == 404
    assert error_of(response)["message"] == "Invalid URL (POST /__mockapi/reset)"
    assert sdk_client(process).models.list().data


def _write_rules(directory: Path, name: str, rules: object) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(yaml.safe_dump(rules))
    return path


def test_rule_files_load_at_start_and_reload(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    _write_rules(
        rules_dir,
        "errors.yaml",
        [{"match": {"endpoint": "models", "model": "ada"}, "respond": {"error": "overloaded"}}],
    )
    process = start_server("--fixtures", str(rules_dir))
    client = sdk_client(process)
    with pytest.raises(openai.InternalServerError) as caught:
        client.models.retrieve("ada")
    assert caught.value.status_code == 503
    rules = httpx.get(process.url + "/__mockapi/rules").json()["data"]
    assert [(r["id"], r["source"]) for r in rules if r["source"] == "file"][-1] == ("errors-0", "file")
    _write_rules(rules_dir, "errors.yaml", [{"match": {"model": "babbage"}, "respond": {"error": "server_error"}}])
    assert httpx.post(process.url + "/__mockapi/reload").status_code == 200
    assert client.models.retrieve("ada").id == "ada"
    with pytest.raises(openai.InternalServerError):
        client.models.retrieve("babbage")
    _write_rules(rules_dir, "errors.yaml", [{"respond": {"tokens_per_second": 0}}])
    failed = httpx.post(process.url + "/__mockapi/reload")
    assert failed.status_code == 400
    message = str(error_of(failed)["message"])
    assert "errors.yaml" in message and "respond.tokens_per_second" in message
    with pytest.raises(openai.InternalServerError):  # the previous rules stay in force
        client.models.retrieve("babbage")


INVALID = [
    ([{"id": "w", "respond": {"delay_ms": "soon"}}], "rule 0 (w): field 'respond.delay_ms'"),
    ([{"respond": {}}, {"match": {"regex": "("}}], "rule 1: field 'match.regex'"),
    ([{"respond": {"content": "a", "body": {}}}], "rule 0: field 'respond'"),
    ([{"times": 0}], "rule 0: field 'times'"),
    ([{"id": "h", "respond": {"headers": {"x-a": "b\r\nc"}}}], "rule 0 (h): field 'respond.headers.x-a'"),
    ([{}, {"id": "n", "respond": {"headers": {"bad name:": "b"}}}], "rule 1 (n): field 'respond.headers.bad name:'"),
    ([{"match": {"endpoint": "chat.completion"}}], "rule 0: field 'match.endpoint'"),
    ([{"match": {"endpoint": "models"}, "respond": {"content": "x"}}], "rule 0: field 'respond.content'"),
    ([{"respond": {"ttft_ms": 10**9}}], "rule 0: field 'respond.ttft_ms'"),
    ({"not": "a list"}, "must hold a list of rules"),
]


@pytest.mark.parametrize(("rules", "expected"), INVALID)
def test_invalid_rule_file_fails_start_up_naming_file_rule_and_field(
    tmp_path: Path, rules: object, expected: str
) -> None:
    path = _write_rules(tmp_path / "bad", "broken.yaml", rules)
    commands = [["check-fixtures", str(path.parent)]]
    if rules is INVALID[0][0]:
        commands.append(["serve", "--port", "1", "--fixtures", str(path.parent)])
    for command in commands:
        result = subprocess.run([sys.executable, "-m", "mockapi", *command], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert str(path) in result.stderr and expected in result.stderr, result.stderr


def test_unparsable_rule_file_fails_start_up(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.json").write_text('[{"respond": ')
    result = subprocess.run(
        [sys.executable, "-m", "mockapi", "check-fixtures", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and f"{bad / 'broken.json'}: cannot be read as JSON" in result.stderr


def test_check_fixtures_accepts_valid_files(tmp_path: Path) -> None:
    good = _write_rules(tmp_path / "good", "ok.yaml", [RULE])
    result = subprocess.run(
        [sys.executable, "-m", "mockapi", "check-fixtures", str(good.parent)], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("ok: ")


def test_api_key_reaches_the_journal_masked_over_http(server: ServerProcess) -> None:
    sdk_client(server).models.retrieve("ada")
    data = httpx.get(server.url + "/__mockapi/requests", params={"path": "/v1/models/ada"}).json()["data"]
    assert data and API_KEY not in str(data)


def test_reset_clears_the_file_store_and_journals_uploads_described(mockapi: Mockapi, control: httpx.Client) -> None:
    client = mockapi.openai_client()
    content = b'{"prompt": "a", "completion": "b"}\n'
    client.files.create(file=("data.jsonl", io.BytesIO(content)), purpose="fine-tune")
    body = control.get("/requests").json()["data"][-1]["body"]
    assert body["file"] == {
        "filename": "data.jsonl",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    assert len(client.files.list().data) == 1
    assert control.post("/reset").status_code == 200
    assert client.files.list().data == []


def test_journal_time_is_when_the_request_came_even_with_fixed_time(
    start_server: Callable[..., ServerProcess],
) -> None:
    process = start_server("--fixed-time", "1700000000")
    before = time.time()
    assert sdk_client(process).models.list().data
    entry = httpx.get(process.url + "/__mockapi/requests").json()["data"][0]
    assert before - 2 <= entry["time"] <= time.time() + 2


def test_cors_opens_the_v1_routes_but_not_the_control_api(mockapi: Mockapi) -> None:
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    v1 = httpx.options(mockapi.base_url + "/chat/completions", headers=preflight)
    assert v1.headers["access-control-allow-origin"] == "*"
    control_preflight = httpx.options(mockapi.url + "/__mockapi/reset", headers=preflight)
    assert "access-control-allow-origin" not in control_preflight.headers
    read = httpx.get(mockapi.url + "/__mockapi/requests", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in read.headers


def test_the_clock_is_advanced_by_the_control_api_and_reset_puts_it_back(
    mockapi: Mockapi, control: httpx.Client
) -> None:
    before = control.get("/clock").json()["now"]
    moved = control.post("/clock/advance", json={"seconds": 3600})
    assert moved.status_code == 200
    assert moved.json()["object"] == "clock"
    assert 3600 <= moved.json()["now"] - before < 3660
    created = (
        mockapi.openai_client()
        .chat.completions.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hi"}])
        .created
    )
    assert created >= int(before) + 3600
    assert control.post("/reset").status_code == 200
    assert control.get("/clock").json()["now"] < before + 60


def test_the_clock_refuses_to_go_back_naming_the_field(control: httpx.Client) -> None:
    response = control.post("/clock/advance", json={"seconds": -5})
    assert response.status_code == 400
    assert error_of(response)["param"] == "seconds"


def test_the_pytest_plugin_advances_the_clock(mockapi: Mockapi) -> None:
    before = mockapi.state.seeding.clock.time()
    assert mockapi.advance(120) >= before + 120
