"""What a fine-tuning file holds: its format, how many examples, their tokens, or the first thing wrong with
it. Pure: lines in, a `Dataset` out; the caller counts tokens with the base model's tokenizer.

Formats, named as the API names them in its errors:
- `fine-tune-chat`: `{"messages": [...]}` lines, for supervised training of a chat model (one assistant
  message at least) and for reinforcement (the messages to answer, beside the grader's reference fields);
- `prompt-completion`: `{"prompt", "completion"}` lines, the 2023 models' and babbage-002/davinci-002's;
- `preference`: `{"input": {"messages"}, "preferred_output", "non_preferred_output"}` lines, for DPO.

Tokens: a chat example counts as the chat prompt of its messages; a completion example as its prompt and
completion; a preference pair as its two sequences (input + each output). Each example is billed at most
`cap` tokens, as training truncates what is longer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

Format = Literal["fine-tune-chat", "prompt-completion", "preference"]
# The roles a training conversation may hold.
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# As the files router bounds a line: a longer one is refused, never read whole.
MAX_LINE_BYTES = 4 * 1024 * 1024
INVALID_FORMAT = "Invalid file format."

ChatCounter = Callable[[Sequence[Mapping[str, Any]]], int]
TextCounter = Callable[[str], int]


@dataclass(frozen=True)
class Counters:
    """The base model's token counts: of a chat prompt (its messages) and of a text."""

    chat: ChatCounter
    text: TextCounter
    cap: int  # tokens billed per example at most


@dataclass(frozen=True)
class Dataset:
    examples: int
    tokens: int  # billed tokens of one epoch
    format: Format | None  # of the first example (None: no example)
    problem: str | None  # the first thing wrong, worded for the job's error (None: a valid file)
    longest: int = 0  # tokens of the longest example, before the cap


def read_dataset(lines: Iterable[bytes | None], counters: Counters, answers: bool = True) -> Dataset:
    """Read every line (None stands for one over MAX_LINE_BYTES). Only the end of the file may be blank.
    `answers`: a chat example must hold an assistant message (supervised training; a reinforcement prompt
    has none)."""
    examples = tokens = longest = 0
    found: Format | None = None
    blank: int | None = None
    for number, raw in enumerate(lines, 1):
        if raw is None:
            return _invalid(examples, found, f"Line {number} is longer than {MAX_LINE_BYTES} bytes.")
        line = raw.strip()
        if not line:
            blank = blank or number
            continue
        if blank is not None:
            return _invalid(examples, found, f"Line {blank} is empty (only the end of the file may be blank).")
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            return _invalid(examples, found, f"Line {number} is not a JSON object.")
        shape = format_of(record)
        if shape is None:
            unknown = f"Line {number} is neither a chat, a prompt-completion nor a preference example."
            return _invalid(examples, found, unknown)
        if found is not None and shape != found:
            mixed = f"Line {number} is in the {shape} format, the lines before it in the {found} format."
            return _invalid(examples, found, mixed)
        found = shape
        problem = _example_problem(record, shape, answers)
        if problem is not None:
            return _invalid(examples, found, f"Line {number}, {problem}")
        count = _tokens(record, shape, counters)
        longest = max(longest, count)
        tokens += min(count, counters.cap)
        examples += 1
    return Dataset(examples, tokens, found, None, longest)


def format_of(record: Mapping[str, Any]) -> Format | None:
    if "input" in record and ("preferred_output" in record or "non_preferred_output" in record):
        return "preference"
    if "messages" in record:
        return "fine-tune-chat"
    if "prompt" in record or "completion" in record:
        return "prompt-completion"
    return None


def _invalid(examples: int, found: Format | None, problem: str) -> Dataset:
    return Dataset(examples, 0, found, f"{INVALID_FORMAT} {problem}")


def _example_problem(record: Mapping[str, Any], shape: Format, answers: bool) -> str | None:
    if shape == "prompt-completion":
        for key in ("prompt", "completion"):
            if not isinstance(record.get(key), str):
                return f'key "{key}": expected a string.'
        return None
    if shape == "preference":
        source = record.get("input")
        messages = source.get("messages") if isinstance(source, Mapping) else None
        problem = _messages_problem(messages, "input.messages", need_assistant=False)
        if problem is not None:
            return problem
        for key in ("preferred_output", "non_preferred_output"):
            problem = _messages_problem(record.get(key), key, need_assistant=True)
            if problem is not None:
                return problem
        return None
    return _messages_problem(record.get("messages"), "messages", need_assistant=answers)


def _messages_problem(messages: Any, key: str, need_assistant: bool) -> str | None:
    if not isinstance(messages, list) or not messages:
        return f'key "{key}": expected a non-empty list of messages.'
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            return f'key "{key}", message {index}: expected an object.'
        role = message.get("role")
        if role not in ROLES:
            return f'key "{key}", message {index}: Unrecognized role: {role!r}.'
        content = message.get("content")
        calls = message.get("tool_calls") or message.get("function_call")
        if content is None and not (role == "assistant" and calls):
            return f'key "{key}", message {index}: missing content.'
        if content is not None and not isinstance(content, (str, list)):
            return f'key "{key}", message {index}: content must be a string or a list of parts.'
        weight = message.get("weight")
        if weight is not None and weight not in (0, 1):
            return f'key "{key}", message {index}: weight must be 0 or 1.'
    if need_assistant and not any(m.get("role") == "assistant" for m in messages):
        return f'key "{key}": At least one message must be from the assistant.'
    return None


def _tokens(record: Mapping[str, Any], shape: Format, counters: Counters) -> int:
    if shape == "prompt-completion":
        return counters.text(record["prompt"]) + counters.text(record["completion"])
    if shape == "preference":
        given = list(record["input"]["messages"])
        return counters.chat(given + list(record["preferred_output"])) + counters.chat(
            given + list(record["non_preferred_output"])
        )
    return counters.chat(record["messages"])
