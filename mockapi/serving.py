"""How uvicorn serves mockapi, the same for `mockapi serve` and the pytest plugin's server."""

from __future__ import annotations

from typing import Any

from mockapi.settings import Settings

__all__ = ["uvicorn_options"]


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for serving with these settings, short of where to listen (host, port or sockets)."""
    return {
        "log_level": settings.log_level,
        "access_log": settings.log_level in ("debug", "trace"),
        "timeout_graceful_shutdown": 10,
        "server_header": False,
        # The standard loop, not uvloop: the same throughput here, and under 64 busy connections uvloop left
        # about 1% of requests waiting 100-200 ms (p99) where asyncio's stays near the median (bench/RESULTS.md).
        "loop": "asyncio",
        # Even a request the HTTP parser rejects is answered in OpenAI's error shape.
        "http": "mockapi.transport:OpenAIShapedHttpTools",
    }
