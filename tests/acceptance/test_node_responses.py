"""The official Node SDK's responses.create and responses.stream against a real server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ServerProcess

NODE_DIR = Path(sys.prefix) / "node"
TOUR = Path(__file__).with_name("node") / "responses_tour.mjs"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openai").is_dir(),
        reason="Node.js or the Node SDK is not installed on this machine",
    ),
]


def test_node_sdk_responses(server: ServerProcess) -> None:
    # ESM resolves `openai` from the script's own folder upwards, so the script runs from beside the SDK.
    script = NODE_DIR / TOUR.name
    shutil.copy(TOUR, script)
    done = subprocess.run(["node", str(script), server.base_url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["text"] and seen["usage"][1] > 0
    assert seen["call"] == ["function_call", "get_weather", {"city": "Lima"}]
    assert seen["answer"] == "According to get_weather: Cloudy, 18C"
    assert seen["stream"] == [seen["text"], seen["text"], True]
    assert seen["err"] == [404, "Response with id 'resp_missing' not found."]
