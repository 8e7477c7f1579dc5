"""What a Chat Completions request may ask of its model, and the rules across its fields, checked in the order
the real API reports them; each refusal is the API's 400 (errors_chat.py, errors_tools.py).

- A model that takes only the 2023 reference's parameters (a 2023 model object with no capability: the
  0301 and 0314 snapshots) refuses anything later as the 2023 API did ("Unrecognized request argument
  supplied: tools"), and messages outside the 2023 shape as its schema did.
- Otherwise a parameter beyond the 2023 reference needs the capability the catalogue entry grants
  (CAPABILITY_OF); without it, "Unsupported parameter". The entry's `unsupported_parameters` are refused
  naming what to use instead, its `fixed_parameters` take their default only, `reasoning_effort` takes the
  efforts it lists.
- Token limits within the model's output limit; logit_bias ids of the model's tokenizer; tools, tool_choice
  and the tool messages consistent; content parts the model reads (images need vision, audio the audio
  capability); strict schemas strict mode can enforce (strict_schema.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockapi import errors, tokens
from mockapi.catalogue_schema import Capabilities, ModelEntry
from mockapi.conversation import Conversation
from mockapi.errors import OpenAIError
from mockapi.errors import chat as errors_chat
from mockapi.schemas.chat import REFERENCE_FIELDS, CreateChatCompletionRequest
from mockapi.schemas.chat_messages import AssistantMessage, AudioPart, FilePart, ImagePart, ToolMessage, UserMessage
from mockapi.schemas.sampling import check_logit_bias
from mockapi.schemas.strict_schema import refusal

MAX_TOOLS = 128
MAX_METADATA_KEYS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
# The 2023 reference's messages: these roles, a string content, and these keys.
REFERENCE_ROLES = ("system", "user", "assistant")
REFERENCE_MESSAGE_KEYS = frozenset({"role", "content", "name"})

# The capability each later parameter needs (the others every model of today takes).
CAPABILITY_OF: dict[str, Callable[[Capabilities], bool]] = {
    "tools": lambda c: c.tools,
    "tool_choice": lambda c: c.tools,
    "functions": lambda c: c.tools,
    "function_call": lambda c: c.tools,
    "parallel_tool_calls": lambda c: c.parallel_tool_calls,
    "logprobs": lambda c: c.logprobs,
    "top_logprobs": lambda c: c.logprobs,
    "prediction": lambda c: c.predicted_outputs,
    "web_search_options": lambda c: c.web_search,
    "verbosity": lambda c: c.verbosity,
    "reasoning_effort": lambda c: c.reasoning is not None,
    "audio": lambda c: c.audio,
}
# Parts a model reads only with a capability (the message's name for the part, the capability).
PART_CAPABILITY: dict[type, tuple[str, Callable[[Capabilities], bool]]] = {
    ImagePart: ("image_url", lambda c: c.vision),
    FilePart: ("file", lambda c: c.vision),
    AudioPart: ("input_audio", lambda c: c.audio),
}


def takes_reference_only(model: ModelEntry) -> bool:
    """A 2023 model with no capability of today: it answers as the 2023 API did."""
    return model.permission and not model.capabilities.beyond_reference


def check_request(
    body: CreateChatCompletionRequest, raw: Mapping[str, Any], model: ModelEntry, conversation: Conversation
) -> None:
    """Raise the real API's 400 for the first thing this model refuses in this request."""
    if takes_reference_only(model):
        _check_reference(raw)
    else:
        _check_parameters(body, raw, model)
    _check_limits(body, model)
    if body.stream_options is not None and not body.stream:
        raise errors_chat.stream_options_without_stream()
    if body.logit_bias is not None:
        try:
            check_logit_bias(body.logit_bias, tokens.tokenizer_for(model.tokenizer))
        except ValueError as exc:
            raise errors.invalid_param(str(exc), "logit_bias") from None
    _check_tools(body)
    if body.top_logprobs is not None and not body.logprobs:
        raise errors_chat.top_logprobs_without_logprobs()
    _check_messages(body, model.capabilities)
    failure = refusal(conversation, "chat")
    if failure is not None:
        raise failure
    _check_output(body, model)


def _check_reference(raw: Mapping[str, Any]) -> None:
    for name in raw:
        if name not in REFERENCE_FIELDS:
            raise errors_chat.unrecognized_argument(name)
    for index, message in enumerate(raw.get("messages") or ()):
        where = f"messages.{index}"
        if message.get("role") not in REFERENCE_ROLES:
            roles = ", ".join(f"'{role}'" for role in REFERENCE_ROLES)
            raise errors.invalid_param(
                f"{message.get('role')!r} is not one of [{roles}] - '{where}.role'", f"{where}.role"
            )
        extra = sorted(set(message) - REFERENCE_MESSAGE_KEYS)
        if extra:
            listed = ", ".join(repr(key) for key in extra)
            verb = "was" if len(extra) == 1 else "were"
            raise errors.invalid_param(
                f"Additional properties are not allowed ({listed} {verb} unexpected) - '{where}'", where
            )
        content = message.get("content")
        if content is None:
            raise errors.invalid_param(f"'{where}.content' is a required property", f"{where}.content")
        if not isinstance(content, str):
            raise errors.invalid_param(f"{content!r} is not of type 'string' - '{where}.content'", f"{where}.content")


def _given(raw: Mapping[str, Any], name: str) -> bool:
    return raw.get(name) is not None


def _check_parameters(body: CreateChatCompletionRequest, raw: Mapping[str, Any], model: ModelEntry) -> None:
    capabilities = model.capabilities
    if body.modalities and "audio" in body.modalities and not capabilities.audio:
        raise errors_chat.unsupported_choice("modalities", "audio", ["text"])
    for name, instead in capabilities.unsupported_parameters.items():
        if _given(raw, name):
            raise errors_chat.unsupported_parameter(name, instead)
    for name in raw:
        grants = CAPABILITY_OF.get(name)
        if grants is not None and _given(raw, name) and not grants(capabilities):
            if name == "logprobs" and raw[name] is False:
                continue
            raise errors_chat.unsupported_parameter(name)
    for name, default in capabilities.fixed_parameters.items():
        value = raw.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value != default:
            raise errors_chat.unsupported_fixed_value(name, value, default)
    reasoning = capabilities.reasoning
    if reasoning is not None and body.reasoning_effort is not None and body.reasoning_effort not in reasoning.efforts:
        raise errors_chat.unsupported_choice("reasoning_effort", body.reasoning_effort, reasoning.efforts)
    if body.response_format is not None and body.response_format.type != "text":
        kind = body.response_format.type
        if not (capabilities.json_object if kind == "json_object" else capabilities.json_schema):
            raise errors_chat.response_format_not_supported(kind)


def _check_limits(body: CreateChatCompletionRequest, model: ModelEntry) -> None:
    if body.max_tokens is not None and body.max_completion_tokens is not None:
        raise errors_chat.both_token_limits()
    limit = model.max_output_tokens
    for name in ("max_tokens", "max_completion_tokens"):
        given = getattr(body, name)
        if limit is not None and given is not None and given > limit:
            raise errors_chat.too_many_tokens(name, limit, given)
    metadata = body.metadata or {}
    if len(metadata) > MAX_METADATA_KEYS:
        raise errors_chat.metadata_too_large("properties", MAX_METADATA_KEYS, len(metadata))
    longest_key = max((len(key) for key in metadata), default=0)
    if longest_key > MAX_METADATA_KEY:
        raise errors_chat.metadata_too_large("characters in a key", MAX_METADATA_KEY, longest_key)
    longest_value = max((len(value) for value in metadata.values()), default=0)
    if longest_value > MAX_METADATA_VALUE:
        raise errors_chat.metadata_too_large("characters in a value", MAX_METADATA_VALUE, longest_value)


def _check_tools(body: CreateChatCompletionRequest) -> None:
    for name in ("tools", "functions"):
        given: Sequence[Any] | None = getattr(body, name)
        if given is not None and not given:
            raise errors_chat.empty_array(name)
        if given is not None and len(given) > MAX_TOOLS:
            raise errors_chat.array_too_long(name, MAX_TOOLS, len(given))
    if not body.tools:
        for name in ("tool_choice", "parallel_tool_calls"):
            if getattr(body, name) is not None:
                raise errors_chat.only_with_tools(name)
        return
    choice = body.tool_choice
    named = getattr(getattr(choice, "function", None), "name", None)
    offered = {tool.function.name for tool in body.tools if tool.type == "function"}  # type: ignore[union-attr]
    if named is not None and named not in offered:
        raise errors_chat.tool_choice_not_offered(named)


def _check_messages(body: CreateChatCompletionRequest, capabilities: Capabilities) -> None:
    pending: dict[str, int] = {}  # calls of the latest assistant message not answered yet, by id
    calls_at = -1  # index of that message
    answering = False  # whether the messages since it are its tool results
    for index, message in enumerate(body.messages):
        if isinstance(message, UserMessage) and isinstance(message.content, list):
            for position, part in enumerate(message.content):
                needed = PART_CAPABILITY.get(type(part))
                if needed is not None and not needed[1](capabilities):
                    raise errors_chat.content_type_not_supported(needed[0], index, position)
        if isinstance(message, ToolMessage):
            if not answering:
                raise errors_chat.tool_message_without_call(index)
            if message.tool_call_id not in pending:
                raise errors_chat.tool_call_id_not_found(index, message.tool_call_id)
            del pending[message.tool_call_id]
            continue
        _unanswered(pending, calls_at)
        answering = isinstance(message, AssistantMessage) and bool(message.tool_calls)
        if answering:
            assert isinstance(message, AssistantMessage) and message.tool_calls is not None
            pending = {call.id: index for call in message.tool_calls if hasattr(call, "id")}
            calls_at = index
    _unanswered(pending, calls_at)


def _unanswered(pending: Mapping[str, int], index: int) -> None:
    if pending:
        raise errors_chat.unanswered_tool_calls(index, list(pending))


def _check_output(body: CreateChatCompletionRequest, model: ModelEntry) -> None:
    if body.modalities and "audio" in body.modalities and body.audio is None:
        raise errors_chat.missing_parameter("audio")


def media_failure(exc: ValueError) -> OpenAIError:
    """An image or audio part the accounting could not read, as the API refuses it."""
    return errors_chat.media_error(getattr(exc, "message", str(exc)), getattr(exc, "code", "invalid_value"))
