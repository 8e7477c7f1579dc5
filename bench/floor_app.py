"""Floor app: the stack's own limit, which mockapi's figures are also given against.

A bare ASGI callable on the same uvicorn as `mockapi serve` (httptools, the same event loop) answering the
benchmark's four requests with bodies serialised once at start-up (the reference's bodies, see
reference_app.py): it checks the bearer header, reads the body and looks for `"stream"`, and does nothing
else. No server doing real work can be faster; mockapi's ratio to it says how much of the stack's capacity
its validation, generation and bookkeeping leave.

    python bench/floor_app.py --port 8002
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson
from reference_app import BAD_JSON, CONTENT, EMBEDDING, MODELS, TOKENS, UNAUTHORIZED  # beside this file

Scope = dict[str, Any]
HEAD = [(b"content-type", b"application/json")]
SSE_HEAD = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
CREATED = 1_700_000_000
USAGE = {"prompt_tokens": 9, "completion_tokens": len(TOKENS), "total_tokens": 9 + len(TOKENS)}

MODELS_BODY = orjson.dumps({"object": "list", "data": MODELS})
CHAT_BODY = orjson.dumps(
    {
        "id": "chatcmpl-floor",
        "object": "chat.completion",
        "created": CREATED,
        "model": "gpt-3.5-turbo",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": CONTENT}, "finish_reason": "stop"}],
        "usage": USAGE,
    }
)
EMBEDDINGS_BODY = orjson.dumps(
    {
        "object": "list",
        "data": [{"object": "embedding", "embedding": EMBEDDING, "index": 0}],
        "model": "text-embedding-ada-002",
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
)


def _event(delta: dict[str, Any], finish_reason: str | None) -> bytes:
    chunk = {
        "id": "chatcmpl-floor",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-3.5-turbo",
        "choices": [{"delta": delta, "index": 0, "finish_reason": finish_reason}],
    }
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


STREAM_EVENTS = [
    _event({"role": "assistant"}, None),
    *(_event({"content": token}, None) for token in TOKENS),
    _event({}, "stop"),
    b"data: [DONE]\n\n",
]
NOT_FOUND = orjson.dumps({"error": {"message": "Not found", "type": "invalid_request_error", "param": None}})


async def _body(receive: Any) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _send(send: Any, status: int, body: bytes) -> None:
    headers = [*HEAD, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    authorization = dict(scope["headers"]).get(b"authorization", b"")
    if not authorization.startswith(b"Bearer ") or len(authorization) <= 7:
        await _send(send, 401, UNAUTHORIZED)
        return
    path = scope["path"]
    if path == "/v1/models":
        await _send(send, 200, MODELS_BODY)
        return
    if path not in ("/v1/chat/completions", "/v1/embeddings"):
        await _send(send, 404, NOT_FOUND)
        return
    try:
        body = orjson.loads(await _body(receive))
    except orjson.JSONDecodeError:
        await _send(send, 400, BAD_JSON)
        return
    if path == "/v1/embeddings":
        await _send(send, 200, EMBEDDINGS_BODY)
    elif isinstance(body, dict) and body.get("stream"):
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEAD})
        for event in STREAM_EVENTS:
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await _send(send, 200, CHAT_BODY)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    # mockapi serve's loop and protocol (mockapi/serving.py), so the difference is the app alone.
    uvicorn.run(app, host=args.host, port=args.port, loop="asyncio", http="httptools", access_log=False,
                log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
