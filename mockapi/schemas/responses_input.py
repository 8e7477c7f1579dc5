"""The Responses API's `input` (a string, or a list of items) checked as the API checks it.

Items: messages (`type: message`, or a bare `{role, content}`) with roles user/system/developer/assistant and
content parts input_text, input_image, input_file (an assistant's: output_text, refusal); function_call and
function_call_output items; reasoning items passed back; item references; the calls of hosted tools passed
back (web_search_call, file_search_call, code_interpreter_call...), whose shape is the API's business and
is taken as given. `status` and `id`, which outputs carry, are accepted on items passed back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mockapi.errors import current as errors_current
from mockapi.errors import responses as refuse
from mockapi.schemas.responses_shape import array, at, choice, index, keys, obj, require, string

ROLES = ("user", "assistant", "system", "developer")
ITEM_TYPES = (
    "message", "function_call", "function_call_output", "reasoning", "item_reference", "web_search_call",
    "file_search_call", "code_interpreter_call", "computer_call", "computer_call_output", "image_generation_call",
    "local_shell_call", "local_shell_call_output", "mcp_list_tools", "mcp_approval_request",
    "mcp_approval_response", "mcp_call", "custom_tool_call", "custom_tool_call_output",
)  # fmt: skip
USER_PARTS = ("input_text", "input_image", "input_file")
ASSISTANT_PARTS = ("output_text", "refusal", "input_text")
DETAILS = ("low", "high", "auto", "original")
STATUSES = ("in_progress", "completed", "incomplete")
IMAGE_MIME = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_INPUT_CHARS = 10_485_760
MAX_CALL_ID = 64
_DATA_URL = re.compile(r"data:([^;,]*)(;[^,]*)?,", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def check_input(value: Any) -> None:
    if isinstance(value, str):
        if len(value) > MAX_INPUT_CHARS:
            raise errors_current.string_too_long("input", MAX_INPUT_CHARS, len(value))
        return
    for position, item in enumerate(array(value, "input", "one of a string or array of input items")):
        check_item(item, index("input", position))


def check_item(value: Any, param: str) -> None:
    item = obj(value, param)
    kind = item.get("type")
    if kind is None:
        kind = "message" if "role" in item or "content" in item else "item_reference"
    kind = choice(kind, at(param, "type"), ITEM_TYPES)
    if kind == "message":
        _message(item, param)
    elif kind in ("function_call", "custom_tool_call"):
        argument = "arguments" if kind == "function_call" else "input"
        keys(item, param, ("type", "id", "call_id", "name", "namespace", argument, "status", "caller"))
        require(item, param, ("call_id", "name", argument))
        _call_id(item["call_id"], at(param, "call_id"))
        string(item["name"], at(param, "name"))
        string(item[argument], at(param, argument))
        _status(item, param)
    elif kind in ("function_call_output", "custom_tool_call_output"):
        keys(item, param, ("type", "id", "call_id", "output", "name", "namespace", "status", "caller"))
        require(item, param, ("call_id", "output"))
        _call_id(item["call_id"], at(param, "call_id"))
        _output(item["output"], at(param, "output"))
        _status(item, param)
    elif kind == "reasoning":
        keys(item, param, ("type", "id", "summary", "content", "encrypted_content", "status"), ("summary",))
        for position, part in enumerate(array(item["summary"], at(param, "summary"))):
            part_param = index(at(param, "summary"), position)
            keys(obj(part, part_param), part_param, ("type", "text"), ("type", "text"))
            choice(part["type"], at(part_param, "type"), ("summary_text",))
            string(part["text"], at(part_param, "text"))
    elif kind == "item_reference":
        keys(item, param, ("type", "id"), ("id",))
        string(item["id"], at(param, "id"))


def _message(item: Mapping[str, Any], param: str) -> None:
    keys(item, param, ("type", "role", "content", "id", "status", "phase"), ("role", "content"))
    role = choice(item["role"], at(param, "role"), ROLES)
    _status(item, param)
    content = item["content"]
    if isinstance(content, str):
        return
    parts_param = at(param, "content")
    parts = array(content, parts_param, "one of a string or array of content parts")
    allowed = ASSISTANT_PARTS if role == "assistant" else USER_PARTS
    for position, part in enumerate(parts):
        check_part(part, index(parts_param, position), allowed)


def check_part(value: Any, param: str, allowed: tuple[str, ...] = USER_PARTS) -> None:
    part = obj(value, param)
    if part.get("type") is None:
        raise refuse.missing_parameter(at(param, "type"))
    kind = choice(part["type"], at(param, "type"), allowed)
    if kind in ("input_text", "output_text"):
        extra = ("annotations", "logprobs") if kind == "output_text" else ("prompt_cache_breakpoint",)
        keys(part, param, ("type", "text", *extra), ("text",))
        string(part["text"], at(param, "text"), MAX_INPUT_CHARS)
    elif kind == "refusal":
        keys(part, param, ("type", "refusal"), ("refusal",))
        string(part["refusal"], at(param, "refusal"))
    elif kind == "input_image":
        keys(part, param, ("type", "image_url", "file_id", "detail", "prompt_cache_breakpoint"))
        if part.get("detail") is not None:
            choice(part["detail"], at(param, "detail"), DETAILS)
        if part.get("image_url") is None and part.get("file_id") is None:
            raise refuse.image_or_file_required(param)
        if part.get("image_url") is not None:
            image_url(part["image_url"], at(param, "image_url"))
        if part.get("file_id") is not None:
            string(part["file_id"], at(param, "file_id"))
    else:
        keys(part, param, ("type", "file_id", "file_data", "file_url", "filename", "detail", "prompt_cache_breakpoint"))
        if all(part.get(name) is None for name in ("file_id", "file_data", "file_url")):
            raise refuse.file_source_required(param)
        for name in ("file_id", "file_data", "filename"):
            if part.get(name) is not None:
                string(part[name], at(param, name))
        if part.get("file_url") is not None and not _URL.fullmatch(string(part["file_url"], at(param, "file_url"))):
            raise refuse.invalid_url(at(param, "file_url"))


def image_url(value: Any, param: str) -> None:
    """An http(s) URL, or a base64 data URL of a PNG, JPEG, GIF or WEBP image."""
    url = string(value, param)
    data = _DATA_URL.match(url)
    if data is not None:
        if data.group(1).lower() not in IMAGE_MIME:
            raise refuse.invalid_image_data_url(param, data.group(1))
        return
    if not _URL.fullmatch(url):
        raise refuse.invalid_url(param)


def _call_id(value: Any, param: str) -> None:
    call_id = string(value, param, MAX_CALL_ID)
    if not call_id:
        raise refuse.empty_string(param)


def _output(value: Any, param: str) -> None:
    if isinstance(value, str):
        if len(value) > MAX_INPUT_CHARS:
            raise errors_current.string_too_long(param, MAX_INPUT_CHARS, len(value))
        return
    for position, part in enumerate(array(value, param, "one of a string or array of content parts")):
        check_part(part, index(param, position))


def _status(item: Mapping[str, Any], param: str) -> None:
    if item.get("status") is not None:
        choice(item["status"], at(param, "status"), STATUSES)
