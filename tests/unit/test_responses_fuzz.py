"""Any JSON body is answered by the Responses API's own 400 or read, never a crash (no 500, no 422): checked
on the request models, and on a real server (what passes the checks is answered)."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockapi import errors
from mockapi.pytest_plugin import Mockapi
from mockapi.routing import parse
from mockapi.schemas.conversations import AddItemsBody, CreateConversationBody
from mockapi.schemas.responses import CreateResponse, TokenCountsBody
from mockapi.schemas.responses_check import CREATE_FIELDS

SCALARS = st.none() | st.booleans() | st.integers(-5, 100) | st.floats(-3, 3) | st.sampled_from(
    ["", "user", "assistant", "message", "function_call", "function_call_output", "input_text", "input_image",
     "json_schema", "function", "web_search", "file_search", "auto", "data:image/png;base64,AA", "https://a.b/c"]
)  # fmt: skip
KEYS = st.sampled_from(
    ["type", "role", "content", "text", "image_url", "call_id", "output", "name", "arguments", "format", "schema",
     "effort", "summary", "id", "parameters", "vector_store_ids", "container", "mode", "tools", "file_id"]
)  # fmt: skip
VALUES: Any = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12
)
BODIES = st.dictionaries(st.sampled_from(CREATE_FIELDS), VALUES, max_size=6).map(lambda b: {"model": "gpt-4o", **b})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_a_create_body_is_read_or_refused_with_a_400(body: dict[str, Any]) -> None:
    for model in (CreateResponse, TokenCountsBody):
        try:
            parse(model, body)
        except errors.OpenAIError as failure:
            assert failure.status in (400, 404)
            assert failure.message


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["items", "metadata"]), VALUES, max_size=2))
def test_a_conversation_body_is_read_or_refused_with_a_400(body: dict[str, Any]) -> None:
    for model in (CreateConversationBody, AddItemsBody):
        try:
            parse(model, body)
        except errors.OpenAIError as failure:
            assert failure.status in (400, 404)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_the_server_answers_any_body_without_a_server_error(mockapi: Mockapi, body: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {mockapi.openai_client().api_key}"}
    answer = httpx.post(mockapi.base_url + "/responses", json=body, headers=headers, timeout=30)
    assert answer.status_code in (200, 400, 404), answer.text
    if answer.status_code != 200:
        assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
