"""The Vercel AI SDK (`ai` + `@ai-sdk/openai`, installed by `make` into .venv/node) against a real server: the
chat provider (whose streamText sends stream_options) and the default Responses provider, generateText and
streamText giving the same text and usage, and tools run to a final answer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.support import ServerProcess

NODE_DIR = Path(sys.prefix) / "node"
SCRIPT = Path(__file__).parents[1] / "node" / "ai_sdk.mjs"
PROMPT = "Tell me a story about a lighthouse."

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("node") is None or not (NODE_DIR / "node_modules" / "@ai-sdk" / "openai").is_dir(),
        reason="Node.js or the Vercel AI SDK is not installed on this machine",
    ),
]


def test_generate_and_stream_text_and_tools_through_both_providers(
    server: ServerProcess, client: openai.OpenAI, http: httpx.Client
) -> None:
    # ESM resolves packages from the script's own folder upwards, so the script runs from beside them.
    script = NODE_DIR / SCRIPT.name
    shutil.copy(SCRIPT, script)
    done = subprocess.run(["node", str(script), server.base_url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    direct = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": PROMPT}])
    assert direct.usage is not None
    chat = seen["chat"]
    assert chat["text"] == chat["streamed"] == direct.choices[0].message.content
    assert chat["usage"] == chat["streamedUsage"] == [direct.usage.prompt_tokens, direct.usage.completion_tokens]
    assert chat["finish"] == chat["streamedFinish"] == "stop" and chat["pieces"] > 3

    asked: Any = [{"role": "user", "content": [{"type": "input_text", "text": PROMPT}]}]
    answered = client.responses.create(model="gpt-4.1", input=asked)
    assert answered.usage is not None
    responses = seen["responses"]
    assert responses["text"] == responses["streamed"] == answered.output_text
    assert responses["usage"] == responses["streamedUsage"]
    assert responses["usage"] == [answered.usage.input_tokens, answered.usage.output_tokens]
    assert responses["finish"] == responses["streamedFinish"] == "stop"

    for key, city in [("chatTools", "Lisbon"), ("responsesTools", "Oslo")]:
        run = seen[key]
        assert run["calls"] == [["get_weather", {"city": city}]] and run["firstFinish"] == "tool-calls"
        assert run["steps"] == 2 and run["text"] == f"According to get_weather: Sunny in {city}, 24C"
    assert seen["cities"] == ["Lisbon", "Lisbon", "Oslo", "Oslo"]  # each run executed its tool once

    journal = http.get("/__mockapi/requests", params={"limit": 200}).json()["data"]
    streamed = [e for e in journal if e["path"] == "/v1/chat/completions" and (e.get("body") or {}).get("stream")]
    assert streamed and streamed[-1]["body"]["stream_options"] == {"include_usage": True}
