"""LlamaIndex (`llama-index-llms-openai`, `llama-index-core`) against a real server: chat and its stream,
predict_and_call running a FunctionTool, structured_predict, a FunctionAgent run to its answer, and a
ReActAgent (text in its Thought/Action format, which fixture rules write).
LlamaIndex pins openai < 3, so it runs apart (with its own openai) from .venv/llamaindex, installed by
`make install`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from tests.legacy import run_apart
from tests.support import API_KEY, ServerProcess

LLAMAINDEX_DIR = Path(sys.prefix) / "llamaindex"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (LLAMAINDEX_DIR / "llama_index" / "llms" / "openai").is_dir(),
        reason="LlamaIndex is installed by `make install`",
    ),
]

SCRIPT = """
import asyncio, json, sys
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai import OpenAI
from pydantic import BaseModel, Field

llm = OpenAI(model="gpt-4o", api_base=sys.argv[1], api_key=sys.argv[2], max_retries=0)
out = {}
hello = [ChatMessage(role="user", content="Hello there, who are you?")]
answer = llm.chat(hello)
out["chat"] = [answer.message.content, answer.raw.usage.prompt_tokens, answer.raw.usage.completion_tokens]
out["stream"] = "".join(chunk.delta or "" for chunk in llm.stream_chat(hello))

cities = []
def get_weather(city: str) -> str:
    \"\"\"Get the current weather in a city.\"\"\"
    cities.append(city)
    return f"Sunny in {city}, 24C"

tool = FunctionTool.from_defaults(fn=get_weather)
called = llm.predict_and_call([tool], "What is the weather in Lisbon?")
out["predict_and_call"] = [called.response, [[s.tool_name, s.raw_input["kwargs"]] for s in called.sources]]

class Flight(BaseModel):
    origin: str
    destination: str
    passengers: int = Field(ge=1, le=9)

prompt = PromptTemplate("Book a flight from {a} to {b} for 2 passengers.")
flight = llm.structured_predict(Flight, prompt, a="Oslo", b="Rome")
out["structured"] = flight.model_dump()

async def agent_run():
    agent = FunctionAgent(tools=[tool], llm=llm, system_prompt="Answer with the tools.")
    return str(await agent.run("What is the weather in Paris?"))

out["agent"] = asyncio.run(agent_run())
out["cities"] = cities
print("RESULT " + json.dumps(out))
"""


def test_llamaindex_chats_calls_tools_and_runs_an_agent(server: ServerProcess, client: openai.OpenAI) -> None:
    got = run_apart(LLAMAINDEX_DIR, SCRIPT, server.base_url, API_KEY)
    direct = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hello there, who are you?"}], temperature=0.1
    )
    assert direct.usage is not None
    content, prompt_tokens, completion_tokens = got["chat"]
    assert content == direct.choices[0].message.content == got["stream"] != ""
    assert [prompt_tokens, completion_tokens] == [direct.usage.prompt_tokens, direct.usage.completion_tokens]
    assert got["predict_and_call"] == ["Sunny in Lisbon, 24C", [["get_weather", {"city": "Lisbon"}]]]
    assert got["structured"]["origin"] == "Oslo" and got["structured"]["destination"] == "Rome"
    assert got["structured"]["passengers"] == 2
    assert got["agent"] == "According to get_weather: Sunny in Paris, 24C"
    assert got["cities"] == ["Lisbon", "Paris"]  # each tool ran once, and the agent loop ended


REACT = """
import asyncio, json, sys
from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai import OpenAI

cities = []
def get_weather(city: str) -> str:
    \"\"\"Get the current weather in a city.\"\"\"
    cities.append(city)
    return f"Sunny in {city}, 24C"

llm = OpenAI(model="gpt-4o", api_base=sys.argv[1], api_key=sys.argv[2], max_retries=0)
async def main():
    agent = ReActAgent(tools=[FunctionTool.from_defaults(fn=get_weather)], llm=llm)
    return str(await agent.run("What is the weather in Rome?"))

print("RESULT " + json.dumps([asyncio.run(main()), cities]))
"""


def test_a_react_agent_acts_on_rules_in_its_format(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    act = 'Thought: I need the weather tool.\nAction: get_weather\nAction Input: {"city": "Rome"}'
    rules = [
        {"match": {"endpoint": "chat.completions", "contains": "Observation: Sunny in Rome"},
         "respond": {"content": "Thought: I can answer without using any more tools.\nAnswer: Sunny in Rome."}},
        {"match": {"endpoint": "chat.completions", "contains": "weather in Rome"}, "respond": {"content": act}},
    ]  # fmt: skip
    (tmp_path / "react.yaml").write_text(yaml.safe_dump(rules))
    process = start_server("--fixtures", str(tmp_path))
    assert run_apart(LLAMAINDEX_DIR, REACT, process.base_url, API_KEY) == ["Sunny in Rome.", ["Rome"]]
    journal = httpx.get(process.url + "/__mockapi/requests", headers={"Authorization": f"Bearer {API_KEY}"}).json()
    assert len([e for e in journal["data"] if e["path"] == "/v1/chat/completions"]) == 2  # act, then answer
