"""Test-only endpoints shaped like chat completions, embeddings and transcriptions, mounted under
`/v1/mockapi-test` so the scenarios engine (rules, faults, pacing, journal, rate limits) can be driven through
the official SDK before the real endpoint routers exist. They use `pipeline.run` exactly as real routers do.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict

from mockapi import tokens
from mockapi.matching import Exchange
from mockapi.pipeline import Answer, JSONReply, StreamReply, run
from mockapi.routing import DirectRoute, parse, read_json
from mockapi.wire import Rendered

PREFIX = "/v1/mockapi-test"
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
]

router = APIRouter(prefix=PREFIX, route_class=DirectRoute)


class FakeChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]]
    stream: bool = False
    max_tokens: int | None = None


def _chat_text(messages: list[dict[str, Any]], role: str, last: bool) -> str | None:
    found = [str(m.get("content")) for m in messages if m.get("role") == role]
    return (found[-1] if last else found[0]) if found else None


def chat_reply(body: FakeChatRequest, answer: Answer) -> JSONReply | StreamReply:
    rng = answer.rng(0)
    content = answer.content if answer.content is not None else " ".join(rng.choice(WORDS) for _ in range(8))
    pieces = [word if i == 0 else " " + word for i, word in enumerate(content.split(" "))]
    ident = answer.seeding.answer_id("chatcmpl-", rng)
    created = answer.now()
    prompt = sum(tokens.count(str(m.get("content", ""))) for m in body.messages)
    completion = tokens.count(content)
    head = {"id": ident, "created": created, "model": body.model}
    if not body.stream:
        return JSONReply(
            {
                **head,
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        )

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **head,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant"}), *(chunk({"content": p}) for p in pieces), chunk({}, "stop")]
    return StreamReply(chunks)


@router.post("/chat/completions")
async def chat_completions(request: Request) -> Rendered:
    body = parse(FakeChatRequest, await read_json(request))
    exchange = Exchange(
        endpoint="chat.completions",
        method="POST",
        path=request.url.path,
        body=body.model_dump(exclude_none=True),
        headers=request.headers,
        model=body.model,
        text=_chat_text(body.messages, "user", last=True),
        system=_chat_text(body.messages, "system", last=False),
    )
    return await run(request, exchange, lambda answer: chat_reply(body, answer))


class FakeEmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    input: str | list[str]


@router.post("/embeddings")
async def embeddings(request: Request) -> Rendered:
    body = parse(FakeEmbeddingRequest, await read_json(request))
    text = body.input if isinstance(body.input, str) else body.input[0]
    exchange = Exchange("embeddings", "POST", request.url.path, body.model_dump(), request.headers, body.model, text)

    def produce(answer: Answer) -> JSONReply:
        rng = answer.rng(0)
        vector = (answer.respond.embedding if answer.respond else None) or [rng.uniform(-1, 1) for _ in range(8)]
        data = [{"object": "embedding", "index": 0, "embedding": vector}]
        usage = {"prompt_tokens": tokens.count(text), "total_tokens": tokens.count(text)}
        return JSONReply({"object": "list", "data": data, "model": body.model, "usage": usage})

    return await run(request, exchange, produce)


@router.post("/audio/transcriptions")
async def transcriptions(request: Request) -> Rendered:
    form = await request.form()
    upload = form["file"]
    assert not isinstance(upload, str)
    data = await upload.read()
    described = {"filename": upload.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    model = str(form.get("model", ""))
    exchange = Exchange(
        "audio.transcriptions",
        "POST",
        request.url.path,
        {"model": model, "file": described},
        request.headers,
        model,
        upload.filename,
    )

    def produce(answer: Answer) -> JSONReply:
        text = answer.respond.transcript if answer.respond and answer.respond.transcript else "Generated words."
        return JSONReply({"text": text})

    return await run(request, exchange, produce)


def mount(app: FastAPI) -> FastAPI:
    app.router.routes.extend(router.routes)
    return app
