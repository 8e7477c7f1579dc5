"""Chat Completions messages and Responses input items, parsed into the one conversation model."""

from __future__ import annotations

from typing import Any

from mockapi.conversation import (
    LEGACY_CALL_ID,
    FunctionTool,
    Message,
    OutputFormat,
    ToolCall,
    ToolChoice,
    ToolResult,
    from_chat,
    from_responses,
)

# The spec's "Functions" example of POST /chat/completions, and the loop's next turn.
WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location"],
}
CHAT_FUNCTIONS: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "What is the weather like in Boston today?"}],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": WEATHER_PARAMETERS,
            },
        }
    ],
    "tool_choice": "auto",
}
CHAT_AFTER_CALL: dict[str, Any] = {
    **CHAT_FUNCTIONS,
    "messages": [
        {"role": "developer", "content": "You are a helpful assistant."},
        {"role": "user", "content": [{"type": "text", "text": "What is the weather like in Boston today?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc123",
                    "type": "function",
                    "function": {"name": "get_current_weather", "arguments": '{\n"location": "Boston, MA"\n}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc123", "content": "22 degrees and sunny"},
    ],
}


def test_chat_functions_example() -> None:
    conversation = from_chat(CHAT_FUNCTIONS)
    assert conversation.messages == (Message("user", "What is the weather like in Boston today?"),)
    assert conversation.tools == (
        FunctionTool("get_current_weather", "Get the current weather in a given location", WEATHER_PARAMETERS),
    )
    assert conversation.tool_choice == ToolChoice("auto")
    assert conversation.parallel_tool_calls is True and conversation.output == OutputFormat()
    assert conversation.turn() == 0 and not conversation.last_is_tool_result()
    assert conversation.last_user_text() == "What is the weather like in Boston today?"


def test_chat_tool_result_names_its_call_and_counts_the_turn() -> None:
    conversation = from_chat(CHAT_AFTER_CALL)
    call = ToolCall("call_abc123", "get_current_weather", '{\n"location": "Boston, MA"\n}')
    assert conversation.messages[2] == Message("assistant", "", (call,))
    assert conversation.last_is_tool_result() and conversation.turn() == 1
    result = ToolResult("call_abc123", "22 degrees and sunny", "get_current_weather")
    assert conversation.results_since_last_assistant() == (result,)
    assert conversation.call("call_abc123") == call
    assert conversation.last_user_text() == "What is the weather like in Boston today?"
    assert conversation.system_text() == "You are a helpful assistant."


def test_chat_defaults_and_forms_of_tool_choice() -> None:
    plain = from_chat({"messages": [{"role": "user", "content": "hi"}]})
    assert plain.tool_choice == ToolChoice("none") and plain.tools == ()
    named = {"type": "function", "function": {"name": "get_current_weather"}}
    assert from_chat({**CHAT_FUNCTIONS, "tool_choice": named}).tool_choice == ToolChoice(
        "function", "get_current_weather"
    )
    assert from_chat({**CHAT_FUNCTIONS, "tool_choice": "required"}).tool_choice == ToolChoice("required")
    allowed = {
        "type": "allowed_tools",
        "allowed_tools": {"mode": "required", "tools": [{"type": "function", "function": {"name": "get_time"}}]},
    }
    choice = from_chat({**CHAT_FUNCTIONS, "tool_choice": allowed}).tool_choice
    assert choice == ToolChoice("required", allowed=("get_time",))
    assert from_chat({**CHAT_FUNCTIONS, "tool_choice": allowed}).offered() == ()
    assert from_chat({**CHAT_FUNCTIONS, "parallel_tool_calls": False}).parallel_tool_calls is False


def test_chat_legacy_functions_and_function_role() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "weather", "arguments": '{"city":"Paris"}'},
            },
            {"role": "function", "name": "weather", "content": "Rain"},
        ],
        "functions": [{"name": "weather", "parameters": {"type": "object", "properties": {}}}],
        "function_call": {"name": "weather"},
    }
    conversation = from_chat(body)
    assert conversation.legacy_functions and conversation.parallel_tool_calls is False
    assert conversation.tool_choice == ToolChoice("function", "weather")
    assert conversation.messages[2].tool_calls == (ToolCall(LEGACY_CALL_ID, "weather", '{"city":"Paris"}'),)
    assert conversation.results_since_last_assistant() == (ToolResult(LEGACY_CALL_ID, "Rain", "weather"),)
    assert from_chat({**body, "function_call": "none"}).tool_choice == ToolChoice("none")


def test_chat_response_formats() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    strict = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
    assert from_chat({**CHAT_FUNCTIONS, "response_format": strict}).output == OutputFormat(
        "json_schema", "answer", schema, True
    )
    assert from_chat({**CHAT_FUNCTIONS, "response_format": {"type": "json_object"}}).output.type == "json_object"
    assert from_chat({**CHAT_FUNCTIONS, "response_format": {"type": "text"}}).output == OutputFormat()


def test_chat_parts_refusals_and_other_tools() -> None:
    body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Look:"}, {"type": "image_url", "image_url": {}}]},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]},
        ],
        "tools": [{"type": "custom", "custom": {"name": "grammar"}}],
    }
    conversation = from_chat(body)
    assert [m.text for m in conversation.messages] == ["Look:", "I can't."]
    assert conversation.other_tools == ("custom",) and conversation.tools == ()


# The spec's "Functions" example of POST /responses, and an Agents SDK style continuation.
RESPONSES_TOOL = {
    "type": "function",
    "name": "get_current_weather",
    "description": "Get the current weather in a given location",
    "parameters": {**WEATHER_PARAMETERS, "required": ["location", "unit"]},
}
RESPONSES_FUNCTIONS: dict[str, Any] = {
    "model": "gpt-5.4",
    "input": "What is the weather like in Boston today?",
    "tools": [RESPONSES_TOOL],
    "tool_choice": "auto",
}


def test_responses_functions_example() -> None:
    conversation = from_responses(RESPONSES_FUNCTIONS)
    assert conversation.messages == (Message("user", "What is the weather like in Boston today?"),)
    assert conversation.tools[0].name == "get_current_weather" and conversation.tools[0].strict is None
    assert conversation.tool_choice == ToolChoice("auto") and conversation.parallel_tool_calls


def test_responses_items_one_assistant_turn_per_output() -> None:
    body = {
        **RESPONSES_FUNCTIONS,
        "instructions": "You are a weather bot.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Weather in Boston and Oslo?"}]},
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "function_call", "call_id": "call_1", "name": "get_current_weather", "arguments": "{}"},
            {"type": "function_call", "call_id": "call_2", "name": "get_current_weather", "arguments": '{"a":1}'},
            {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"},
            {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "Snow"}]},
        ],
        "text": {"format": {"type": "json_schema", "name": "w", "schema": {"type": "object"}, "strict": True}},
        "parallel_tool_calls": False,
    }
    conversation = from_responses(body)
    assert (
        conversation.instructions == "You are a weather bot."
        and conversation.system_text() == conversation.instructions
    )
    assert conversation.turn() == 1 and conversation.last_is_tool_result()
    assert [c.id for c in conversation.messages[1].tool_calls] == ["call_1", "call_2"]
    assert conversation.results_since_last_assistant() == (
        ToolResult("call_1", "Sunny", "get_current_weather"),
        ToolResult("call_2", "Snow", "get_current_weather"),
    )
    assert conversation.output == OutputFormat("json_schema", "w", {"type": "object"}, True)
    assert conversation.parallel_tool_calls is False


def test_responses_assistant_messages_history_and_hosted_tools() -> None:
    history = (Message("user", "Earlier question"), Message("assistant", "Earlier answer"))
    body = {
        "input": [
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello again"}]},
            {"type": "message", "role": "assistant", "content": "And more"},
            {"role": "user", "content": "Search the docs"},
            {"type": "item_reference", "id": "msg_1"},
        ],
        "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}, RESPONSES_TOOL],
        "tool_choice": {"type": "file_search"},
    }
    conversation = from_responses(body, history)
    assert [m.text for m in conversation.messages] == [
        "Earlier question",
        "Earlier answer",
        "Hello again",
        "And more",
        "Search the docs",
    ]
    assert conversation.turn() == 3
    assert conversation.other_tools == ("file_search",)
    assert conversation.tool_choice == ToolChoice("builtin", "file_search")
    named = from_responses({**body, "tool_choice": {"type": "function", "name": "get_current_weather"}})
    assert named.tool_choice == ToolChoice("function", "get_current_weather")


def test_since_last_user_and_all_text() -> None:
    conversation = from_chat(CHAT_AFTER_CALL)
    assert len(conversation.since_last_user()) == 2
    assert "22 degrees and sunny" in conversation.all_text() and "Boston, MA" in conversation.all_text()
