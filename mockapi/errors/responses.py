"""The Responses API's refusals, worded as it words them (its own style, not Chat Completions' jsonschema one).

Parameters are named as the API names them: dotted fields with bracketed indices (`input[0].content[1].text`,
`tools[2].parameters`, `text.format.schema`). The wording of each family, as the API sends it:
- "Unknown parameter: 'x'." (unknown_parameter); "Missing required parameter: 'x'." (missing_required_parameter)
- "Invalid type for 'x': expected a string, but got an integer instead." (invalid_type)
- "Invalid value: 'v'. Supported values are: 'a', 'b', and 'c'." (invalid_value)
- "Invalid 'x': integer below minimum value. Expected a value >= 16, but got 5 instead." (integer_below_min_value)
- "Unsupported parameter: 'temperature' is not supported with this model." (unsupported_parameter)
- "Previous response with id 'resp_...' not found." (previous_response_not_found)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockapi.errors import OpenAIError, invalid_param, not_found
from mockapi.errors.current import type_phrase


def listed(values: Sequence[str]) -> str:
    """'a', 'b', and 'c' (as the API lists supported values)."""
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def unknown_parameter(param: str) -> OpenAIError:
    return invalid_param(f"Unknown parameter: '{param}'.", param, "unknown_parameter")


def missing_parameter(param: str) -> OpenAIError:
    return invalid_param(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def invalid_type(param: str, expected: str, value: Any) -> OpenAIError:
    return invalid_param(
        f"Invalid type for '{param}': expected {expected}, but got {type_phrase(value)} instead.", param, "invalid_type"
    )


def invalid_value(param: str, value: Any, supported: Sequence[str]) -> OpenAIError:
    return invalid_param(
        f"Invalid value: '{value}'. Supported values are: {listed(supported)}.", param, "invalid_value"
    )


def below_minimum(param: str, minimum: float, value: float) -> OpenAIError:
    kind = "integer" if isinstance(value, int) else "decimal"
    return invalid_param(
        f"Invalid '{param}': {kind} below minimum value. Expected a value >= {minimum}, but got {value} instead.",
        param,
        f"{kind}_below_min_value",
    )


def above_maximum(param: str, maximum: float, value: float) -> OpenAIError:
    kind = "integer" if isinstance(value, int) else "decimal"
    return invalid_param(
        f"Invalid '{param}': {kind} above maximum value. Expected a value <= {maximum}, but got {value} instead.",
        param,
        f"{kind}_above_max_value",
    )


def array_too_long(param: str, maximum: int, length: int) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': array too long. Expected an array with maximum length {maximum}, but got an array "
        f"with length {length} instead.",
        param,
        "array_above_max_length",
    )


def empty_string(param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': empty string. Expected a string with minimum length 1, but got an empty string instead.",
        param,
        "empty_string",
    )


def empty_array(param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        param,
        "empty_array",
    )


def invalid_url(param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}'. Expected a valid URL, but got a value with an invalid format.", param, "invalid_value"
    )


def invalid_image_data_url(param: str, mime: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}'. Expected a base64-encoded data URL with an image MIME type (e.g. "
        f"'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type '{mime}'.",
        param,
        "invalid_value",
    )


def image_or_file_required(param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': one of 'image_url' or 'file_id' must be provided.", param, "missing_required_parameter"
    )


def file_source_required(param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': one of 'file_id', 'file_data' or 'file_url' must be provided.",
        param,
        "missing_required_parameter",
    )


def unsupported_parameter(param: str) -> OpenAIError:
    return invalid_param(
        f"Unsupported parameter: '{param}' is not supported with this model.", param, "unsupported_parameter"
    )


def unsupported_value(param: str, value: Any, supported: Sequence[str]) -> OpenAIError:
    return invalid_param(
        f"Unsupported value: '{param}' does not support '{value}' with this model. Supported values are: "
        f"{listed(supported)}.",
        param,
        "unsupported_value",
    )


def hosted_tool_unsupported(tool: str, model: str, param: str) -> OpenAIError:
    return invalid_param(f"Hosted tool '{tool}' is not supported with {model}.", param)


def tool_choice_unknown_function(name: str) -> OpenAIError:
    return invalid_param(
        f"Tool choice 'function' set, but no function named '{name}' was found in 'tools'.", "tool_choice"
    )


def tool_choice_without_tools() -> OpenAIError:
    return invalid_param("Tool choice is set, but no tools were provided.", "tool_choice")


def image_input_unsupported(param: str) -> OpenAIError:
    return invalid_param(f"Invalid '{param}': this model does not support image inputs.", param, "invalid_value")


def format_unsupported(kind: str) -> OpenAIError:
    return invalid_param(
        f"Invalid parameter: 'text.format' of type '{kind}' is not supported with this model.",
        "text.format",
        "invalid_parameter",
    )


def input_too_long() -> OpenAIError:
    return invalid_param(
        "Your input exceeds the context window of this model. Please adjust your input and try again.",
        "input",
        "context_length_exceeded",
    )


def model_does_not_exist(model: str) -> OpenAIError:
    return invalid_param(f"The requested model '{model}' does not exist.", "model", "model_not_found")


def model_not_for_responses(model: str) -> OpenAIError:
    return invalid_param(f"The model '{model}' is not supported with the Responses API.", "model", "model_not_found")


def previous_response_not_found(response_id: str) -> OpenAIError:
    return invalid_param(
        f"Previous response with id '{response_id}' not found.", "previous_response_id", "previous_response_not_found"
    )


def previous_response_unfinished(response_id: str, status: str) -> OpenAIError:
    return invalid_param(
        f"Previous response '{response_id}' cannot be continued while its status is '{status}'.",
        "previous_response_id",
    )


def previous_and_conversation() -> OpenAIError:
    return invalid_param(
        "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
        "'conversation'.",
        None,
        "mutually_exclusive_parameters",
    )


def no_call_for_output(call_id: str) -> OpenAIError:
    return invalid_param(f"No tool call found for function call output with call_id {call_id}.", "input")


def stream_options_without_stream() -> OpenAIError:
    return invalid_param("'stream_options' is only allowed when 'stream' is true.", "stream_options")


def background_needs_store() -> OpenAIError:
    return invalid_param("Background responses require 'store' to be true.", "background")


def response_not_found(response_id: str) -> OpenAIError:
    return not_found(f"Response with id '{response_id}' not found.")


def only_background_cancels() -> OpenAIError:
    return invalid_param("Only responses created with background=true can be cancelled.", None)


def cannot_cancel(status: str) -> OpenAIError:
    return invalid_param(f"Cannot cancel a response with status '{status}'.", None)


def prompt_not_found(prompt_id: str) -> OpenAIError:
    return not_found(f"Prompt with id '{prompt_id}' not found.", "prompt.id")


def conversation_not_found(conversation_id: str) -> OpenAIError:
    return not_found(f"Conversation with id '{conversation_id}' not found.", "conversation")


def item_not_found(item_id: str, param: str) -> OpenAIError:
    return not_found(f"Item with id '{item_id}' not found.", param)
