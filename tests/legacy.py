"""Run a snippet with the 2023-era `openai==0.28.1` SDK (installed apart, in .venv/legacy-openai)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

LEGACY_DIR = Path(sys.prefix) / "legacy-openai"

PRELUDE = """
import json, sys, openai
openai.api_base = sys.argv[1]
openai.api_key = sys.argv[2]
def emit(value):
    print("RESULT " + json.dumps(value))
"""


def run_legacy(base_url: str, api_key: str, code: str) -> Any:
    """Execute `code` (which calls `emit(value)`) and return the emitted value."""
    assert (LEGACY_DIR / "openai").is_dir(), "openai 0.28 is installed by `make test` into .venv/legacy-openai"
    return run_apart(LEGACY_DIR, PRELUDE + textwrap.dedent(code), base_url, api_key)


def run_apart(directory: Path, script: str, base_url: str, api_key: str) -> Any:
    """Run `script` with the packages installed apart in `directory` first on the path (argv: the base URL and
    the key); it prints `RESULT <json>` once, and that value is returned."""
    env = {**os.environ, "PYTHONPATH": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", script, base_url, api_key], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(line[len("RESULT ") :])
