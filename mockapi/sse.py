"""Event framing for streams: `data: {json}\n\n`, ending with `data: [DONE]\n\n`, as OpenAI sends."""

from __future__ import annotations

from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"


def event(payload: Any) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"
