"""The route class of every route the app serves.

Endpoints take the Request alone (path parameters in `request.path_params`) and return a Response: they
read and validate their own input through the pipeline, so FastAPI's per-request machinery around an
endpoint (dependency solving, body reading, exit stacks, a second exception layer) has nothing to do for
them, yet costs more than the endpoint itself on the hot routes. A DirectRoute is still an APIRoute, so
FastAPI matches and documents it (`/openapi.json`, `/docs`) like any other; only the call skips that
machinery. (Parameters in the signature would also make FastAPI load its pydantic-v1 checks, megabytes for
nothing: path parameters are documented from the path instead.)
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
PATH_PARAMETER = re.compile(r"{([^}]+)}")


def _direct(endpoint: Endpoint) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    return app


def _path_parameters(path: str) -> list[dict[str, Any]]:
    """OpenAPI's description of the `{name}` (or `{name:converter}`) segments of a path."""
    names = [segment.split(":")[0] for segment in PATH_PARAMETER.findall(path)]
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names]


class DirectRoute(APIRoute):
    def __init__(self, path: str, endpoint: Endpoint, **kwargs: Any) -> None:
        parameters = _path_parameters(path)
        if parameters:
            kwargs["openapi_extra"] = {"parameters": parameters, **(kwargs.get("openapi_extra") or {})}
        super().__init__(path, endpoint, **kwargs)
        self.app = _direct(endpoint)
