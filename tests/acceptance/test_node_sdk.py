"""The official Node SDK (installed by `make` into .venv/node) against a real server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ServerProcess

NODE_DIR = Path(sys.prefix) / "node"
TOUR = Path(__file__).with_name("node") / "sdk_tour.mjs"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openai").is_dir(),
        reason="Node.js or the Node SDK is not installed on this machine",
    ),
]


def test_node_sdk_tour(server: ServerProcess) -> None:
    # ESM resolves `openai` from the script's own folder upwards, so the script runs from beside the SDK.
    script = NODE_DIR / "sdk_tour.mjs"
    shutil.copy(TOUR, script)
    done = subprocess.run(["node", str(script), server.base_url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["models"] > 40
    assert seen["chat"] == "\n\nHello there, how may I assist you today?"
    assert seen["stream"] == seen["chat"]
    assert seen["dims"] == 1536
    assert seen["file"] == [32, '{"prompt":"a","completion":"b"}\n']
    assert seen["err"] == [404, "model_not_found"]


def test_node_sdk_chat_tools_streams_and_run_tools(server: ServerProcess) -> None:
    script = NODE_DIR / "chat_tools.mjs"
    shutil.copy(TOUR.with_name("chat_tools.mjs"), script)
    done = subprocess.run(["node", str(script), server.base_url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["call"] == ["tool_calls", "get_weather", '{"city":"Lisbon"}', True]
    assert seen["stream"] == ['{"city":"Lisbon"}', 1, True, "tool_calls", True]
    final, cities, messages = seen["runTools"]
    assert final == 'According to get_weather: {"city":"Lisbon","sky":"sunny"}'
    assert cities == ["Lisbon"] and messages == 4  # the question, the call, the result, the answer
