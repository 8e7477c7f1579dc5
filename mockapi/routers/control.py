"""The control API under /__mockapi (outside /v1, no OpenAI auth): rules, the request journal, reset.

Protected by `--control-token` when given; absent altogether with `--no-control`.
"""

from __future__ import annotations

import hmac
from typing import Any

from pydantic import ConfigDict, Field
from starlette.requests import Request

from mockapi import errors
from mockapi.fixtures import Rule, RuleFileError
from mockapi.model_base import Schema
from mockapi.pipeline import state_of
from mockapi.rendering import json
from mockapi.routing import CONTROL_PREFIX, Resource
from mockapi.wire import Rendered

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


router = Resource("control", prefix=PREFIX, guard=require_token)


class JournalFilter(Schema):
    """The journal's query parameters."""

    model_config = ConfigDict(extra="ignore")

    path: str | None = None
    session: str | None = None
    since_id: int | None = None


def _listing(data: list[Any]) -> Rendered:
    return json({"object": "list", "data": data})


@router.post("/rules", body=Rule)
async def add_rule(request: Request, rule: Rule) -> Rendered:
    try:
        added = state_of(request).rules.add(rule)
    except ValueError as exc:
        raise errors.invalid_param(str(exc), "id") from exc
    return json({"id": added.id}, status=201)


@router.get("/rules")
async def list_rules(request: Request) -> Rendered:
    rules = state_of(request).rules
    return _listing(
        [{**rule.public(), "source": source, "hits": rules.hits(rule.id or "")} for source, rule in rules.rules()]
    )


@router.delete("/rules/{rule_id}")
async def delete_rule(request: Request) -> Rendered:
    rule_id = request.path_params["rule_id"]
    if not state_of(request).rules.delete(rule_id):
        raise errors.rule_not_found(rule_id)
    return json({"id": rule_id, "deleted": True})


@router.delete("/rules")
async def clear_rules(request: Request) -> Rendered:
    return json({"deleted": state_of(request).rules.clear_runtime()})


@router.post("/reload")
async def reload_fixtures(request: Request) -> Rendered:
    try:
        count = state_of(request).reload()
    except RuleFileError as exc:
        raise errors.invalid_param(str(exc), None, code="invalid_fixtures") from exc
    return json({"rules": count})


@router.get("/requests", query=JournalFilter)
async def list_requests(request: Request, query: JournalFilter) -> Rendered:
    entries = state_of(request).journal.entries(path=query.path, session=query.session, since_id=query.since_id)
    return _listing([entry.as_dict() for entry in entries])


@router.delete("/requests")
async def clear_requests(request: Request) -> Rendered:
    state_of(request).journal.clear()
    return json({"deleted": True})


class ClockAdvance(Schema):
    """How far to move the server's clock forward."""

    model_config = ConfigDict(extra="forbid", strict=True)

    seconds: float = Field(ge=0, le=10 * 365 * 24 * 3600, allow_inf_nan=False)


def _clock_object(now: float) -> dict[str, Any]:
    return {"object": "clock", "now": now}


@router.get("/clock")
async def read_clock(request: Request) -> Rendered:
    return json(_clock_object(state_of(request).seeding.clock.time()))


@router.post("/clock/advance", body=ClockAdvance)
async def advance_clock(request: Request, body: ClockAdvance) -> Rendered:
    """Jobs and expiries move on this clock: a test takes a job to its end without waiting."""
    state = state_of(request)
    now = state.seeding.clock.advance(body.seconds)
    state.changed()  # the processes sharing the state read the clock again
    return json(_clock_object(now))


@router.post("/reset")
async def reset(request: Request) -> Rendered:
    state_of(request).reset()
    return json({"reset": True})
