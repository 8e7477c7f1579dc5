"""The /v1 routes the fuzz drives: how to draw their requests, and what a 2xx answer of each must look like.

The files routes are in routes_files.py, the control API's and /health in routes_control.py; the fuzz
(test_fuzz_contract.py) drives the three lists. To fuzz a new route, add a `FuzzRoute` to one of them.
"""

from __future__ import annotations

import base64
import io
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import yaml
from hypothesis import strategies as st
from PIL import Image

from mockapi.catalogue import CatalogueFile, ModelEntry
from mockapi.schemas.audio import RESPONSE_FORMATS as AUDIO_FORMATS
from mockapi.schemas.chat import REFERENCE_FIELDS, CreateChatCompletionRequest
from mockapi.schemas.completions import CreateCompletionRequest
from mockapi.schemas.edits import CreateEditRequest
from mockapi.schemas.embeddings import CreateEmbeddingRequest
from mockapi.schemas.fine_tunes import CreateFineTuneRequest
from mockapi.schemas.fine_tuning import CreateFineTuningJobRequest
from mockapi.settings import builtin_fixtures_dir
from tests.contract import current_spec, spec
from tests.hardening.strategies import TEXT, Strategy, from_model, from_schema, requests, weighted
from tests.support import API_KEY, silent_wav

# What one drawn request is: keyword arguments of `httpx.Client.request` (method and url included).
Sent = dict[str, Any]


def _catalogue() -> list[ModelEntry]:
    return CatalogueFile.model_validate(yaml.safe_load((builtin_fixtures_dir() / "models.yaml").read_text())).models


CATALOGUE = _catalogue()


def model_ids(*kinds: str) -> Strategy:
    """A model of the right kind mostly; sometimes one of another kind, or no model at all."""
    right = [entry.id for entry in CATALOGUE if entry.kind in kinds]
    other = [entry.id for entry in CATALOGUE if entry.kind not in kinds]
    return weighted((4, st.sampled_from(right)), (1, st.sampled_from(other)), (1, TEXT))


# Headers: almost always a key; sometimes none, a wrong scheme, or an organization.
AUTH_HEADERS: Strategy = weighted(
    (12, st.just({"Authorization": f"Bearer {API_KEY}"})),
    (1, st.sampled_from([{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}])),
    (
        1,
        st.builds(
            lambda org: {"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": org},
            st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
        ),
    ),
)


def _json_request(path: str, body: Strategy) -> Strategy:
    return st.builds(
        lambda payload, headers: {
            "method": "POST",
            "url": path,
            "content": json.dumps(payload).encode(),
            "headers": {**headers, "Content-Type": "application/json"},
        },
        requests(body),
        AUTH_HEADERS,
    )


# Small numbers where the model allows large ones: the fuzz is about shapes, not volume.
SMALL_N = st.integers(1, 3) | st.none()
TOKENS = st.integers(0, 40) | st.none()

# Chat bodies: the 2023 reference's fields from the request model, messages of the common roles, and now and
# then one of today's parameters (every one at once would make almost every request one some model refuses).
_CHAT_SCHEMA = CreateChatCompletionRequest.model_json_schema()
_MESSAGES = st.lists(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant", "developer"]), "content": TEXT}),
    min_size=1,
    max_size=3,
)
_TODAY = st.sampled_from(
    [
        {},
        {"seed": 7},
        {"max_completion_tokens": 12},
        {"stream_options": {"include_usage": True}, "stream": True},
        {"logprobs": True, "top_logprobs": 2},
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]},
        {"response_format": {"type": "json_object"}, "messages": [{"role": "user", "content": "json"}]},
    ]
)
CHAT = st.builds(
    lambda base, today: {**base, **today},
    from_schema(
        {**_CHAT_SCHEMA, "properties": {k: v for k, v in _CHAT_SCHEMA["properties"].items() if k in REFERENCE_FIELDS}},
        _CHAT_SCHEMA.get("$defs", {}),
        {"model": model_ids("chat"), "n": SMALL_N, "max_tokens": TOKENS, "messages": _MESSAGES},
    ),
    _TODAY,
)
COMPLETION = from_model(
    CreateCompletionRequest,
    {
        "model": model_ids("completion"),
        "n": SMALL_N,
        "best_of": st.integers(0, 4) | st.none(),
        "max_tokens": TOKENS,
        "prompt": st.one_of(
            TEXT,
            st.lists(TEXT, min_size=1, max_size=3),
            st.lists(st.integers(0, 100_300), min_size=1, max_size=5),
            st.lists(st.lists(st.integers(0, 100_300), min_size=1, max_size=3), min_size=1, max_size=2),
        ),
        "logit_bias": st.dictionaries(
            st.integers(0, 100_300).map(str) | TEXT, st.floats(-120, 120, allow_nan=False), max_size=3
        )
        | st.none(),
    },
)
EDIT = from_model(CreateEditRequest, {"model": model_ids("edit"), "n": SMALL_N})
EMBEDDING = from_model(
    CreateEmbeddingRequest,
    {
        "model": model_ids("embedding"),
        "dimensions": st.integers(1, 64) | st.integers(3000, 4000) | st.none(),
        "input": st.one_of(
            TEXT,
            st.lists(TEXT, min_size=1, max_size=3),
            st.lists(st.integers(-2, 100_300), min_size=1, max_size=5),
            st.lists(st.lists(st.integers(0, 100_300), min_size=1, max_size=3), min_size=1, max_size=2),
        ),
    },
)
IMAGE_OPTIONS = {
    "model": model_ids("image") | st.none(),
    "n": st.integers(1, 2) | st.none(),
    # Small images only: painting 1024x1024 PNGs is what a volume test would do.
    "size": st.just("256x256") | st.none() | TEXT,
    "response_format": st.sampled_from(["url", "b64_json"]) | st.none() | TEXT,
    "user": TEXT,
}
IMAGE_GENERATION = st.fixed_dictionaries({"prompt": st.text(max_size=40) | st.just("x" * 1001)}, optional=IMAGE_OPTIONS)


# Files for the multipart routes.


def _png(mode: str, width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    return out.getvalue()


# A PNG whose header claims a huge image: refused before decoding.
_HUGE_PNG = _png("RGBA", 8, 8)[:16] + struct.pack(">II", 100_000, 100_000) + _png("RGBA", 8, 8)[24:]

PNGS: Strategy = st.sampled_from(
    [
        _png("RGBA", 16, 16),
        _png("RGBA", 16, 16),
        _png("LA", 16, 16),
        _png("RGB", 16, 16),
        _png("RGBA", 16, 8),
        _png("RGBA", 8, 8),
        _HUGE_PNG,
        _png("RGBA", 16, 16)[:40],
        b"",
        b"GIF89a",
    ]
)
AUDIO: Strategy = st.sampled_from(
    [silent_wav(0.5), silent_wav(0.05), silent_wav(1.0)[:60], bytes(4000), b"", b"RIFF\0\0\0\0WAVE"]
)
FILENAMES: Strategy = st.sampled_from(
    ["a.png", "a.mp3", "a.wav", "clip.ogg", "a", "", "../../etc/passwd.wav", "C:\\clips\\a.mp3", "a\x00b.mp3", "é.webm"]
)


@dataclass(frozen=True)
class Form:
    """A multipart route's fields and files: the values it expects, and those it must refuse."""

    fields: dict[str, Strategy]
    required: frozenset[str]
    files: dict[str, tuple[Strategy, Strategy]]  # name: (good file content, any file content)


def _parts(draw: st.DrawFn, form: Form) -> Sent:
    """Half the time a request meant to succeed; otherwise fields left out, replaced by any text, extra
    fields, and files that are no file, have odd names or odd bytes."""
    if draw(st.booleans()):
        data = {
            name: draw(value) for name, value in form.fields.items() if name in form.required or draw(st.booleans())
        }
        uploads = {name: (draw(GOOD_FILENAMES), draw(good)) for name, (good, _) in form.files.items()}
        return {"data": {k: str(v) for k, v in data.items()}, "files": uploads}
    data = {
        name: draw(st.one_of(value.map(str), TEXT)) for name, value in form.fields.items() if draw(st.integers(0, 3))
    }
    data.update(draw(st.dictionaries(TEXT.filter(lambda k: k not in form.fields), TEXT, max_size=1)))
    uploads = {}
    for name, (_, content) in form.files.items():
        how = draw(st.sampled_from(["file", "file", "text", "absent"]))
        if how == "file":
            uploads[name] = (draw(FILENAMES), draw(content))
        elif how == "text":
            data[name] = draw(TEXT)
    return {"data": data, "files": uploads or None}


GOOD_FILENAMES = st.sampled_from(["a.wav", "a.png", "../../etc/passwd.wav", "C:\\clips\\a.mp3", "é.webm"])
GOOD_PNG = st.just(_png("RGBA", 16, 16))
GOOD_AUDIO = st.sampled_from([silent_wav(0.5), bytes(4000)])

AUDIO_FIELDS = {
    "model": st.sampled_from([entry.id for entry in CATALOGUE if entry.kind == "audio"]),
    "prompt": TEXT,
    "response_format": st.sampled_from(AUDIO_FORMATS),
    "temperature": st.floats(0, 1),
}
TRANSLATION_FORM = Form(AUDIO_FIELDS, frozenset({"model"}), {"file": (GOOD_AUDIO, AUDIO)})
TRANSCRIPTION_FORM = Form(
    {
        **AUDIO_FIELDS,
        "language": st.sampled_from(["en", "fr", "de"]),
        "timestamp_granularities[]": st.sampled_from(["word", "segment"]),
    },
    frozenset({"model"}),
    {"file": (GOOD_AUDIO, AUDIO)},
)
IMAGE_FIELDS = {
    "model": st.sampled_from([entry.id for entry in CATALOGUE if entry.kind == "image"]),
    "n": st.integers(1, 2),
    "size": st.just("256x256"),
    "response_format": st.sampled_from(["url", "b64_json"]),
    "user": TEXT,
}
IMAGE_EDIT_FORM = Form(
    {**IMAGE_FIELDS, "prompt": TEXT},
    frozenset({"prompt", "size"}),
    {"image": (GOOD_PNG, PNGS), "mask": (GOOD_PNG, PNGS)},
)
IMAGE_VARIATION_FORM = Form(IMAGE_FIELDS, frozenset({"size"}), {"image": (GOOD_PNG, PNGS)})


def _multipart(path: str, form: Form) -> Strategy:
    @st.composite
    def draw_request(draw: st.DrawFn) -> Sent:
        return {"method": "POST", "url": path, "headers": draw(AUTH_HEADERS), **_parts(draw, form)}

    return draw_request()


def _get(paths: Strategy) -> Strategy:
    return st.builds(lambda path, headers: {"method": "GET", "url": path, "headers": headers}, paths, AUTH_HEADERS)


# Paths and methods that are not routes: each must be a 404 or 405 in OpenAI's shape.
ELSEWHERE: Strategy = st.one_of(
    st.builds(
        lambda method, path, headers: {"method": method, "url": path, "headers": headers},
        st.sampled_from(["PUT", "PATCH", "DELETE", "OPTIONS"]),
        st.sampled_from(["/v1/models", "/v1/chat/completions", "/v1/embeddings", "/v1/images/edits", "/health"]),
        AUTH_HEADERS,
    ),
    st.builds(
        lambda method, path, headers: {"method": method, "url": path, "headers": headers},
        st.sampled_from(["GET", "POST", "DELETE"]),
        st.one_of(st.just("/v2/models"), st.from_regex(r"/v1/zz[a-z/._-]{0,30}", fullmatch=True)),
        AUTH_HEADERS,
    ),
)


# What a 2xx answer must be.


def sse_payloads(response: httpx.Response) -> list[Any]:
    """The JSON payloads of an SSE answer, checking its framing and the final [DONE]."""
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""], response.text[-200:]
    payloads = []
    for event in events[:-2]:
        assert event.startswith("data: "), event
        payloads.append(json.loads(event[len("data: ") :]))
    return payloads


def spec_json(spec_path: str) -> Callable[[Sent, httpx.Response], None]:
    def check(sent: Sent, response: httpx.Response) -> None:
        assert response.headers["content-type"].startswith("application/json")
        spec.check(spec_path, "post" if sent["method"] == "POST" else "get", response.json())

    return check


def _text_stream(spec_path: str, obj: str) -> Callable[[Sent, httpx.Response], None]:
    def check(sent: Sent, response: httpx.Response) -> None:
        if response.headers["content-type"].startswith("text/event-stream"):
            for payload in sse_payloads(response):
                assert payload["object"] == obj and isinstance(payload["choices"], list), payload
            return
        body = response.json()
        if obj == "text_completion":
            _allow_echoed_null_logprob(body)
        if "service_tier" in body:  # today's models answer today's shape
            current_spec.check(spec_path, "post", body)
            return
        for choice in body.get("choices", ()):
            message = choice.get("message") or {}
            if message.get("content") is None and (message.get("tool_calls") or message.get("function_call")):
                message["content"] = ""  # a message that calls tools has no content, which the 2023 schema predates
        spec.check(spec_path, "post", body)

    return check


def _allow_echoed_null_logprob(body: dict[str, Any]) -> None:
    """What the real API sends that the 2023 schema does not allow: a null logprob for the first echoed token.
    Replaced by what the schema expects."""
    for choice in body.get("choices", ()):
        logprobs = choice.get("logprobs") or {}
        if logprobs.get("token_logprobs") and logprobs["token_logprobs"][0] is None:
            logprobs["token_logprobs"][0] = 0.0
            logprobs["top_logprobs"][0] = logprobs["top_logprobs"][0] or {}


def _embeddings(sent: Sent, response: httpx.Response) -> None:
    """base64 vectors (which the current SDKs ask for) came after the 2023 spec: checked as the floats they carry."""
    body = response.json()
    for item in body["data"]:
        if isinstance(item["embedding"], str):
            raw = base64.b64decode(item["embedding"], validate=True)
            assert len(raw) % 4 == 0 and raw
            item["embedding"] = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    spec.check("/embeddings", "post", body)


def _audio(spec_path: str) -> Callable[[Sent, httpx.Response], None]:
    def check(sent: Sent, response: httpx.Response) -> None:
        if response.headers["content-type"].startswith("text/plain"):
            assert response.text.strip() or sent["data"].get("response_format") == "text"
            return
        spec.check(spec_path, "post", response.json())

    return check


def _model_or_list(sent: Sent, response: httpx.Response) -> None:
    # httpx resolves dot segments before sending: `/v1/models/x/..` is a request for the list.
    listed = response.request.url.path == "/v1/models"
    spec.check("/models" if listed else "/models/{model}", "get", response.json())


def _images(spec_path: str) -> Callable[[Sent, httpx.Response], None]:
    def check(sent: Sent, response: httpx.Response) -> None:
        body = response.json()
        spec.check(spec_path, "post", body)
        for item in body["data"]:
            if "url" in item:
                # The link is served, without a key, as the PNG.
                _image_file(sent, httpx.get(item["url"], timeout=30))

    return check


def _image_file(sent: Sent, response: httpx.Response) -> None:
    assert response.headers["content-type"] == "image/png" and response.content.startswith(b"\x89PNG")


def _anything(sent: Sent, response: httpx.Response) -> None:
    raise AssertionError(f"no 2xx expected from {sent['method']} {sent['url']}: {response.text[:200]}")


@dataclass(frozen=True)
class FuzzRoute:
    name: str
    requests: Strategy
    # Checks a 2xx answer (raises AssertionError when it breaks the contract).
    check_ok: Callable[[Sent, httpx.Response], None]
    # Checks any answer, before the generic checks: e.g. another owner's file is a 404.
    check_any: Callable[[Sent, httpx.Response], None] | None = None
    # Completes a drawn request from what earlier answers left (e.g. the ids of stored files).
    prepare: Callable[[Sent], Sent] | None = None
    # Which server it is sent to: "api", or "control" (one started with --control-token).
    server: str = "api"
    # Whether a 2xx is expected at least once in a run (a route only ever refused would say False).
    answers_ok: bool = True


def to_send(sent: Sent) -> Sent:
    """The keyword arguments of `httpx.Client.request`: keys starting with "_" are the fuzz's own notes."""
    return {key: value for key, value in sent.items() if not key.startswith("_")}


FINE_TUNING_JOB = from_model(
    CreateFineTuningJobRequest,
    {"model": st.sampled_from(["gpt-4o-mini", "babbage-002", "o4-mini", "gpt-4"]) | TEXT},
)
FINE_TUNE = from_model(CreateFineTuneRequest, {"model": st.sampled_from(["ada", "curie", "gpt-4"]) | st.none() | TEXT})
FINE_TUNING_LISTS = st.builds(
    lambda query: "/v1/fine_tuning/jobs" + query,
    st.sampled_from(["", "?limit=2", "?limit=0", "?limit=x", "?metadata[a]=b", "?metadata=null", "?after=ftjob-x"]),
)
FINE_TUNING_PATHS = st.builds(
    lambda job, tail: f"/v1/fine_tuning/jobs/{job}{tail}",
    st.from_regex(r"ftjob-[\w.-]{0,30}", fullmatch=True),
    st.sampled_from(["", "/events", "/checkpoints", "/events?limit=500", "/checkpoints?after=x"]),
)


def _fine_tuning_list(sent: Sent, response: httpx.Response) -> None:
    current_spec.check("/fine_tuning/jobs", "get", response.json())


MODEL_PATHS = st.one_of(
    st.sampled_from([f"/v1/models/{entry.id}" for entry in CATALOGUE]),
    st.from_regex(r"/v1/models/[\w:./-]{1,30}", fullmatch=True),
)

FUZZ_ROUTES: list[FuzzRoute] = [
    FuzzRoute(
        "chat", _json_request("/v1/chat/completions", CHAT), _text_stream("/chat/completions", "chat.completion.chunk")
    ),
    FuzzRoute(
        "completions", _json_request("/v1/completions", COMPLETION), _text_stream("/completions", "text_completion")
    ),
    FuzzRoute("edits", _json_request("/v1/edits", EDIT), spec_json("/edits")),
    FuzzRoute("embeddings", _json_request("/v1/embeddings", EMBEDDING), _embeddings),
    FuzzRoute(
        "images.generations", _json_request("/v1/images/generations", IMAGE_GENERATION), _images("/images/generations")
    ),
    FuzzRoute(
        "images.edits",
        _multipart("/v1/images/edits", IMAGE_EDIT_FORM),
        _images("/images/edits"),
    ),
    FuzzRoute(
        "images.variations",
        _multipart("/v1/images/variations", IMAGE_VARIATION_FORM),
        _images("/images/variations"),
    ),
    FuzzRoute(
        "audio.transcriptions",
        _multipart("/v1/audio/transcriptions", TRANSCRIPTION_FORM),
        _audio("/audio/transcriptions"),
    ),
    FuzzRoute(
        "audio.translations",
        _multipart("/v1/audio/translations", TRANSLATION_FORM),
        _audio("/audio/translations"),
    ),
    FuzzRoute("models.list", _get(st.just("/v1/models")), spec_json("/models")),
    FuzzRoute("models.retrieve", _get(MODEL_PATHS), _model_or_list),
    FuzzRoute(
        "images.files",
        _get(st.from_regex(r"/v1/images/files/[\w.-]{0,40}", fullmatch=True)),
        _image_file,
        answers_ok=False,  # links to images no request made: never served
    ),
    # Jobs need a stored training file: drawn bodies name none, so they are refused (never with a 5xx).
    FuzzRoute(
        "fine_tuning.create", _json_request("/v1/fine_tuning/jobs", FINE_TUNING_JOB), _anything, answers_ok=False
    ),
    FuzzRoute("fine_tuning.list", _get(FINE_TUNING_LISTS), _fine_tuning_list),
    FuzzRoute("fine_tuning.job", _get(FINE_TUNING_PATHS), _anything, answers_ok=False),
    FuzzRoute("fine-tunes.create", _json_request("/v1/fine-tunes", FINE_TUNE), _anything, answers_ok=False),
    FuzzRoute("elsewhere", ELSEWHERE, _anything, answers_ok=False),
]
