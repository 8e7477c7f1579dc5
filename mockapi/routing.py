"""Routes that declare what they serve, and the one place a request's input is read and validated.

A route declares (`Declared`) the endpoint name rules match it by, its request model (a JSON body, a
multipart form or the query string), its answers' models, its body limit and whether it is public (no API
key). From that: the route reads and validates its input before the handler runs (the handler gets the
validated model), the edge takes its body limits and public paths (registry.py), and `/openapi.json`
describes the route (openapi.py).

Routes are FastAPI APIRoutes, so FastAPI matches and documents them like any other; only the call is
direct: the handler takes the Request (path parameters in `request.path_params`), and the validated body
when the route declares one, and answers an ASGI app (a `wire.Rendered`). FastAPI's per-request machinery
around an endpoint (dependency solving from the signature, body reading, serialisation) would cost more
than the endpoint itself on the hot routes, and reading models from signatures would load pydantic's v1
layer (about a megabyte) at start-up: the declarations say what the signature would have.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import orjson
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from mockapi import errors
from mockapi.context import context_of
from mockapi.settings import Settings

API_PREFIX = "/v1"
# Azure OpenAI's paths to the same routes (azure.py).
AZURE_PREFIX = "/openai"
API_PREFIXES = (API_PREFIX, AZURE_PREFIX)
CONTROL_PREFIX = "/__mockapi"
PATH_PARAMETER = re.compile(r"{([^}]+)}")

ModelT = TypeVar("ModelT", bound=BaseModel)
Handler = Callable[..., Awaitable[ASGIApp]]
# A multipart body's reader: its fields (file parts already checked and read as the route needs), held
# open while the handler runs, closed (spooled files deleted) after.
FormReader = Callable[[Request], AbstractAsyncContextManager[dict[str, Any]]]
TooLarge = Callable[[int], errors.OpenAIError]
BodyLimit = Callable[[Settings], int]
# What a route reached by another path (an alias, azure.py) does to the input before it is validated: the
# fields as read (JSON body, form or query) -> the fields the route's model gets.
Inputs = Callable[[Request, dict[str, Any]], dict[str, Any]]
# What a request model's validators may read beyond the input (pydantic's validation context), e.g. the
# catalogue, for checks that depend on the model asked for.
ValidationContext = Callable[[Request], Any]


@dataclass(frozen=True)
class Declared:
    """What a route serves (see the module docstring)."""

    endpoint: str | None = None
    body: type[BaseModel] | None = None
    form: FormReader | None = None  # the body is multipart, read by this
    query: type[BaseModel] | None = None
    answers: tuple[type[BaseModel], ...] = ()
    events: type[BaseModel] | None = None  # a streamed answer's events (text/event-stream)
    media_types: tuple[str, ...] = ()  # other answers (a download, text formats)
    status: int = 200
    body_limit: BodyLimit | None = None  # beyond --max-body-bytes
    too_large: TooLarge | None = None  # the route's own wording of a 413
    public: bool = False
    context: ValidationContext | None = None

    @property
    def body_media_type(self) -> str:
        return "multipart/form-data" if self.form is not None else "application/json"


NOTHING_DECLARED = Declared()


def declared_of(request: Request) -> Declared:
    """What the route serving this request declares (FastAPI leaves the matched route on the scope)."""
    route = request.scope.get("route")
    return route.declared if isinstance(route, DirectRoute) else NOTHING_DECLARED


async def read_body(request: Request) -> bytes:
    """The whole request body. (Starlette's Request.body reads through an async generator, which asyncio
    tracks in a weak set with a first-iteration hook: more than reading a one-message body costs.)"""
    receive = request.receive
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object body, or the real API's 400 for a body that does not parse; journaled as read (even
    if validation fails then)."""
    raw = await read_body(request)
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise errors.invalid_json() from exc
    if not isinstance(body, dict):
        # As jsonschema words it: the value itself (cut short: a body may be large).
        raise errors.invalid_param(f"{reprlib.repr(body)} is not of type 'object'", None)
    served = context_of(request).served
    served.body, served.raw_body = body, raw
    return body


def parse(model: type[ModelT], fields: Mapping[str, Any], context: Any = None) -> ModelT:
    """Validate fields against a request model; a violation is 400 naming the field."""
    try:
        return model.model_validate(fields, context=context)
    except ValidationError as exc:
        raise errors.from_pydantic(exc) from exc


def _direct(
    handler: Handler, declared: Declared, guard: Callable[[Request], None] | None, inputs: Inputs | None
) -> ASGIApp:
    """The route's app: the handler called with the route's input read and validated (the one place input
    is read), and its answer sent."""
    body, form, query, context = declared.body, declared.form, declared.query, declared.context

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        if guard is not None:
            guard(request)
        if form is not None and body is not None:  # held open while the handler runs: it may store a file
            async with form(request) as fields:
                answer = await handler(
                    request, parse(body, inputs(request, fields) if inputs else fields, context and context(request))
                )
        elif query is not None:
            fields = dict(request.query_params)
            answer = await handler(request, parse(query, inputs(request, fields) if inputs else fields))
        elif body is not None:
            fields = await read_json(request)
            if inputs is not None:
                # What the handler and the rules see is the request as the alias makes it (a deployment's model).
                fields = context_of(request).served.body = inputs(request, fields)
            answer = await handler(request, parse(body, fields, context and context(request)))
        else:
            answer = await handler(request)
        await answer(scope, receive, send)

    return app


def _path_parameters(path: str) -> list[dict[str, Any]]:
    """OpenAPI's description of the `{name}` (or `{name:converter}`) segments of a path."""
    names = [segment.split(":")[0] for segment in PATH_PARAMETER.findall(path)]
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names]


def _documented(handler: Handler) -> Handler:
    """What FastAPI reads a route's name and description from: the handler's, with a signature that
    asks FastAPI for nothing."""

    async def endpoint(request: Request) -> Response:  # never called: the route's app calls the handler
        raise NotImplementedError

    endpoint.__name__ = endpoint.__qualname__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


class DirectRoute(APIRoute):
    """A route of the app (see the module docstring). Without a declaration, the handler takes the
    Request alone and reads what it needs itself."""

    def __init__(
        self,
        path: str,
        endpoint: Handler,
        *,
        declared: Declared | None = None,
        guard: Callable[[Request], None] | None = None,
        inputs: Inputs | None = None,
        query_parameters: Sequence[Mapping[str, Any]] = (),
        **kwargs: Any,
    ) -> None:
        parameters = [*_path_parameters(path), *query_parameters]
        if parameters:
            kwargs["openapi_extra"] = {"parameters": parameters, **(kwargs.get("openapi_extra") or {})}
        super().__init__(path, _documented(endpoint), **kwargs)
        self.declared = declared or NOTHING_DECLARED
        self.handler = endpoint
        self.app = _direct(endpoint, self.declared, guard, inputs)
        self._fixed = self.path_format.split("{", 1)[0]  # the path up to its first parameter

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FastAPI's match, once the path is seen to hold the route's fixed beginning: the router tries its
        routes in turn and most are not the one (ten before /v1/embeddings), each a regex and FastAPI's
        lookups. (The path a route matches ends the request's path, so it cannot begin with what the
        request's path does not hold.)"""
        if self._fixed not in scope.get("path", ""):
            return Match.NONE, {}
        return super().matches(scope)


Method = Literal["GET", "POST", "DELETE", "HEAD"]


class Resource:
    """The routes of one resource (a router module's `router`): `@router.post(path, endpoint=..., body=...)`
    declares a route and its handler in one place."""

    def __init__(self, tag: str, prefix: str = API_PREFIX, guard: Callable[[Request], None] | None = None) -> None:
        self.tag = tag
        self.prefix = prefix
        self.guard = guard  # runs before anything is read (the control API's token)
        self.routes: list[DirectRoute] = []

    def route(
        self, method: Method, path: str, name: str | None = None, **declared: Any
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            route = DirectRoute(
                self.prefix + path,
                handler,
                declared=Declared(**declared),
                guard=self.guard,
                methods=[method],
                name=name,
                tags=[self.tag],
            )
            self.routes.append(route)
            return handler

        return register

    def get(self, path: str, name: str | None = None, **declared: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, name, **declared)

    def post(self, path: str, name: str | None = None, **declared: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, name, **declared)

    def delete(self, path: str, name: str | None = None, **declared: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, name, **declared)
