"""create_app(settings): builds the state, mounts the resource routes under /v1 (and Azure's paths to them),
installs the edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.requests import Request
from starlette.types import ASGIApp

from mockapi import __version__, azure, rendering
from mockapi import openapi as documentation
from mockapi.batch_runner import BatchRunner
from mockapi.edge import CorsForBrowsers, Edge
from mockapi.inspector import routes as inspector
from mockapi.registry import RouteTable, resource_routes
from mockapi.routers import control
from mockapi.routing import DirectRoute
from mockapi.settings import Settings
from mockapi.state import AppState
from mockapi.wire import Rendered

__all__ = ["create_app"]

EXPOSED_HEADERS = [
    "x-request-id",
    "openai-version",
    "openai-processing-ms",
    "openai-organization",
    "openai-project",
    "openai-model",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
]


# A mock serves no traces or metrics: FastAPI's telemetry would only look up its providers on every request.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


class MockAPI(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        """The user middlewares (CORS, the edge) straight around the router: a tuning, measured. FastAPI's
        own five layers (server-error, telemetry, body-limit, exception and exit-stack middlewares) have
        nothing to do here: the edge answers every failure itself, in OpenAI's shape and with OpenAI's
        headers, and limits bodies from the routes' declarations; no route uses FastAPI's dependencies. With
        them (and an exception handler rendering the router's 404/405), a request costs 8 µs more in process
        (chat 59 -> 67 µs, models 30 -> 35 µs) and wrk on one core gives models 9.2k instead of 12.1k req/s,
        chat 6.8k instead of 7.7k (bench/RESULTS.md)."""
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, with what each route declares (bodies, parameters, answers, schemas)."""
        if self.openapi_schema is None:
            routes = [route for route in self.router.routes if isinstance(route, DirectRoute)]
            documentation.describe(super().openapi(), routes)
        assert self.openapi_schema is not None
        return self.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    state = AppState.build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        """Batches a restart finds (--data-dir) move on at once; without a lifespan (the pytest plugin's
        server), on the first batch request."""
        assert state.batches is not None
        state.batches.ensure_running()
        yield
        await state.batches.stop()

    app = MockAPI(
        title="mockapi",
        version=__version__,
        description="An offline emulation of the OpenAI API.",
        telemetry=NO_TELEMETRY,
        # /v1/models/ is not /v1/models: the real API answers 404, not a redirect.
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.mockapi = state
    # A batch's requests are answered by the app itself, through all of it (the edge, the routes).
    state.batches = BatchRunner(state, app)
    app.router.route_class = DirectRoute
    # Copied flat rather than `include_router`ed (FastAPI matches an included router as one more level, a few
    # microseconds per router on every request; these routes already carry /v1), and ahead of the docs
    # routes FastAPI has added: routes are tried in order, and these are the ones requests come for.
    resources = resource_routes()
    # Azure's paths to the same routes after them: a /v1 request never tries one.
    app.router.routes[:0] = [*resources, *azure.alias_routes(resources, settings)]
    if settings.control:
        app.router.routes.extend(control.router.routes)
        app.router.routes.extend([*inspector.page.routes, *inspector.feed.routes])

    @app.get("/health", tags=["health"])
    async def health(request: Request) -> Rendered:
        return rendering.json({"status": "ok"})

    # Added last so it is outermost: a browser's preflight is answered before auth.
    app.add_middleware(Edge, state=state, routes=RouteTable(resources, settings))
    app.add_middleware(
        CorsForBrowsers,
        allow_origins=list(settings.cors_origins),
        expose_headers=EXPOSED_HEADERS,
    )
    return app
