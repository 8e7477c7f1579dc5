"""A Responses request checked as the API checks it: the real 400, its wording, `param` and `code`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockapi import errors
from mockapi.catalogue import Catalogue
from mockapi.routing import parse
from mockapi.schemas.conversations import AddItemsBody
from mockapi.schemas.responses import CreateResponse, TokenCountsBody
from mockapi.schemas.responses_capabilities import check_model
from mockapi.seeding import Seeding

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
IMAGE_PART = {"type": "input_image", "image_url": "data:text/plain;base64,aGk="}


def refusal(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    with pytest.raises(errors.OpenAIError) as caught:
        parse(CreateResponse, body)
    assert caught.value.status == 400
    return caught.value.message, caught.value.param, caught.value.code


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"input": "hi"}, ("Missing required parameter: 'model'.", "model", "missing_required_parameter")),
        ({"model": "gpt-4o", "colour": 1}, ("Unknown parameter: 'colour'.", "colour", "unknown_parameter")),
        (
            {"model": "gpt-4o", "temperature": "warm"},
            (
                "Invalid type for 'temperature': expected a decimal, but got a string instead.",
                "temperature",
                "invalid_type",
            ),
        ),
        (
            {"model": "gpt-4o", "temperature": 2.5},
            (
                "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead.",
                "temperature",
                "decimal_above_max_value",
            ),
        ),
        (
            {"model": "gpt-4o", "max_output_tokens": 8},
            (
                "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 8 instead.",
                "max_output_tokens",
                "integer_below_min_value",
            ),
        ),
        (
            {"model": "gpt-4o", "input": [{"role": "robot", "content": "hi"}]},
            (
                "Invalid value: 'robot'. Supported values are: 'user', 'assistant', 'system', and 'developer'.",
                "input[0].role",
                "invalid_value",
            ),
        ),
        (
            {
                "model": "gpt-4o",
                "input": [{"role": "user", "content": [{"type": "input_text", "text": "a"}, IMAGE_PART]}],
            },
            (
                "Invalid 'input[0].content[1].image_url'. Expected a base64-encoded data URL with an image MIME type "
                "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type 'text/plain'.",
                "input[0].content[1].image_url",
                "invalid_value",
            ),
        ),
        (
            {"model": "gpt-4o", "input": [{"role": "user", "content": [{"type": "input_text"}]}]},
            (
                "Missing required parameter: 'input[0].content[0].text'.",
                "input[0].content[0].text",
                "missing_required_parameter",
            ),
        ),
        (
            {"model": "gpt-4o", "input": [{"type": "function_call_output", "output": "x"}]},
            ("Missing required parameter: 'input[0].call_id'.", "input[0].call_id", "missing_required_parameter"),
        ),
        (
            {"model": "gpt-4o", "text": {"format": {"type": "json_schema", "name": "x"}}},
            ("Missing required parameter: 'text.format.schema'.", "text.format.schema", "missing_required_parameter"),
        ),
        (
            {"model": "gpt-4o", "tools": [{"type": "function"}]},
            ("Missing required parameter: 'tools[0].name'.", "tools[0].name", "missing_required_parameter"),
        ),
        (
            {"model": "gpt-4o", "tool_choice": {"type": "function", "name": "nope"}},
            ("Tool choice 'function' set, but no function named 'nope' was found in 'tools'.", "tool_choice", None),
        ),
        (
            {"model": "gpt-4o", "previous_response_id": "resp_1", "conversation": "conv_1"},
            (
                "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
                "'conversation'.",
                None,
                "mutually_exclusive_parameters",
            ),
        ),
        (
            {"model": "gpt-4o", "include": ["everything"]},
            (
                "Invalid value: 'everything'. Supported values are: 'file_search_call.results', "
                "'web_search_call.results', 'web_search_call.action.sources', 'message.input_image.image_url', "
                "'computer_call_output.output.image_url', 'code_interpreter_call.outputs', "
                "'reasoning.encrypted_content', and 'message.output_text.logprobs'.",
                "include[0]",
                "invalid_value",
            ),
        ),
        (
            {"model": "gpt-4o", "background": True, "store": False},
            ("Background responses require 'store' to be true.", "background", None),
        ),
    ],
)
def test_a_bad_request_is_refused_naming_the_parameter(body: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert refusal(body) == expected


def test_a_good_request_reads_typed() -> None:
    body = parse(CreateResponse, {"model": "gpt-4o", "input": "hi", "store": False, "metadata": {"a": "b"}})
    assert body.model == "gpt-4o" and body.stored is False
    assert body.input_items() == [{"type": "message", "role": "user", "content": "hi"}]


def test_input_tokens_takes_only_the_fields_it_counts() -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        parse(TokenCountsBody, {"input": "hi", "stream": True})
    assert (caught.value.param, caught.value.code) == ("stream", "unknown_parameter")


def test_conversation_items_are_checked_as_input_items() -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        parse(AddItemsBody, {"items": [{"role": "user", "content": [{"type": "input_text", "text": 3}]}]})
    assert (
        caught.value.message
        == "Invalid type for 'items[0].content[0].text': expected a string, but got an integer instead."
    )


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load([FIXTURES], Seeding())


@pytest.mark.parametrize(
    ("model", "body", "expected"),
    [
        (
            "o3",
            {"temperature": 0.2},
            ("Unsupported parameter: 'temperature' is not supported with this model.", "temperature"),
        ),
        ("gpt-5", {"top_p": 0.5}, ("Unsupported parameter: 'top_p' is not supported with this model.", "top_p")),
        (
            "gpt-4o",
            {"reasoning": {"effort": "high"}},
            ("Unsupported parameter: 'reasoning.effort' is not supported with this model.", "reasoning.effort"),
        ),
        (
            "o3",
            {"reasoning": {"effort": "minimal"}},
            (
                "Unsupported value: 'reasoning.effort' does not support 'minimal' with this model. Supported values "
                "are: 'low', 'medium', and 'high'.",
                "reasoning.effort",
            ),
        ),
        (
            "gpt-4o",
            {"text": {"verbosity": "low"}},
            (
                "Unsupported value: 'text.verbosity' does not support 'low' with this model. Supported values are: "
                "'medium'.",
                "text.verbosity",
            ),
        ),
        (
            "gpt-4.1-nano",
            {"tools": [{"type": "function", "name": "f"}, {"type": "web_search_preview"}]},
            ("Hosted tool 'web_search_preview' is not supported with gpt-4.1-nano.", "tools[1].type"),
        ),
        (
            "o3-mini",
            {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://x.example/a.png"}]}]},
            ("Invalid 'input[0].content[0]': this model does not support image inputs.", "input[0].content[0]"),
        ),
    ],
)
def test_what_a_model_does_not_take_is_refused(
    catalogue: Catalogue, model: str, body: dict[str, Any], expected: tuple[str, str]
) -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        check_model(catalogue.get(model), {"model": model, **body})
    assert (caught.value.message, caught.value.param) == expected


def test_the_agents_sdk_default_model_takes_its_default_settings(catalogue: Catalogue) -> None:
    body = {"model": "gpt-5.6-luna", "reasoning": {"effort": "none"}, "text": {"verbosity": "low"}}
    check_model(catalogue.get("gpt-5.6-luna"), body)
