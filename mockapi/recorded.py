"""What one forwarded exchange records as: a rule's match (what distinguishes the request) and its answer.

The answer is the *content* the upstream gave, in one of the forms the endpoint takes (endpoints.py): tool
calls, image or audio bytes (`files`, saved beside the rule), an embedding, a transcript or the text, so
that usage, max_tokens cuts, streaming and ids stay computed by mockapi. A stream is read back into the
shape of the answer it streams (its chunks' content assembled). An error is an `error` rule; an answer of a
shape no form reads is kept as its `body`; an endpoint with no forms (a stored object's route) records a
rule with no answer, which mockapi's own store answers. Pure: no I/O.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, NamedTuple

import orjson

from mockapi.matching import Exchange

# Request keys that change how an answer is delivered, not what it says: left out of the match.
DELIVERY_KEYS = frozenset({"model", "stream", "stream_options", "user"})
# The forms tried in order: the most specific reading of an answer first.
FORM_ORDER = ("tool_calls", "files", "embedding", "transcript", "content")
# The upstream's headers an error rule keeps: what tells a client when to retry.
ERROR_HEADERS = ("retry-after", "retry-after-ms")
MAX_ERROR_MESSAGE = 2_000
_MEDIA_EXTENSIONS = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif",
    "audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/opus": ".opus",
    "audio/ogg": ".ogg", "audio/aac": ".aac", "audio/flac": ".flac", "audio/pcm": ".pcm",
}  # fmt: skip
_MAGIC = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"), (b"fLaC", ".flac"), (b"OggS", ".ogg"))
_CUE_LINE = re.compile(r"^(\d+|WEBVTT.*|[\d:.,]+ --> [\d:.,]+.*)$")


class Blob(NamedTuple):
    """One item of a `files` answer: its bytes, or the URL they are at; the extension its file gets."""

    data: bytes | None
    url: str | None
    extension: str


@dataclass
class Recorded:
    """A rule's answer; `blobs` are the items of its `files` form, saved beside the rule when written."""

    respond: dict[str, Any]
    blobs: list[Blob] = field(default_factory=list)


def worth_recording(exchange: Exchange, forms: Collection[str], status: int) -> bool:
    """What a replay needs: every answer of an endpoint that makes content, errors, and the requests that
    create stored objects (their reads are answered from mockapi's own store). Not a 401: it answers the key
    the recording ran with, not the request (and its message shows part of that key)."""
    if status == 401:
        return False
    return bool(forms) or exchange.method == "POST" or status >= 400


def match_of(exchange: Exchange, forms: Collection[str]) -> dict[str, Any]:
    """Endpoint, model, main text, system text and the body keys that distinguish the request; the method
    and path too for a stored object's route (which object is in the path)."""
    match: dict[str, Any] = {"endpoint": exchange.endpoint}
    if not forms:
        match["method"], match["path"] = exchange.method, exchange.path
    if exchange.model is not None:
        match["model"] = exchange.model
    if exchange.text is not None:
        match["text"] = exchange.text
    if exchange.system is not None:
        match["system"] = {"text": exchange.system}
    body = distinguishing_body(exchange)
    if body:
        match["body"] = body
    return match


def distinguishing_body(exchange: Exchange) -> dict[str, Any]:
    """The body without delivery keys and without what the text and system already pin (a prompt equal
    to the text, messages that are just the system and user text)."""
    pinned = {text for text in (exchange.text, exchange.system) if text is not None}
    body = {}
    for key, value in exchange.body.items():
        if key in DELIVERY_KEYS or (isinstance(value, str) and value in pinned):
            continue
        if key in ("messages", "input") and _pinned_messages(value, exchange):
            continue
        body[key] = value
    return body


def _pinned_messages(messages: Any, exchange: Exchange) -> bool:
    """Whether the messages are one user message holding the text, after at most one system message
    holding the system text."""
    if not isinstance(messages, list) or not messages:
        return False
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    others = [m for m in messages if not (isinstance(m, dict) and m.get("role") == "user")]
    if len(users) != 1 or users[0].get("content") != exchange.text or set(users[0]) != {"role", "content"}:
        return False
    if not others:
        return True
    system = others[0]
    return (
        len(others) == 1
        and isinstance(system, dict)
        and system.get("role") in ("system", "developer")
        and set(system) == {"role", "content"}
        and system.get("content") == exchange.system
    )


def answer_of(
    exchange: Exchange, forms: Collection[str], status: int, headers: Mapping[str, str], data: bytes
) -> Recorded | None:
    """The rule's answer for what the upstream answered, or None when it can be read as no answer."""
    if status >= 400:
        return Recorded({"error": error_of(status, headers, data)})
    media = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media == "text/event-stream":
        body = assembled(events_of(data))
        if body is None:
            return None
    elif media == "application/json" or media.endswith("+json"):
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None
    elif media.startswith("text/"):
        return _text_answer(data.decode("utf-8", "replace"), forms)
    else:  # bytes: an image, speech
        return Recorded({"files": []}, [Blob(data, None, extension_for(media, data))]) if "files" in forms else None
    if not forms:
        return Recorded({})
    for form in FORM_ORDER:
        if form in forms:
            found = _READERS[form](body, exchange)
            if found is not None:
                return found
    return None if media == "text/event-stream" else Recorded({"body": body})


def _text_answer(text: str, forms: Collection[str]) -> Recorded | None:
    """A text/plain answer: a transcript in text, srt or vtt format."""
    if "transcript" in forms:
        lines = [line.strip() for line in text.splitlines()]
        if any(_CUE_LINE.match(line) for line in lines if line):
            text = " ".join(line for line in lines if line and not _CUE_LINE.match(line))
        return Recorded({"transcript": text.rstrip("\n")})
    return Recorded({"content": text}) if "content" in forms else None


def error_of(status: int, headers: Mapping[str, str], data: bytes) -> dict[str, Any]:
    """An `error` rule's spec: the upstream's error as it gave it, with its retry headers."""
    try:
        error = orjson.loads(data).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        error = None
    if not isinstance(error, dict):
        text = data.decode("utf-8", "replace").strip()[:MAX_ERROR_MESSAGE]
        error = {"message": text or HTTPStatus(status).phrase, "type": "server_error" if status >= 500 else None}
    spec: dict[str, Any] = {
        "status": status,
        "type": error.get("type") if isinstance(error.get("type"), str) else "invalid_request_error",
        "message": str(error.get("message") or ""),
    }
    for key in ("param", "code"):
        if error.get(key) is not None:
            spec[key] = str(error[key])
    kept = {name: headers[name] for name in ERROR_HEADERS if name in headers}
    if kept:
        spec["headers"] = kept
    return spec


def events_of(data: bytes) -> list[Any]:
    """The JSON payloads of an SSE stream's events, in order (`[DONE]` and what does not parse left out)."""
    found = []
    for block in data.replace(b"\r\n", b"\n").split(b"\n\n"):
        payload = b"\n".join(line[5:].lstrip(b" ") for line in block.split(b"\n") if line.startswith(b"data:"))
        if payload and payload != b"[DONE]":
            try:
                found.append(orjson.loads(payload))
            except orjson.JSONDecodeError:
                continue
    return found


def assembled(events: list[Any]) -> dict[str, Any] | None:
    """The answer a stream streams, in the shape of the non-streamed answer: a Responses stream's completed
    response, else the first choice's text (and tool calls) joined from the chunks."""
    for event in reversed(events):
        if isinstance(event, dict) and event.get("type") == "response.completed":
            response = event.get("response")
            if isinstance(response, dict):
                return response
    pieces: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    chat = completion = False
    for event in events:
        for choice in (event.get("choices") or ()) if isinstance(event, dict) else ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict):
                chat = True
                if isinstance(delta.get("content"), str):
                    pieces.append(delta["content"])
                for call in delta.get("tool_calls") or ():
                    _add_call_delta(calls.setdefault(int(call.get("index", 0)), {}), call)
                if isinstance(delta.get("function_call"), dict):
                    _add_call_delta(calls.setdefault(0, {}), {"function": delta["function_call"]})
            elif isinstance(choice.get("text"), str):
                completion = True
                pieces.append(choice["text"])
    text = "".join(pieces)
    if chat:
        message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
        if calls:
            message["tool_calls"] = [calls[index] for index in sorted(calls)]
        return {"choices": [{"index": 0, "message": message}]}
    return {"choices": [{"index": 0, "text": text}]} if completion else None


def _add_call_delta(call: dict[str, Any], delta: Mapping[str, Any]) -> None:
    function = call.setdefault("function", {"name": "", "arguments": ""})
    given = delta.get("function") or {}
    function["name"] += given.get("name") or ""
    function["arguments"] += given.get("arguments") or ""
    call.setdefault("type", "function")


# Readers: the answer in one form, or None when the body holds nothing of that form.


def _first_choice(body: Any) -> dict[str, Any] | None:
    choices = body.get("choices") if isinstance(body, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    return first if isinstance(first, dict) else None


def text_of(body: Any) -> str | None:
    """The text of a chat or legacy completion, a Responses answer or a transcription."""
    choice = _first_choice(body)
    if choice is not None:
        message = choice.get("message")
        if isinstance(message, dict):
            content = message.get("content")
            return content if isinstance(content, str) else None
        return choice.get("text") if isinstance(choice.get("text"), str) else None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("output_text"), str):
        return str(body["output_text"])
    output = body.get("output")
    if isinstance(output, list):
        parts = [
            part.get("text", "")
            for item in output
            if isinstance(item, dict) and item.get("type") == "message"
            for part in item.get("content") or ()
            if isinstance(part, dict) and part.get("type") == "output_text"
        ]
        return "".join(parts) if parts else None
    return body["text"] if isinstance(body.get("text"), str) else None


def _content(body: Any, exchange: Exchange) -> Recorded | None:
    text = text_of(body)
    if text is None:
        return None
    if exchange.body.get("echo") is True and exchange.text and text.startswith(exchange.text):
        text = text[len(exchange.text) :]  # mockapi echoes the prompt itself
    return Recorded({"content": text})


def _transcript(body: Any, exchange: Exchange) -> Recorded | None:
    text = body.get("text") if isinstance(body, dict) else None
    return Recorded({"transcript": text}) if isinstance(text, str) else None


def tool_calls_of(body: Any) -> list[dict[str, Any]]:
    """The function calls of a chat answer (tool calls, or a legacy function call) or a Responses answer."""
    choice = _first_choice(body)
    if choice is not None:
        message = choice.get("message") or {}
        calls = list(message.get("tool_calls") or ())
        if isinstance(message.get("function_call"), dict):
            calls.append({"type": "function", "function": message["function_call"]})
        functions = [call.get("function") for call in calls if isinstance(call, dict)]
    elif isinstance(body, dict) and isinstance(body.get("output"), list):
        functions = [item for item in body["output"] if isinstance(item, dict) and item.get("type") == "function_call"]
    else:
        return []
    return [
        # The arguments' text as the model wrote it (the rule sends it as given: the same bytes on replay).
        {"name": function["name"], "arguments": function.get("arguments") or "{}"}
        for function in functions
        if isinstance(function, dict) and isinstance(function.get("name"), str)
    ]


def _tool_calls(body: Any, exchange: Exchange) -> Recorded | None:
    calls = tool_calls_of(body)
    return Recorded({"tool_calls": calls}) if calls else None


def _embedding(body: Any, exchange: Exchange) -> Recorded | None:
    """One input's vector (the form answers every input with one vector: more inputs keep the body)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        return None
    vector = data[0].get("embedding")
    if isinstance(vector, str):
        raw = base64.b64decode(vector)
        import numpy as np  # loaded only when an embedding is recorded

        vector = np.frombuffer(raw, dtype="<f4").astype(float).tolist()
    if not isinstance(vector, list) or not vector or not all(isinstance(x, int | float) for x in vector):
        return None
    return Recorded({"embedding": vector})


def _files(body: Any, exchange: Exchange) -> Recorded | None:
    """The images of an images answer, as bytes (b64_json) or the URLs they are at."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not data:
        return None
    blobs = []
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
            raw = base64.b64decode(item["b64_json"])
            blobs.append(Blob(raw, None, extension_for("", raw)))
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            blobs.append(Blob(None, item["url"], ".png"))
        else:
            return None
    return Recorded({"files": []}, blobs)


_READERS = {
    "tool_calls": _tool_calls,
    "files": _files,
    "embedding": _embedding,
    "transcript": _transcript,
    "content": _content,
}


def extension_for(media: str, data: bytes) -> str:
    """A file extension for answer bytes, by their first bytes or their type; never a rule file's."""
    for magic, extension in _MAGIC:
        if data.startswith(magic):
            return extension
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE"):
        return ".webp" if data[8:12] == b"WEBP" else ".wav"
    return _MEDIA_EXTENSIONS.get(media, ".bin")
