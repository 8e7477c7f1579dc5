"""Event framing for streams: `data: {json}\n\n`, ending with `data: [DONE]\n\n`, as OpenAI sends."""

from __future__ import annotations

from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"


def frame(data: bytes) -> bytes:
    """One event around an already serialised payload."""
    return b"data: " + data + b"\n\n"


def event(payload: Any) -> bytes:
    return frame(orjson.dumps(payload))
