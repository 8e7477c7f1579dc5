"""A `POST /v1/responses` body checked as the API checks it, field by field, before any model is looked up.

What depends on the model (reasoning, sampling, hosted tools, images) is the router's to check against the
catalogue entry (responses_capabilities.py); what depends on stored objects (previous_response_id,
conversation) is the store's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockapi.errors import responses as refuse
from mockapi.schemas.responses_input import check_input
from mockapi.schemas.responses_shape import (
    array,
    at,
    boolean,
    choice,
    index,
    integer,
    keys,
    number,
    obj,
    require,
    string,
    string_map,
)

CREATE_FIELDS = (
    "model", "input", "instructions", "previous_response_id", "conversation", "tools", "tool_choice",
    "parallel_tool_calls", "text", "reasoning", "max_output_tokens", "max_tool_calls", "temperature", "top_p",
    "top_logprobs", "truncation", "store", "metadata", "include", "stream", "stream_options", "background",
    "service_tier", "user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "prompt",
    "prompt_cache_options", "moderation", "context_management",
)  # fmt: skip
COUNT_FIELDS = (
    "model", "input", "instructions", "previous_response_id", "conversation", "tools", "tool_choice",
    "parallel_tool_calls", "text", "reasoning", "truncation", "personality",
)  # fmt: skip
INCLUDABLE = (
    "file_search_call.results", "web_search_call.results", "web_search_call.action.sources",
    "message.input_image.image_url", "computer_call_output.output.image_url", "code_interpreter_call.outputs",
    "reasoning.encrypted_content", "message.output_text.logprobs",
)  # fmt: skip
SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
SUMMARIES = ("auto", "concise", "detailed")
VERBOSITIES = ("low", "medium", "high")
FORMATS = ("text", "json_object", "json_schema")
CHOICE_MODES = ("none", "auto", "required")
HOSTED_CHOICES = (
    "file_search", "web_search", "web_search_preview", "web_search_preview_2025_03_11", "code_interpreter",
    "image_generation", "computer_use_preview", "computer", "computer_use",
)  # fmt: skip
FUNCTION_TOOL = ("type", "name", "description", "parameters", "strict", "defer_loading", "output_schema")
# Hosted tools and their fields (their settings are the API's; the type is what this mock reads).
TOOL_TYPES = (
    "function", "file_search", "web_search", "web_search_2025_08_26", "web_search_preview",
    "web_search_preview_2025_03_11", "code_interpreter", "image_generation", "computer_use_preview", "mcp",
    "local_shell", "shell", "custom", "apply_patch",
)  # fmt: skip
MIN_OUTPUT_TOKENS = 16
MAX_INSTRUCTIONS = 10_485_760
MAX_TOOLS = 128
MAX_SAFETY_IDENTIFIER = 64


def check_create(body: Mapping[str, Any]) -> None:
    keys(body, "", CREATE_FIELDS)
    if body.get("model") is None:
        raise refuse.missing_parameter("model")
    string(body["model"], "model")
    _check_common(body)
    _optional(body, "max_output_tokens", lambda v, p: integer(v, p, MIN_OUTPUT_TOKENS))
    _optional(body, "max_tool_calls", lambda v, p: integer(v, p, 1))
    _optional(body, "temperature", lambda v, p: number(v, p, 0, 2))
    _optional(body, "top_p", lambda v, p: number(v, p, 0, 1))
    _optional(body, "top_logprobs", lambda v, p: integer(v, p, 0, 20))
    for name in ("store", "stream", "background"):
        _optional(body, name, boolean)
    _optional(body, "metadata", string_map)
    _optional(body, "include", _include)
    _optional(body, "stream_options", _stream_options)
    _optional(body, "service_tier", lambda v, p: choice(v, p, SERVICE_TIERS))
    _optional(body, "user", string)
    _optional(body, "safety_identifier", lambda v, p: string(v, p, MAX_SAFETY_IDENTIFIER))
    _optional(body, "prompt_cache_key", string)
    _optional(body, "prompt_cache_retention", lambda v, p: choice(v, p, ("in_memory", "24h")))
    if body.get("stream_options") is not None and body.get("stream") is not True:
        raise refuse.stream_options_without_stream()
    if body.get("background") is True and body.get("store") is False:
        raise refuse.background_needs_store()
    prompt = body.get("prompt")
    if prompt is not None:
        keys(obj(prompt, "prompt"), "prompt", ("id", "version", "variables"), ("id",))
        raise refuse.prompt_not_found(string(prompt["id"], "prompt.id"))


def check_count(body: Mapping[str, Any]) -> None:
    """`POST /v1/responses/input_tokens`: the fields of a request whose input is counted."""
    keys(body, "", COUNT_FIELDS)
    _optional(body, "model", string)
    _check_common(body)


def _check_common(body: Mapping[str, Any]) -> None:
    _optional(body, "input", lambda v, p: check_input(v))
    _optional(body, "instructions", lambda v, p: string(v, p, MAX_INSTRUCTIONS))
    _optional(body, "previous_response_id", string)
    _optional(body, "conversation", _conversation)
    _optional(body, "tools", _tools)
    _optional(body, "tool_choice", _tool_choice)
    _optional(body, "parallel_tool_calls", boolean)
    _optional(body, "text", _text)
    _optional(body, "reasoning", _reasoning)
    _optional(body, "truncation", lambda v, p: choice(v, p, ("auto", "disabled")))
    if body.get("previous_response_id") is not None and body.get("conversation") is not None:
        raise refuse.previous_and_conversation()
    choice_given = body.get("tool_choice")
    if isinstance(choice_given, Mapping) and choice_given.get("type") == "function":
        names = {tool.get("name") for tool in body.get("tools") or () if tool.get("type") == "function"}
        if choice_given.get("name") not in names:
            raise refuse.tool_choice_unknown_function(str(choice_given.get("name")))


def _optional(body: Mapping[str, Any], name: str, check: Any) -> None:
    if body.get(name) is not None:
        check(body[name], name)


def _include(value: Any, param: str) -> None:
    for position, name in enumerate(array(value, param)):
        choice(name, index(param, position), INCLUDABLE)


def _stream_options(value: Any, param: str) -> None:
    options = obj(value, param)
    keys(options, param, ("include_obfuscation",))
    if options.get("include_obfuscation") is not None:
        boolean(options["include_obfuscation"], at(param, "include_obfuscation"))


def _conversation(value: Any, param: str) -> None:
    if isinstance(value, str):
        return
    conversation = obj(value, param)
    keys(conversation, param, ("id",), ("id",))
    string(conversation["id"], at(param, "id"))


def _tools(value: Any, param: str) -> None:
    tools = array(value, param, "an array of tools", MAX_TOOLS)
    for position, given in enumerate(tools):
        where = index(param, position)
        tool = obj(given, where)
        if tool.get("type") is None:
            raise refuse.missing_parameter(at(where, "type"))
        kind = choice(tool["type"], at(where, "type"), TOOL_TYPES)
        if kind == "function":
            keys(tool, where, FUNCTION_TOOL, ("name",))
            string(tool["name"], at(where, "name"))
            if tool.get("description") is not None:
                string(tool["description"], at(where, "description"))
            if tool.get("parameters") is not None:
                obj(tool["parameters"], at(where, "parameters"))
            if tool.get("strict") is not None:
                boolean(tool["strict"], at(where, "strict"))
        elif kind == "file_search":
            keys(tool, where, ("type", "vector_store_ids", "max_num_results", "ranking_options", "filters"))
            require(tool, where, ("vector_store_ids",))
            for number_of, store_id in enumerate(array(tool["vector_store_ids"], at(where, "vector_store_ids"))):
                string(store_id, index(at(where, "vector_store_ids"), number_of))
            if tool.get("max_num_results") is not None:
                integer(tool["max_num_results"], at(where, "max_num_results"), 1, 50)
        elif kind == "code_interpreter" and tool.get("container") is None:
            raise refuse.missing_parameter(at(where, "container"))


def _tool_choice(value: Any, param: str) -> None:
    if isinstance(value, str):
        choice(value, param, CHOICE_MODES)
        return
    given = obj(value, param)
    if given.get("type") is None:
        raise refuse.missing_parameter(at(param, "type"))
    kind = choice(given["type"], at(param, "type"), ("function", "allowed_tools", "mcp", "custom", *HOSTED_CHOICES))
    if kind == "function":
        keys(given, param, ("type", "name"), ("name",))
        string(given["name"], at(param, "name"))
    elif kind == "allowed_tools":
        keys(given, param, ("type", "mode", "tools"), ("mode", "tools"))
        choice(given["mode"], at(param, "mode"), ("auto", "required"))
        for position, tool in enumerate(array(given["tools"], at(param, "tools"))):
            obj(tool, index(at(param, "tools"), position))


def _text(value: Any, param: str) -> None:
    text = obj(value, param)
    keys(text, param, ("format", "verbosity"))
    if text.get("verbosity") is not None:
        choice(text["verbosity"], at(param, "verbosity"), VERBOSITIES)
    if text.get("format") is None:
        return
    where = at(param, "format")
    given = obj(text["format"], where)
    if given.get("type") is None:
        raise refuse.missing_parameter(at(where, "type"))
    kind = choice(given["type"], at(where, "type"), FORMATS)
    if kind != "json_schema":
        keys(given, where, ("type",))
        return
    keys(given, where, ("type", "name", "schema", "strict", "description"), ("name", "schema"))
    string(given["name"], at(where, "name"))
    obj(given["schema"], at(where, "schema"))
    if given.get("strict") is not None:
        boolean(given["strict"], at(where, "strict"))
    if given.get("description") is not None:
        string(given["description"], at(where, "description"))


def _reasoning(value: Any, param: str) -> None:
    reasoning = obj(value, param)
    keys(reasoning, param, ("effort", "summary", "generate_summary", "mode", "context"))
    if reasoning.get("effort") is not None:
        choice(reasoning["effort"], at(param, "effort"), EFFORTS)
    for name in ("summary", "generate_summary"):
        if reasoning.get(name) is not None:
            choice(reasoning[name], at(param, name), SUMMARIES)
