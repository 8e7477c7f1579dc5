"""create_app(settings): builds the state, mounts one router per resource under /v1, installs handlers."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.telemetry import TelemetryConfig
from starlette.responses import Response
from starlette.types import ASGIApp

from mockapi import __version__
from mockapi.edge import CorsForBrowsers, Edge
from mockapi.routers import audio, chat, completions, control, edits, embeddings, files, images, models
from mockapi.routing import DirectRoute
from mockapi.settings import Settings
from mockapi.state import AppState

__all__ = ["create_app"]

# The most requested first: routes are matched in order.
RESOURCE_ROUTERS: list[APIRouter] = [
    chat.router,
    models.router,
    embeddings.router,
    completions.router,
    edits.router,
    images.router,
    audio.router,
    files.router,
]

EXPOSED_HEADERS = [
    "x-request-id",
    "openai-version",
    "openai-processing-ms",
    "openai-organization",
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
        """The user middlewares (CORS, the edge) straight around the router. Starlette's error and exception
        middlewares are left out: the edge answers every failure itself, in OpenAI's shape and with
        OpenAI's headers, which they, outside it or a layer below, could not give. So is FastAPI's exit stack:
        every route is a DirectRoute, which uses none of FastAPI's dependencies."""
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    state = AppState.build(settings)
    app = MockAPI(
        title="mockapi",
        version=__version__,
        description="An offline emulation of the OpenAI API.",
        telemetry=NO_TELEMETRY,
        # /v1/models/ is not /v1/models: the real API answers 404, not a redirect.
        redirect_slashes=False,
    )
    app.state.mockapi = state
    app.router.route_class = DirectRoute
    # Copied flat rather than `include_router`ed (FastAPI matches an included router as one more level, a few
    # microseconds per router on every request; these routes already carry /v1), and ahead of the docs
    # routes FastAPI has added: routes are tried in order, and these are the ones requests come for.
    resource_routes = [route for router in RESOURCE_ROUTERS for route in router.routes]
    app.router.routes[:0] = resource_routes
    if settings.control:
        app.router.routes.extend(control.router.routes)

    @app.get("/health", tags=["health"])
    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    # Added last so it is outermost: a browser's preflight is answered before auth.
    app.add_middleware(Edge, state=state)
    app.add_middleware(
        CorsForBrowsers,
        allow_origins=list(settings.cors_origins),
        expose_headers=EXPOSED_HEADERS,
    )
    return app
