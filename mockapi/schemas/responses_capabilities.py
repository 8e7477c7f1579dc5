"""What a model takes on the Responses API, read from its catalogue entry's capabilities, refused as the API
refuses it:
- a reasoning model: no `temperature`, `top_p` or `top_logprobs` ("Unsupported parameter: 'temperature' is
  not supported with this model."); `reasoning.effort` one of the entry's efforts ("Unsupported value: ...");
- another model: no `reasoning` at all;
- `text.verbosity` other than medium only where the entry says `verbosity`;
- function tools only where it says `tools`; hosted tools only those of its `hosted_tools`;
- `json_object` / `json_schema` formats only where it says so; image inputs only with `vision`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockapi.catalogue import ModelEntry
from mockapi.errors import responses as refuse
from mockapi.generators.responses_tools import HOSTED_TYPES


def check_model(entry: ModelEntry, body: Mapping[str, Any]) -> None:
    capabilities = entry.capabilities
    reasoning = body.get("reasoning") or {}
    if capabilities.reasoning is not None:
        for name in ("temperature", "top_p", "top_logprobs"):
            if body.get(name) is not None:
                raise refuse.unsupported_parameter(name)
        effort = reasoning.get("effort")
        if effort is not None and effort not in capabilities.reasoning.efforts:
            raise refuse.unsupported_value("reasoning.effort", effort, capabilities.reasoning.efforts)
    else:
        for name in ("effort", "summary", "generate_summary"):
            if reasoning.get(name) is not None:
                raise refuse.unsupported_parameter(f"reasoning.{name}")
    text = body.get("text") or {}
    verbosity = text.get("verbosity")
    if verbosity not in (None, "medium") and not capabilities.verbosity:
        raise refuse.unsupported_value("text.verbosity", verbosity, ("medium",))
    kind = (text.get("format") or {}).get("type")
    if (kind == "json_schema" and not capabilities.json_schema) or (
        kind == "json_object" and not capabilities.json_object
    ):
        raise refuse.format_unsupported(kind)
    _check_tools(entry, body.get("tools") or ())
    if not capabilities.vision:
        _check_no_images(body.get("input"))


def _check_tools(entry: ModelEntry, tools: Sequence[Mapping[str, Any]]) -> None:
    for position, tool in enumerate(tools):
        kind = str(tool.get("type"))
        if kind == "function" and not entry.capabilities.tools:
            raise refuse.unsupported_parameter("tools")
        hosted = HOSTED_TYPES.get(kind)
        if kind != "function" and hosted not in entry.capabilities.hosted_tools:
            raise refuse.hosted_tool_unsupported(kind, entry.id, f"tools[{position}].type")


def _check_no_images(given: Any) -> None:
    if not isinstance(given, list):
        return
    for position, item in enumerate(given):
        content = item.get("content") if isinstance(item, Mapping) else None
        for index, part in enumerate(content if isinstance(content, list) else ()):
            if isinstance(part, Mapping) and part.get("type") == "input_image":
                raise refuse.image_input_unsupported(f"input[{position}].content[{index}]")
