"""The app's routes: all DirectRoutes (the middleware stack has no FastAPI exit stack for anything else),
documented with their path parameters."""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.routing import Match, Route

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


def _scope(path: str, method: str = "GET", root_path: str = "") -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": root_path}


def test_a_route_matches_as_fastapi_does_once_its_fixed_beginning_is_in_the_path() -> None:
    app = create_app(Settings())
    (retrieve,) = [
        route
        for route in app.router.routes
        if isinstance(route, DirectRoute) and route.path == "/v1/models/{model:path}" and "GET" in route.methods
    ]
    match, child = retrieve.matches(_scope("/v1/models/ft:gpt-4o:org:x:abc"))
    assert match is Match.FULL and child["path_params"] == {"model": "ft:gpt-4o:org:x:abc"}
    assert child["route"] is retrieve
    assert retrieve.matches(_scope("/v1/models/gpt-4", "POST"))[0] is Match.PARTIAL  # FastAPI's 405 follows
    assert retrieve.matches(_scope("/v1/embeddings"))[0] is Match.NONE
    assert retrieve.matches(_scope("/v1/modelsx"))[0] is Match.NONE
    # Served below a root path, the route's path ends the request's.
    assert retrieve.matches(_scope("/api/v1/models/gpt-4", root_path="/api"))[0] is Match.FULL
    assert retrieve.matches({"type": "lifespan"})[0] is Match.NONE
