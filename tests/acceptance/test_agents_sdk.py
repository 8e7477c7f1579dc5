"""The OpenAI Agents SDK runs an agent with one function tool against mockapi's Responses API to its end."""

from __future__ import annotations

import asyncio

import openai
import pytest

from mockapi.pytest_plugin import Mockapi

agents = pytest.importorskip("agents")
from agents import Agent, RunConfig, Runner, function_tool  # noqa: E402
from agents.models.default_models import get_default_model  # noqa: E402
from agents.models.openai_provider import OpenAIProvider  # noqa: E402


def weather_agent(calls: list[str]) -> Agent:
    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        return f"It is sunny in {city}, 22C."

    # The SDK's default model (a gpt-5.x name the catalogue resolves by its family).
    return Agent(name="weather", instructions="Answer questions about the weather.", tools=[get_weather])


def run_config(client: openai.AsyncOpenAI) -> RunConfig:
    provider = OpenAIProvider(openai_client=client, use_responses=True)
    return RunConfig(model_provider=provider, tracing_disabled=True)


def test_an_agent_calls_its_tool_once_and_answers(mockapi: Mockapi) -> None:
    calls: list[str] = []
    client = mockapi.async_openai_client()
    result = Runner.run_sync(weather_agent(calls), "What is the weather in Lisbon?", run_config=run_config(client))
    # run_sync leaves the thread's event loop open for later runs: closed here, with the client's connections.
    loop = asyncio.get_event_loop_policy().get_event_loop()
    loop.run_until_complete(client.close())
    loop.close()
    asyncio.set_event_loop(None)
    assert calls == ["Lisbon"]
    assert result.final_output == "According to get_weather: It is sunny in Lisbon, 22C."
    requests = [entry for entry in mockapi.requests.filter(path="/v1/responses")]
    assert len(requests) == 2
    assert {entry.body["model"] for entry in requests} == {get_default_model()}
    assert get_default_model().startswith("gpt-5")


def test_a_streamed_agent_run_ends_with_the_answer(mockapi: Mockapi) -> None:
    calls: list[str] = []

    async def run() -> tuple[object, list[str], list[str]]:
        client = mockapi.async_openai_client()
        agent = weather_agent(calls)
        streamed = Runner.run_streamed(agent, "What is the weather in Oslo?", run_config=run_config(client))
        kinds, deltas = [], []
        async for event in streamed.stream_events():
            kinds.append(event.type)
            data = getattr(event, "data", None)
            if getattr(data, "type", None) == "response.output_text.delta":
                deltas.append(data.delta)
        await client.close()
        return streamed.final_output, kinds, deltas

    final, kinds, deltas = asyncio.run(run())
    assert calls == ["Oslo"]
    assert final == "According to get_weather: It is sunny in Oslo, 22C."
    assert "".join(deltas) == final
    assert {"raw_response_event", "run_item_stream_event"} <= set(kinds)
