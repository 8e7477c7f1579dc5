"""instructor against a real server, in each mode a deterministic server can serve: TOOLS, TOOLS_STRICT, JSON
(json_object with the schema in the system message), JSON_SCHEMA, and MD_JSON answered by a fixture rule.
instructor pins a jiter older than the current openai's, so it runs apart (with its own openai) from
.venv/instructor, installed by `make install`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.legacy import run_apart
from tests.support import API_KEY, ServerProcess

INSTRUCTOR_DIR = Path(sys.prefix) / "instructor"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (INSTRUCTOR_DIR / "instructor").is_dir(), reason="instructor is installed by `make install`"
    ),
]

PRELUDE = """
import enum, json, sys
import instructor
from openai import OpenAI
from pydantic import BaseModel, Field

class Role(str, enum.Enum):
    engineer = "engineer"
    teacher = "teacher"
    pilot = "pilot"

class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=120)
    city: str
    role: Role
    skills: list[str]

ASK = [{"role": "user", "content": "Extract: Jason is 25 years old, a pilot, and lives in Lisbon."}]
client = OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)

def extract(mode, model="gpt-4o"):
    patched = instructor.from_openai(client, mode=getattr(instructor.Mode, mode))
    person, raw = patched.chat.completions.create_with_completion(
        model=model, response_model=Person, messages=ASK, max_retries=1
    )
    message = raw.choices[0].message
    calls = [[c.function.name, json.loads(c.function.arguments)] for c in message.tool_calls or []]
    return {"person": person.model_dump(mode="json"), "finish": raw.choices[0].finish_reason,
            "content": message.content, "calls": calls, "prompt_tokens": raw.usage.prompt_tokens}
"""


def run(server: ServerProcess, code: str) -> Any:
    return run_apart(INSTRUCTOR_DIR, PRELUDE + code, server.base_url, API_KEY)


def test_every_mode_gives_the_validated_object(server: ServerProcess) -> None:
    modes = ["TOOLS", "TOOLS_STRICT", "JSON", "JSON_SCHEMA"]
    got = run(server, f'print("RESULT " + json.dumps({{m: extract(m) for m in {modes!r}}}))')
    for mode in modes:
        person = got[mode]["person"]
        assert (person["name"], person["age"], person["city"], person["role"]) == ("Jason", 25, "Lisbon", "pilot")
        assert isinstance(person["skills"], list) and got[mode]["prompt_tokens"] > 15
    for mode in ("TOOLS", "TOOLS_STRICT"):
        assert got[mode]["finish"] == "tool_calls" and got[mode]["content"] is None
        assert got[mode]["calls"] == [["Person", got[mode]["person"]]]
    for mode in ("JSON", "JSON_SCHEMA"):
        assert got[mode]["finish"] == "stop" and got[mode]["calls"] == []
        assert got[mode]["content"] is not None and got[mode]["person"] == json.loads(got[mode]["content"])


def test_md_json_parses_the_code_block_a_rule_answers(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    answer = '{"name": "Jason", "age": 25, "city": "Lisbon", "role": "pilot", "skills": ["flying"]}'
    rule = {
        "match": {"endpoint": "chat.completions", "contains": "Jason"},
        "respond": {"content": f"Here it is:\n```json\n{answer}\n```"},
    }
    (tmp_path / "people.yaml").write_text(yaml.safe_dump([rule]))
    process = start_server("--fixtures", str(tmp_path))
    got = run(process, 'print("RESULT " + json.dumps(extract("MD_JSON")))')
    assert got["person"] == {"name": "Jason", "age": 25, "city": "Lisbon", "role": "pilot", "skills": ["flying"]}
    assert got["finish"] == "stop" and got["content"].startswith("Here it is:")
