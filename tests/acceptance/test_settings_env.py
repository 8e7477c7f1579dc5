"""MOCKAPI_* environment variables configure a real `mockapi serve` as its flags do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.support import ServerProcess, free_port, sdk_client

CHAT: dict[str, Any] = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Tell me a story."}]}
RULE = """
- match: {endpoint: chat.completions, text: "Who configured you?"}
  respond: {content: "The environment did."}
"""


def story(process: ServerProcess, key: str = "sk-env-a") -> str | None:
    return sdk_client(process, key).chat.completions.create(**CHAT).choices[0].message.content


def test_the_environment_sets_port_seed_keys_and_fixtures(
    start_server: Callable[..., ServerProcess], server: ServerProcess, tmp_path: Path
) -> None:
    (tmp_path / "rules.yaml").write_text(RULE)
    port = free_port()
    env = {
        "MOCKAPI_PORT": str(port),
        "MOCKAPI_SEED": "7",
        "MOCKAPI_API_KEYS": "sk-env-a,sk-env-b",
        "MOCKAPI_FIXTURES": str(tmp_path),
    }
    process = start_server(env=env)
    assert process.url == f"http://127.0.0.1:{port}" and "--port" not in process.defaults

    seeded = story(process)
    assert story(process, "sk-env-b") == seeded
    assert seeded != story(server, "sk-any"), "seed 7 answers differently from the default seed 0"
    assert seeded == story(start_server("--seed", "7")), "MOCKAPI_SEED=7 is --seed 7"

    with pytest.raises(openai.AuthenticationError):
        story(process, "sk-env-c")

    asked = {**CHAT, "messages": [{"role": "user", "content": "Who configured you?"}]}
    answer = sdk_client(process, "sk-env-a").chat.completions.create(**asked)
    assert answer.choices[0].message.content == "The environment did."


def test_the_environment_sets_the_log_level(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server(env={"MOCKAPI_LOG_LEVEL": "debug"})
    assert httpx.get(process.url + "/health").status_code == 200
    assert '"GET /health HTTP/1.1" 200' in process.output(), "debug logs every request"


def test_a_flag_wins_over_the_environment(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--log-level", "warning", env={"MOCKAPI_LOG_LEVEL": "bogus"})
    assert httpx.get(process.url + "/health").status_code == 200


def test_a_bad_log_level_in_the_environment_exits_2_naming_the_variable() -> None:
    env = {**os.environ, "MOCKAPI_LOG_LEVEL": "bogus"}
    command = [sys.executable, "-m", "mockapi", "serve", "--port", str(free_port())]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("mockapi: 1 validation error for Settings\nMOCKAPI_LOG_LEVEL\n")
    assert "Input should be 'critical', 'error', 'warning', 'info', 'debug' or 'trace'" in result.stderr
    assert "input_value='bogus'" in result.stderr
