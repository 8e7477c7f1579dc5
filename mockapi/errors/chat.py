"""The real API's refusals of Chat Completions requests that depend on the model or span fields (a 400 each).

Wording, `param` and `code` as the API sends them, as its users have quoted them: the unsupported
parameters and values of reasoning models, content types a model does not read, tool messages that answer
no call ("preceeding" is the API's own spelling), `max_tokens` over a model's output limit, empty or
overlong arrays. Where no quoted instance was found the message follows the form of its nearest sibling:
`top_logprobs` without `logprobs`, a `tool_choice` naming no tool offered, both token limits at once, audio
output a model cannot give, and `metadata` over its limits.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockapi.errors import OpenAIError, invalid_param

STRUCTURED_OUTPUTS_GUIDE = "https://platform.openai.com/docs/guides/structured-outputs"


def spoken_list(values: Sequence[str]) -> str:
    """'a', 'b', and 'c' (the API's way of listing the values it supports)."""
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def number(value: float) -> str:
    """A number as the API echoes it: 0.2, 0, 1.5."""
    return f"{value:g}"


def unrecognized_argument(name: str) -> OpenAIError:
    """A parameter the model's API version never had (the 2023 snapshots)."""
    return invalid_param(f"Unrecognized request argument supplied: {name}", name)


def unsupported_parameter(name: str, instead: str | None = None) -> OpenAIError:
    message = f"Unsupported parameter: '{name}' is not supported with this model."
    if instead:
        message += f" Use '{instead}' instead."
    return invalid_param(message, name, "unsupported_parameter")


def unsupported_fixed_value(name: str, value: float, default: float) -> OpenAIError:
    return invalid_param(
        f"Unsupported value: '{name}' does not support {number(value)} with this model. Only the default "
        f"({number(default)}) value is supported.",
        name,
        "unsupported_value",
    )


def unsupported_choice(name: str, value: str, supported: Sequence[str]) -> OpenAIError:
    return invalid_param(
        f"Unsupported value: '{name}' does not support '{value}' with this model. Supported values are: "
        f"{spoken_list(supported)}.",
        name,
        "unsupported_value",
    )


def response_format_not_supported(kind: str) -> OpenAIError:
    message = f"Invalid parameter: 'response_format' of type '{kind}' is not supported with this model."
    if kind == "json_schema":
        message += f" Learn more about supported models at the Structured Outputs guide: {STRUCTURED_OUTPUTS_GUIDE}"
    return invalid_param(message, "response_format")


def content_type_not_supported(kind: str, message_index: int, part_index: int) -> OpenAIError:
    return invalid_param(
        f"Invalid content type. {kind} is only supported by certain models.",
        f"messages.[{message_index}].content.[{part_index}].type",
    )


def tool_message_without_call(index: int) -> OpenAIError:
    return invalid_param(
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
        f"messages.[{index}].role",
    )


def tool_call_id_not_found(index: int, call_id: str) -> OpenAIError:
    return invalid_param(
        f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in 'tool_calls' of previous message.",
        f"messages.[{index}].tool_call_id",
    )


def unanswered_tool_calls(index: int, call_ids: Sequence[str]) -> OpenAIError:
    return invalid_param(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(call_ids)}",
        f"messages.[{index}].role",
    )


def only_with_tools(name: str) -> OpenAIError:
    return invalid_param(f"Invalid value for '{name}': '{name}' is only allowed when 'tools' are specified.", name)


def tool_choice_not_offered(name: str) -> OpenAIError:
    return invalid_param(
        f"Invalid value for 'tool_choice': function '{name}' is not among the 'tools' specified.", "tool_choice"
    )


def empty_array(name: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{name}': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        name,
        "empty_array",
    )


def array_too_long(name: str, limit: int, length: int) -> OpenAIError:
    return invalid_param(
        f"Invalid '{name}': array too long. Expected an array with maximum length {limit}, but got an array with "
        f"length {length} instead.",
        name,
        "array_above_max_length",
    )


def too_many_tokens(name: str, limit: int, given: int) -> OpenAIError:
    return invalid_param(
        f"{name} is too large: {given}. This model supports at most {limit} completion tokens, whereas you "
        f"provided {given}.",
        name,
        "invalid_value",
    )


def both_token_limits() -> OpenAIError:
    return invalid_param(
        "Invalid value for 'max_tokens': 'max_tokens' and 'max_completion_tokens' cannot both be specified. "
        "Use 'max_completion_tokens'.",
        "max_tokens",
    )


def top_logprobs_without_logprobs() -> OpenAIError:
    return invalid_param(
        "Invalid value for 'top_logprobs': 'top_logprobs' is only allowed when 'logprobs' is true.", "top_logprobs"
    )


def missing_parameter(name: str) -> OpenAIError:
    return invalid_param(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")


def metadata_too_large(what: str, limit: int, found: int) -> OpenAIError:
    return invalid_param(
        f"Invalid 'metadata': too many {what}. Expected at most {limit}, but got {found} instead.",
        "metadata",
        "invalid_value",
    )


def media_error(message: str, code: str, param: str | None = None) -> OpenAIError:
    """An image or audio part the API cannot read (its message and code as image_input and accounting word them)."""
    return invalid_param(message, param, code)


def stream_options_without_stream() -> OpenAIError:
    return invalid_param("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
