"""The route class of the resource routers.

Their endpoints take the Request (and path parameters) and return a Response: they read and validate
their own bodies through the pipeline, so FastAPI's per-request machinery around an endpoint (dependency
solving, body reading, exit stacks, a second exception layer) has nothing to do for them, yet costs more
than the endpoint itself on the hot routes. A DirectRoute is still an APIRoute, so FastAPI matches and
documents it (`/openapi.json`, `/docs`) like any other; only the call skips that machinery.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[..., Awaitable[Response]]


def _direct(endpoint: Endpoint) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive, send), **scope["path_params"])
        await response(scope, receive, send)

    return app


class DirectRoute(APIRoute):
    def __init__(self, path: str, endpoint: Endpoint, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.app = _direct(endpoint)
