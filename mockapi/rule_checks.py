"""Load-time checks of a rule's answer against what its own match says of the request.

A rule that matches a request's body knows parts of that request: the structured output format it names
(Chat's `response_format`, the Responses API's `text.format`) and whether it streams. An answer that could
not be the real API's answer to such a request is refused when the rule loads, naming the field:
- `content` under a json_schema format must be JSON valid against that schema;
- a `body` answering streamed requests must be something a stream can carry: a list of events (each sent as
  one `data:` event, then `data: [DONE]`), or SSE text with a `content-type: text/event-stream` header. An
  error status is answered as JSON, as the real API answers errors to streamed requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

EVENT_STREAM = "text/event-stream"


def matched_schema(body: Mapping[str, Any] | None) -> tuple[str, Any] | None:
    """(where the request gives it, schema) of the json_schema output format a rule's `match.body` names."""
    if not isinstance(body, Mapping):
        return None
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        if isinstance(spec, Mapping) and "schema" in spec:
            return "response_format.json_schema.schema", spec["schema"]
    text = body.get("text")
    text_format = text.get("format") if isinstance(text, Mapping) else None
    if isinstance(text_format, Mapping) and text_format.get("type") == "json_schema" and "schema" in text_format:
        return "text.format.schema", text_format["schema"]
    return None


def structured_problem(body: Mapping[str, Any] | None, content: str) -> str | None:
    """Why `content` cannot answer the structured output the rule's match names, or None."""
    found = matched_schema(body)
    if found is None:
        return None
    where, schema = found
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        return f"content must be JSON valid against the rule's {where}, but it is not JSON ({exc})"
    import jsonschema  # only for rules that answer a structured output: a start without them skips it

    try:
        validator = jsonschema.Draft202012Validator(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    except jsonschema.exceptions.SchemaError as exc:
        return f"the rule's {where} is not a valid JSON Schema: {exc.message}"
    if error is None:
        return None
    at = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"content is not valid against the rule's {where}: {error.message} (at {at})"


def streams(body: Mapping[str, Any] | None) -> bool:
    """Whether the rule's match only takes streamed requests."""
    return isinstance(body, Mapping) and body.get("stream") is True


def is_event_stream(headers: Mapping[str, str]) -> bool:
    return any(k.lower() == "content-type" and v.lower().startswith(EVENT_STREAM) for k, v in headers.items())


def stream_problem(body: Mapping[str, Any] | None, answer: Any, headers: Mapping[str, str], status: int) -> str | None:
    """Why a `body` answer cannot go to the streamed requests the rule's match takes, or None."""
    if not streams(body) or status >= 400 or isinstance(answer, list):
        return None
    if isinstance(answer, str) and is_event_stream(headers):
        return None
    return (
        "a body answering streamed requests (the rule matches stream: true) must be a list of events, each sent "
        "as one `data:` event, or SSE text with a `content-type: text/event-stream` header"
    )
