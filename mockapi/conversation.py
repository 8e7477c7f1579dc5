"""One conversation model that Chat Completions and the Responses API both parse into.

A wire format's request (messages, or input items) becomes a `Conversation`: instructions, messages with
their tool calls and tool results, the function tools offered, how a tool may be chosen, and the output
format. The turn is decided once over this model (generators/tool_calls.py) and rendered back per format.
The converters read plain dicts (a validated request body dumped to a dict); they trust its shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "developer", "user", "assistant", "tool"]
ChoiceMode = Literal["none", "auto", "required", "function", "builtin"]
FormatType = Literal["text", "json_object", "json_schema"]

# Chat's role `function` (legacy) answers a `function_call`, which has no id: both get this one.
LEGACY_CALL_ID = ""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the assistant made: its id, the function's name and the arguments as JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool answered to call `call_id` (`name` when the wire format or the call tells it)."""

    call_id: str
    output: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_result: ToolResult | None = None


@dataclass(frozen=True, slots=True)
class FunctionTool:
    name: str
    description: str = ""
    # A JSON Schema for the arguments; None when the function takes none.
    parameters: Mapping[str, Any] | None = None
    # None when the request left it out: Chat reads that as false, Responses as "strict if the schema can be".
    strict: bool | None = None
    # Where the request listed it (tools[i], or functions[i]), for errors that name it.
    position: int = 0


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """How a tool may be chosen: `function` forces `name`; `builtin` forces a hosted tool (`name` is its
    type), which the function-calling model leaves alone; `allowed` narrows the tools to those names."""

    mode: ChoiceMode = "auto"
    name: str | None = None
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class OutputFormat:
    type: FormatType = "text"
    name: str | None = None
    schema: Mapping[str, Any] | None = None
    strict: bool = False
    description: str | None = None


TEXT_FORMAT = OutputFormat()


@dataclass(frozen=True, slots=True)
class Conversation:
    messages: tuple[Message, ...]
    instructions: str = ""
    tools: tuple[FunctionTool, ...] = ()
    tool_choice: ToolChoice = field(default_factory=ToolChoice)
    parallel_tool_calls: bool = True
    output: OutputFormat = TEXT_FORMAT
    # Chat's legacy `functions`: one `function_call` per answer, no ids.
    legacy_functions: bool = False
    # Types of the other tools offered (web_search, file_search, custom, ...), in order.
    other_tools: tuple[str, ...] = ()

    def last_user_text(self) -> str:
        return next((m.text for m in reversed(self.messages) if m.role == "user"), "")

    def last_is_tool_result(self) -> bool:
        return bool(self.messages) and self.messages[-1].tool_result is not None

    def turn(self) -> int:
        """How many assistant messages came before the answer being made."""
        return sum(1 for m in self.messages if m.role == "assistant")

    def results_since_last_assistant(self) -> tuple[ToolResult, ...]:
        results: list[ToolResult] = []
        for message in reversed(self.messages):
            if message.role == "assistant":
                break
            if message.tool_result is not None:
                results.append(message.tool_result)
        return tuple(reversed(results))

    def since_last_user(self) -> tuple[Message, ...]:
        """The messages after the last user message: the current task's calls and results."""
        for index in range(len(self.messages) - 1, -1, -1):
            if self.messages[index].role == "user":
                return self.messages[index + 1 :]
        return self.messages

    def system_text(self) -> str:
        """Instructions and every system or developer message, in order (what rules match as `system`)."""
        parts = [self.instructions] if self.instructions else []
        parts += [m.text for m in self.messages if m.role in ("system", "developer") and m.text]
        return "\n".join(parts)

    def call(self, call_id: str) -> ToolCall | None:
        """The assistant's call with this id, the latest if ids repeat."""
        for message in reversed(self.messages):
            for made in message.tool_calls:
                if made.id == call_id:
                    return made
        return None

    def offered(self) -> tuple[FunctionTool, ...]:
        """The function tools the model may call, as tool_choice's `allowed` narrows them."""
        allowed = self.tool_choice.allowed
        if allowed is None:
            return self.tools
        return tuple(tool for tool in self.tools if tool.name in allowed)

    def tool(self, name: str) -> FunctionTool | None:
        return next((tool for tool in self.tools if tool.name == name), None)

    def all_text(self) -> str:
        """Every text of the conversation, tool results and call arguments included."""
        parts = [self.instructions] if self.instructions else []
        for message in self.messages:
            parts.append(message.text)
            parts += [made.arguments for made in message.tool_calls]
            if message.tool_result is not None:
                parts.append(message.tool_result.output)
        return "\n".join(part for part in parts if part)


# Chat Completions.


def _text_of(content: Any) -> str:
    """A message's text: a string, or the text of its parts (text, refusal, input_text, output_text)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for part in content if isinstance(content, list) else ():
        if isinstance(part, Mapping):
            text = part.get("text", part.get("refusal"))
            if isinstance(text, str):
                texts.append(text)
    return "\n".join(texts)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _arguments(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _chat_tool_call(call: Mapping[str, Any]) -> ToolCall | None:
    if call.get("type") == "custom":
        custom = call.get("custom") or {}
        return ToolCall(str(call.get("id", "")), str(custom.get("name", "")), _arguments(custom.get("input")))
    function = call.get("function") or {}
    return ToolCall(str(call.get("id", "")), str(function.get("name", "")), _arguments(function.get("arguments")))


def _chat_messages(messages: Iterable[Mapping[str, Any]]) -> tuple[Message, ...]:
    made: list[Message] = []
    names: dict[str, str] = {}  # call id -> function name, to name the tool results
    for message in messages:
        role = message.get("role")
        if role == "assistant":
            calls = [c for c in map(_chat_tool_call, message.get("tool_calls") or ()) if c is not None]
            legacy = message.get("function_call")
            if isinstance(legacy, Mapping):
                calls.append(ToolCall(LEGACY_CALL_ID, str(legacy.get("name", "")), _arguments(legacy.get("arguments"))))
            names.update((c.id, c.name) for c in calls)
            text = _text_of(message.get("content")) or _text_of(message.get("refusal"))
            made.append(Message("assistant", text, tuple(calls)))
        elif role == "tool":
            call_id = str(message.get("tool_call_id", ""))
            output = _text_of(message.get("content"))
            made.append(Message("tool", tool_result=ToolResult(call_id, output, names.get(call_id))))
        elif role == "function":
            result = ToolResult(LEGACY_CALL_ID, _text_of(message.get("content")), str(message.get("name", "")))
            made.append(Message("tool", tool_result=result))
        elif role in ("system", "developer", "user"):
            made.append(Message(role, _text_of(message.get("content"))))
    return tuple(made)


def _function_tool(spec: Mapping[str, Any], position: int) -> FunctionTool:
    parameters = spec.get("parameters")
    strict = spec.get("strict")
    return FunctionTool(
        name=str(spec.get("name", "")),
        description=str(spec.get("description") or ""),
        parameters=parameters if isinstance(parameters, Mapping) else None,
        strict=strict if isinstance(strict, bool) else None,
        position=position,
    )


def _allowed_names(tools: Iterable[Any]) -> tuple[str, ...]:
    """Names in an allowed_tools list: chat spells them {type, function: {name}}, Responses {type, name}."""
    names = []
    for tool in tools:
        if isinstance(tool, Mapping):
            inner = _mapping(tool.get("function")) or tool
            if isinstance(inner.get("name"), str):
                names.append(inner["name"])
    return tuple(names)


def _tool_choice(value: Any, has_tools: bool) -> ToolChoice:
    if value is None:
        return ToolChoice("auto" if has_tools else "none")
    if value in ("none", "auto", "required"):
        return ToolChoice(value)
    if not isinstance(value, Mapping):
        return ToolChoice("auto" if has_tools else "none")
    kind = value.get("type")
    if kind == "function" or (kind is None and "name" in value):  # legacy function_call: {name}
        inner = _mapping(value.get("function")) or value
        return ToolChoice("function", str(inner.get("name", "")))
    if kind == "allowed_tools":
        spec = _mapping(value.get("allowed_tools")) or value
        required = spec.get("mode") == "required"
        return ToolChoice("required" if required else "auto", allowed=_allowed_names(spec.get("tools") or ()))
    return ToolChoice("builtin", str(kind))


def _output_format(spec: Any) -> OutputFormat:
    """Chat's `response_format` or Responses' `text.format` (the schema's fields inline there)."""
    if not isinstance(spec, Mapping):
        return TEXT_FORMAT
    kind = spec.get("type")
    if kind == "json_object":
        return OutputFormat("json_object")
    if kind != "json_schema":
        return TEXT_FORMAT
    inner = _mapping(spec.get("json_schema")) or spec
    schema = inner.get("schema")
    description = inner.get("description")
    return OutputFormat(
        "json_schema",
        name=str(inner.get("name", "")),
        schema=schema if isinstance(schema, Mapping) else None,
        strict=inner.get("strict") is True,
        description=description if isinstance(description, str) else None,
    )


def from_chat(body: Mapping[str, Any]) -> Conversation:
    """A Chat Completions request body (messages, tools or legacy functions, tool_choice, response_format)."""
    tools: list[FunctionTool] = []
    others: list[str] = []
    for position, tool in enumerate(body.get("tools") or ()):
        if tool.get("type", "function") == "function" and isinstance(tool.get("function"), Mapping):
            tools.append(_function_tool(tool["function"], position))
        else:
            others.append(str(tool.get("type")))
    legacy = not tools and bool(body.get("functions"))
    if legacy:
        tools = [_function_tool(spec, position) for position, spec in enumerate(body.get("functions") or ())]
    choice = body.get("function_call") if legacy else body.get("tool_choice")
    parallel = body.get("parallel_tool_calls")
    return Conversation(
        messages=_chat_messages(body.get("messages") or ()),
        tools=tuple(tools),
        tool_choice=_tool_choice(choice, bool(tools)),
        parallel_tool_calls=False if legacy else parallel is not False,
        output=_output_format(body.get("response_format")),
        legacy_functions=legacy,
        other_tools=tuple(others),
    )


# Responses API.


class _Items:
    """Input items to messages. The assistant's side of one turn (reasoning, a message, function calls)
    is one assistant message, as one chat completion would be, so turns count the same in both formats."""

    def __init__(self, history: Sequence[Message]) -> None:
        self.messages = list(history)
        self.names = {c.id: c.name for m in history for c in m.tool_calls}
        self._open: list[Any] | None = None  # [text, calls] of the assistant turn being read

    def close(self) -> None:
        if self._open is not None:
            self.messages.append(Message("assistant", self._open[0], tuple(self._open[1])))
            self._open = None

    def assistant(self, text: str | None = None, call: ToolCall | None = None, reasoning: bool = False) -> None:
        busy = self._open is not None and (self._open[0] or self._open[1])
        if (text is not None or reasoning) and busy:
            self.close()
        if self._open is None:
            self._open = ["", []]
        if text is not None:
            self._open[0] = text
        if call is not None:
            self._open[1].append(call)
            self.names[call.id] = call.name

    def add(self, item: Mapping[str, Any]) -> None:
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") == "assistant":
            self.assistant(text=_text_of(item.get("content")))
        elif kind == "reasoning":
            self.assistant(reasoning=True)
        elif kind in ("function_call", "custom_tool_call"):
            arguments = item.get("arguments") if kind == "function_call" else item.get("input")
            self.assistant(
                call=ToolCall(str(item.get("call_id", "")), str(item.get("name", "")), _arguments(arguments))
            )
        elif kind in ("function_call_output", "custom_tool_call_output"):
            self.close()
            call_id = str(item.get("call_id") or "")
            name = item.get("name") if isinstance(item.get("name"), str) else self.names.get(call_id)
            self.messages.append(Message("tool", tool_result=ToolResult(call_id, _text_of(item.get("output")), name)))
        elif kind == "message" and item.get("role") in ("user", "system", "developer"):
            self.close()
            self.messages.append(Message(item["role"], _text_of(item.get("content"))))
        # Other items (item references, hosted tools' calls) carry nothing this model reads.


def from_responses(body: Mapping[str, Any], history: Sequence[Message] = ()) -> Conversation:
    """A Responses request body; `history` holds the messages of `previous_response_id`'s conversation,
    which the router resolves from its store, ahead of this request's input."""
    items = _Items(history)
    given = body.get("input")
    if isinstance(given, str):
        items.close()
        items.messages.append(Message("user", given))
    else:
        for item in given or ():
            if isinstance(item, Mapping):
                items.add(item)
    items.close()
    tools: list[FunctionTool] = []
    others: list[str] = []
    for position, tool in enumerate(body.get("tools") or ()):
        if tool.get("type") == "function":
            tools.append(_function_tool(tool, position))
        else:
            others.append(str(tool.get("type")))
    instructions = body.get("instructions")
    if isinstance(instructions, list):
        instructions = "\n".join(_text_of(item.get("content")) for item in instructions if isinstance(item, Mapping))
    text = body.get("text")
    return Conversation(
        messages=tuple(items.messages),
        instructions=instructions if isinstance(instructions, str) else "",
        tools=tuple(tools),
        tool_choice=_tool_choice(body.get("tool_choice"), bool(tools)),
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        output=_output_format(text.get("format") if isinstance(text, Mapping) else None),
        other_tools=tuple(others),
    )
