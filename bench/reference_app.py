"""Reference app: the performance ceiling mockapi is measured against.

Same stack as mockapi (FastAPI, uvicorn with uvloop + httptools, orjson, and
sse-starlette for streams), doing the least work a correct server can do: check
the bearer header, parse the JSON body, build a correctly shaped OpenAI (2023)
body and serialize it per request.

    python bench/reference_app.py --port 8001
"""

from __future__ import annotations

import argparse
import random
import secrets
import time
from pathlib import Path

import orjson
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sse_starlette import EventSourceResponse, ServerSentEvent

JSON = "application/json"

# The same catalogue mockapi serves by default, so both answer GET /v1/models with the same number of
# models and about the same bytes on the wire.
CATALOGUE = Path(__file__).resolve().parent.parent / "fixtures" / "models.yaml"
MODEL_IDS = [entry["id"] for entry in yaml.safe_load(CATALOGUE.read_text())["models"]]


def model_object(model_id: str) -> dict:
    return {
        "id": model_id,
        "object": "model",
        "created": 1677610602,
        "owned_by": "openai",
        "permission": [
            {
                "id": "modelperm-49FUp5v084tBB49tC4z8LUH5",
                "object": "model_permission",
                "created": 1669085501,
                "allow_create_engine": False,
                "allow_sampling": True,
                "allow_logprobs": True,
                "allow_search_indices": False,
                "allow_view": True,
                "allow_fine_tuning": False,
                "organization": "*",
                "group": None,
                "is_blocking": False,
            }
        ],
        "root": model_id,
        "parent": None,
    }


MODELS = [model_object(m) for m in MODEL_IDS]

# 16 tokens: the benchmark asks for max_tokens=16.
TOKENS = [
    "Hello",
    "!",
    " I'm",
    " doing",
    " well",
    ",",
    " thank",
    " you",
    " for",
    " asking",
    ".",
    " How",
    " can",
    " I",
    " help",
    "?",
]
CONTENT = "".join(TOKENS)

_rng = random.Random(1536)
EMBEDDING = [round(_rng.uniform(-0.05, 0.05), 9) for _ in range(1536)]

UNAUTHORIZED = orjson.dumps(
    {
        "error": {
            "message": "You didn't provide an API key. You need to provide your API key "
            "in an Authorization header using Bearer auth "
            "(i.e. Authorization: Bearer YOUR_KEY).",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
)
BAD_JSON = orjson.dumps(
    {
        "error": {
            "message": "We could not parse the JSON body of your request.",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
)

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


def json_response(obj, status: int = 200) -> Response:
    return Response(orjson.dumps(obj), status_code=status, media_type=JSON)


def authorized(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    return auth.startswith("Bearer ") and len(auth) > 7


async def json_body(request: Request):
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def prompt_tokens(messages) -> int:
    # Cheap stand-in for a tokenizer: words plus per-message overhead.
    return sum(len(str(m.get("content", "")).split()) + 4 for m in messages) + 3


@app.get("/v1/models")
async def list_models(request: Request) -> Response:
    if not authorized(request):
        return Response(UNAUTHORIZED, status_code=401, media_type=JSON)
    return json_response({"object": "list", "data": MODELS})


@app.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    if not authorized(request):
        return Response(UNAUTHORIZED, status_code=401, media_type=JSON)
    body = await json_body(request)
    if body is None:
        return Response(BAD_JSON, status_code=400, media_type=JSON)
    model = body.get("model", "gpt-3.5-turbo")
    completion_id = "chatcmpl-" + secrets.token_hex(14)
    created = int(time.time())
    if body.get("stream"):
        # OpenAI's framing: "\n" separators and no keep-alive pings.
        return EventSourceResponse(chat_chunks(completion_id, created, model), sep="\n", ping=0)
    used = prompt_tokens(body.get("messages", []))
    return json_response(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": CONTENT},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": used, "completion_tokens": len(TOKENS), "total_tokens": used + len(TOKENS)},
        }
    )


async def chat_chunks(completion_id: str, created: int, model: str):
    def event(delta: dict, finish_reason) -> ServerSentEvent:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"delta": delta, "index": 0, "finish_reason": finish_reason}],
        }
        return ServerSentEvent(data=orjson.dumps(chunk).decode(), sep="\n")

    yield event({"role": "assistant"}, None)
    for token in TOKENS:
        yield event({"content": token}, None)
    yield event({}, "stop")
    yield ServerSentEvent(data="[DONE]", sep="\n")


@app.post("/v1/embeddings")
async def embeddings(request: Request) -> Response:
    if not authorized(request):
        return Response(UNAUTHORIZED, status_code=401, media_type=JSON)
    body = await json_body(request)
    if body is None:
        return Response(BAD_JSON, status_code=400, media_type=JSON)
    used = len(str(body.get("input", "")).split())
    return json_response(
        {
            "object": "list",
            "data": [{"object": "embedding", "embedding": EMBEDDING, "index": 0}],
            "model": body.get("model", "text-embedding-ada-002"),
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
