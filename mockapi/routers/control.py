"""The control API under /__mockapi (outside /v1, no OpenAI auth): rules, the request journal, reset.

Protected by `--control-token` when given; absent altogether with `--no-control`.
"""

from __future__ import annotations

import functools
import hmac
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from mockapi import errors
from mockapi.edge import CONTROL_PREFIX
from mockapi.fixtures import Rule, RuleFileError
from mockapi.pipeline import json_response, parse, read_json, state_of
from mockapi.routing import DirectRoute, Endpoint

PREFIX = CONTROL_PREFIX


def require_token(request: Request) -> None:
    token = state_of(request).settings.control_token
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # In constant time, on bytes: headers arrive as latin-1, and compare_digest refuses non-ASCII text.
    matches = hmac.compare_digest(given.strip().encode("latin-1"), token.encode("utf-8"))
    if scheme.lower() != "bearer" or not matches:
        raise errors.control_token_required()


def require_one_worker(request: Request) -> None:
    """Worker processes each keep their own rules, journal and counters, and a request reaches one of them:
    answered, the control API would act on one worker at random. It says so instead."""
    workers = state_of(request).settings.workers
    if workers > 1:
        raise errors.control_needs_one_worker(workers)


class ControlRoute(DirectRoute):
    """A route of the control API: the token is checked before the endpoint runs."""

    def __init__(self, path: str, endpoint: Endpoint, **kwargs: Any) -> None:
        @functools.wraps(endpoint)  # documented as the endpoint itself
        async def guarded(request: Request) -> Response:
            require_token(request)
            require_one_worker(request)
            return await endpoint(request)

        super().__init__(path, guarded, **kwargs)


router = APIRouter(prefix=PREFIX, tags=["control"], route_class=ControlRoute)


class JournalFilter(BaseModel):
    """The journal's query parameters."""

    model_config = ConfigDict(extra="ignore")

    path: str | None = None
    session: str | None = None
    since_id: int | None = None


def _listing(data: list[Any]) -> Response:
    return json_response({"object": "list", "data": data})


@router.post("/rules")
async def add_rule(request: Request) -> Response:
    body = await read_json(request)
    try:
        rule = Rule.model_validate(body)
    except ValidationError as exc:
        raise errors.from_pydantic(exc) from exc
    try:
        added = state_of(request).rules.add(rule)
    except ValueError as exc:
        raise errors.invalid_param(str(exc), "id") from exc
    return json_response({"id": added.id}, status=201)


@router.get("/rules")
async def list_rules(request: Request) -> Response:
    return _listing([{**rule.public(), "source": source} for source, rule in state_of(request).rules.rules()])


@router.delete("/rules/{rule_id}")
async def delete_rule(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]
    if not state_of(request).rules.delete(rule_id):
        raise errors.rule_not_found(rule_id)
    return json_response({"id": rule_id, "deleted": True})


@router.delete("/rules")
async def clear_rules(request: Request) -> Response:
    return json_response({"deleted": state_of(request).rules.clear_runtime()})


@router.post("/reload")
async def reload_fixtures(request: Request) -> Response:
    try:
        count = state_of(request).reload()
    except RuleFileError as exc:
        raise errors.invalid_param(str(exc), None, code="invalid_fixtures") from exc
    return json_response({"rules": count})


@router.get("/requests")
async def list_requests(request: Request) -> Response:
    query = parse(JournalFilter, dict(request.query_params))
    entries = state_of(request).journal.entries(path=query.path, session=query.session, since_id=query.since_id)
    return _listing([entry.as_dict() for entry in entries])


@router.delete("/requests")
async def clear_requests(request: Request) -> Response:
    state_of(request).journal.clear()
    return json_response({"deleted": True})


@router.post("/reset")
async def reset(request: Request) -> Response:
    state_of(request).reset()
    return json_response({"reset": True})
