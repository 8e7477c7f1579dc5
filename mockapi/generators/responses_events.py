"""The typed event stream of a response, made from the finished response object, so that the streamed
deltas add up to exactly the output a non-streamed request gets (and a stored response replays the same).

The sequence, `sequence_number` rising from 0: response.created (response.queued first for a background
response), response.in_progress, then per output item: response.output_item.added, its own events, and
response.output_item.done; then response.completed (or response.incomplete, response.failed). An item's
own events:
- message: content_part.added, output_text.delta per token (a character split across tokens waits for
  its last token), output_text.annotation.added per annotation, output_text.done, content_part.done;
- function_call: function_call_arguments.delta per token, function_call_arguments.done;
- reasoning with a summary: reasoning_summary_part.added, reasoning_summary_text.delta..., .done, part.done;
- hosted calls: their in_progress / searching (interpreting, with the code's deltas) / completed events.
"""

from __future__ import annotations

import codecs
import copy
from collections.abc import Iterator, Mapping
from typing import Any

from mockapi.tokens import Tokenizer

Event = dict[str, Any]
TERMINAL = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}
_HOSTED_STEPS = {
    "web_search_call": ("response.web_search_call.in_progress", "response.web_search_call.searching"),
    "file_search_call": ("response.file_search_call.in_progress", "response.file_search_call.searching"),
}


def pieces(text: str, tokenizer: Tokenizer) -> Iterator[str]:
    """The text one token at a time, as stream deltas carry it (whole characters only)."""
    for piece, _ in counted_pieces(text, tokenizer):
        yield piece


def counted_pieces(text: str, tokenizer: Tokenizer) -> Iterator[tuple[str, int]]:
    """Each piece with the number of tokens it took."""
    ids = tokenizer.encode(text)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    taken = 0
    for position, token in enumerate(ids):
        taken += 1
        piece = decoder.decode(tokenizer.token_bytes(token), final=position == len(ids) - 1)
        if piece:
            yield piece, taken
            taken = 0


def in_progress(response: Mapping[str, Any], status: str = "in_progress") -> dict[str, Any]:
    """The response as the first events show it: no output or usage yet."""
    shown = copy.deepcopy(dict(response))
    shown.update(status=status, output=[], completed_at=None, incomplete_details=None, error=None)
    shown.pop("usage", None)
    return shown


def response_events(final: Mapping[str, Any], tokenizer: Tokenizer) -> Iterator[Event]:
    """Every event of the response, numbered from 0."""
    for number, event in enumerate(_unnumbered(final, tokenizer)):
        event["sequence_number"] = number
        yield event


def _unnumbered(final: Mapping[str, Any], tokenizer: Tokenizer) -> Iterator[Event]:
    if final.get("background"):
        yield {"type": "response.created", "response": in_progress(final, "queued")}
        yield {"type": "response.queued", "response": in_progress(final, "queued")}
    else:
        yield {"type": "response.created", "response": in_progress(final)}
    yield {"type": "response.in_progress", "response": in_progress(final)}
    for index, item in enumerate(final.get("output") or ()):
        yield from _item_events(index, item, tokenizer)
    status = str(final.get("status"))
    yield {"type": TERMINAL.get(status, "response.completed"), "response": copy.deepcopy(dict(final))}


def _item_events(index: int, item: Mapping[str, Any], tokenizer: Tokenizer) -> Iterator[Event]:
    kind = item.get("type")
    item_id = str(item.get("id"))
    at = {"output_index": index, "item_id": item_id}
    yield {"type": "response.output_item.added", "output_index": index, "item": _started(item)}
    if kind == "message":
        for content_index, part in enumerate(item.get("content") or ()):
            yield from _part_events(at, content_index, part, tokenizer)
    elif kind == "function_call":
        arguments = str(item.get("arguments", ""))
        for delta in pieces(arguments, tokenizer):
            yield {"type": "response.function_call_arguments.delta", **at, "delta": delta}
        yield {"type": "response.function_call_arguments.done", **at, "name": item.get("name"), "arguments": arguments}
    elif kind == "reasoning":
        for summary_index, summary in enumerate(item.get("summary") or ()):
            text = str(summary.get("text", ""))
            where = {**at, "summary_index": summary_index}
            yield {
                "type": "response.reasoning_summary_part.added",
                **where,
                "part": {"type": "summary_text", "text": ""},
            }
            for delta in pieces(text, tokenizer):
                yield {"type": "response.reasoning_summary_text.delta", **where, "delta": delta}
            yield {"type": "response.reasoning_summary_text.done", **where, "text": text}
            yield {
                "type": "response.reasoning_summary_part.done",
                **where,
                "part": {"type": "summary_text", "text": text},
            }
    elif kind in _HOSTED_STEPS:
        for step in _HOSTED_STEPS[str(kind)]:
            yield {"type": step, **at}
        yield {"type": f"response.{kind}.completed", **at}
    elif kind == "code_interpreter_call":
        yield {"type": "response.code_interpreter_call.in_progress", **at}
        code = str(item.get("code") or "")
        for delta in pieces(code, tokenizer):
            yield {"type": "response.code_interpreter_call_code.delta", **at, "delta": delta}
        yield {"type": "response.code_interpreter_call_code.done", **at, "code": code}
        yield {"type": "response.code_interpreter_call.interpreting", **at}
        yield {"type": "response.code_interpreter_call.completed", **at}
    yield {"type": "response.output_item.done", "output_index": index, "item": copy.deepcopy(dict(item))}


def _part_events(at: Event, content_index: int, part: Mapping[str, Any], tokenizer: Tokenizer) -> Iterator[Event]:
    where = {**at, "content_index": content_index}
    if part.get("type") != "output_text":
        yield {"type": "response.content_part.added", **where, "part": copy.deepcopy(dict(part))}
        yield {"type": "response.content_part.done", **where, "part": copy.deepcopy(dict(part))}
        return
    text = str(part.get("text", ""))
    logprobs = list(part.get("logprobs") or ())
    empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    yield {"type": "response.content_part.added", **where, "part": empty}
    used = 0
    for delta, count in counted_pieces(text, tokenizer):
        shown = [_stream_logprob(entry) for entry in logprobs[used : used + count]]
        used += count
        yield {"type": "response.output_text.delta", **where, "delta": delta, "logprobs": shown}
    for annotation_index, annotation in enumerate(part.get("annotations") or ()):
        yield {
            "type": "response.output_text.annotation.added",
            **where,
            "annotation_index": annotation_index,
            "annotation": copy.deepcopy(dict(annotation)),
        }
    done_logprobs = [_stream_logprob(entry) for entry in logprobs]
    yield {"type": "response.output_text.done", **where, "text": text, "logprobs": done_logprobs}
    yield {"type": "response.content_part.done", **where, "part": copy.deepcopy(dict(part))}


def _stream_logprob(entry: Mapping[str, Any]) -> Event:
    top = [{"token": alt["token"], "logprob": alt["logprob"]} for alt in entry.get("top_logprobs") or ()]
    return {"token": entry["token"], "logprob": entry["logprob"], "top_logprobs": top}


def _started(item: Mapping[str, Any]) -> Event:
    """An item as output_item.added shows it: in progress, its content still to come."""
    started = copy.deepcopy(dict(item))
    kind = item.get("type")
    if "status" in started:
        started["status"] = "in_progress"
    if kind == "message":
        started["content"] = []
    elif kind == "function_call":
        started["arguments"] = ""
    elif kind == "reasoning":
        started["summary"] = []
    elif kind == "code_interpreter_call":
        started.update(code="", outputs=None)
    elif kind == "file_search_call":
        started["results"] = None
    return started
