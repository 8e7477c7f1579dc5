"""The app's routes: all DirectRoutes (the middleware stack has no FastAPI exit stack for anything else),
documented with their path parameters."""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.routing import Route

from mockapi.app import create_app
from mockapi.routing import DirectRoute
from mockapi.settings import Settings

DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def test_every_api_route_is_direct_and_the_rest_are_the_docs() -> None:
    app = create_app(Settings())
    for route in app.router.routes:
        if isinstance(route, APIRoute):
            assert isinstance(route, DirectRoute), route.path
        else:
            assert isinstance(route, Route) and route.path in DOCS, route


def test_path_parameters_are_documented_from_the_path() -> None:
    paths = create_app(Settings()).openapi()["paths"]
    assert [p["name"] for p in paths["/v1/models/{model}"]["get"]["parameters"]] == ["model"]
    assert [p["name"] for p in paths["/v1/files/{file_id}/content"]["get"]["parameters"]] == ["file_id"]
    assert [p["name"] for p in paths["/__mockapi/rules/{rule_id}"]["delete"]["parameters"]] == ["rule_id"]
    assert "parameters" not in paths["/v1/chat/completions"]["post"]
