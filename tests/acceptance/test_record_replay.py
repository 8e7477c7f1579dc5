"""Record against an upstream (a second mockapi with a key of its own), then replay offline: the official SDK
gets answers equal in content, a changed prompt gets the near miss, nothing secret is written."""

from __future__ import annotations

import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml

from mockapi.fixtures import load_rules
from tests.record_support import (
    SECRETS,
    answers,
    chat,
    client,
    completion,
    embedding,
    every_file,
    image_b64,
    last_request_id,
    recorder,
    transcript,
    upstream_requests,
    upstream_server,
)
from tests.support import ServerProcess

# The exchanges mockapi answers by generating (the others are the upstream rules' own).
GENERATED = (chat, completion, embedding, image_b64, transcript)
RULE_NAME = re.compile(r"^[a-z0-9._]+-[0-9a-f]{16}\.yaml$")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with upstream_server(tmp_path_factory.mktemp("upstream-rules")) as server:
        yield server


@pytest.fixture(scope="module")
def recorded(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Every exchange recorded once, through the recorder (which is stopped after): its directory, and the
    answers the SDK got while recording."""
    directory = tmp_path_factory.mktemp("recording") / "rules"
    with recorder(upstream, "--record", str(directory)) as server:
        got = answers(client(server))
    return directory, got


@pytest.fixture(scope="module")
def replay(recorded: tuple[Path, dict[str, Any]]) -> Iterator[ServerProcess]:
    with ServerProcess(["--mode", "replay", "--record", str(recorded[0])]) as server:
        yield server


def test_the_upstream_answered_while_recording(recorded: tuple[Path, dict[str, Any]]) -> None:
    got = recorded[1]
    assert got["streamed_tool_calls"] == [
        ("get_weather", '{"city": "Paris", "unit": "celsius"}'),
        ("get_time", '{"zone": "CET"}'),
    ]
    assert got["uploaded"][0] == "train.jsonl" and got["uploaded"][2] == "fine-tune"
    status, message, retry_after, then = got["error_then_answer"]
    assert (status, retry_after, then) == (429, "20", "Not any more.") and "Rate limit reached" in message
    assert got["in_sequence"] == ["First.", "Second."]
    assert got["image_b64"] and got["image_by_url"].startswith(b"\x89PNG")


def test_replay_answers_equal_in_content_through_the_sdk(
    recorded: tuple[Path, dict[str, Any]], replay: ServerProcess
) -> None:
    assert answers(client(replay)) == recorded[1]
    # The upstream has a seed of its own: mockapi's own answers to the same requests differ from the recording.
    with ServerProcess([]) as generating:
        own = client(generating)
        generated = {exchange.__name__: exchange(own) for exchange in GENERATED}
    assert all(generated[name] != recorded[1][name] for name in generated), generated


def test_recorded_rules_are_private_files_named_by_digest(recorded: tuple[Path, dict[str, Any]]) -> None:
    directory = recorded[0]
    rules = sorted(path.name for path in directory.glob("*.yaml"))
    assert len(rules) == 10 and all(RULE_NAME.match(name) for name in rules), rules
    images = sorted((directory / "files").iterdir())
    assert len(images) == 2 and all(path.suffix == ".png" for path in images)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in every_file(directory))
    assert all(not path.name.startswith(".") for path in every_file(directory))  # no temporary file left


def test_recorded_rules_hold_content_not_bodies(recorded: tuple[Path, dict[str, Any]]) -> None:
    by_endpoint: dict[str, list[dict[str, Any]]] = {}
    for path in recorded[0].glob("*.yaml"):
        (rule,) = yaml.safe_load(path.read_text())
        by_endpoint.setdefault(rule["match"]["endpoint"], []).append(rule)
    assert sorted(len(rules) for rules in by_endpoint.values()) == [1, 1, 1, 1, 2, 4]
    weather = next(rule for rule in by_endpoint["chat.completions"] if rule["match"]["text"] == "Weather in Paris?")
    assert weather["respond"] == {
        "tool_calls": [
            {"name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'},
            {"name": "get_time", "arguments": '{"zone": "CET"}'},
        ]
    }
    busy = next(rule for rule in by_endpoint["chat.completions"] if rule["match"]["text"] == "Are you busy?")
    assert busy["respond"]["sequence"][0]["error"]["status"] == 429
    assert busy["respond"]["sequence"][1] == {"content": "Not any more."}
    (upload,) = by_endpoint["files"]
    assert upload["respond"] == {} and upload["match"]["body"]["purpose"] == "fine-tune"
    (transcription,) = by_endpoint["audio.transcriptions"]
    assert set(transcription["respond"]) == {"transcript"}
    assert not any("body" in rule["respond"] for rules in by_endpoint.values() for rule in rules)
    assert len(load_rules([recorded[0]])) == 10


def test_nothing_secret_reaches_a_written_file(recorded: tuple[Path, dict[str, Any]]) -> None:
    written = b"".join(path.read_bytes() for path in every_file(recorded[0]))
    assert len(written) > 10_000
    assert [secret for secret in SECRETS if secret.encode() in written] == []


def test_a_changed_prompt_gets_the_near_miss_naming_the_recorded_rule(
    recorded: tuple[Path, dict[str, Any]], replay: ServerProcess
) -> None:
    (rule_id,) = [
        rule.id
        for rule in load_rules([recorded[0]])
        if rule.match.text == "What should I cook tonight?" and rule.match.endpoint == "chat.completions"
    ]
    with pytest.raises(openai.NotFoundError) as caught:
        chat(client(replay), "What should I bake tonight?")
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "no_matching_rule" and error["param"] is None
    message = error["message"]
    assert message.startswith("No rule matches this request, and replay mode sends nothing upstream.")
    assert f"Closest rule: '{rule_id}': same endpoint, model and system, text differs at character 15" in message
    journal = httpx.get(replay.url + "/__mockapi/requests", params={"path": "/v1/chat/completions"}).json()["data"]
    assert journal[-1]["status"] == 404 and journal[-1]["near_miss"] in message


def test_check_fixtures_reports_a_recorded_rule_that_no_longer_parses(
    recorded: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    import subprocess
    import sys

    copy = shutil.copytree(recorded[0], tmp_path / "rules")
    command = [sys.executable, "-m", "mockapi", "check-fixtures", str(copy)]
    assert subprocess.run(command, capture_output=True, text=True, timeout=60).stdout.startswith("ok: 10 rules")
    next((copy / "files").iterdir()).unlink()  # one image gone
    broken = next(copy.glob("embeddings-*.yaml"))
    broken.write_text(broken.read_text().replace("embedding:", "embeddings:"))
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and f"{broken}: rule 0" in result.stderr and "respond.embeddings" in result.stderr
    assert "files.0" in result.stderr and "2 rule problems found" in result.stderr


def test_record_on_miss_forwards_only_the_miss(
    recorded: tuple[Path, dict[str, Any]], upstream: ServerProcess, tmp_path: Path
) -> None:
    copy = shutil.copytree(recorded[0], tmp_path / "rules")
    with recorder(upstream, "--record", str(copy), "--mode", "record-on-miss") as server:
        sdk = client(server)
        before = last_request_id(upstream)
        assert chat(sdk) == recorded[1]["chat"]  # a rule answers: the upstream is not asked
        missed = chat(sdk, "What should I cook tomorrow?")
        forwarded = upstream_requests(upstream, before)
        assert [entry["body"]["messages"][-1]["content"] for entry in forwarded] == ["What should I cook tomorrow?"]
        assert chat(sdk, "What should I cook tomorrow?") == missed  # recorded: its rule answers it now
        assert upstream_requests(upstream, before) == forwarded
    assert len(list(copy.glob("*.yaml"))) == 11
