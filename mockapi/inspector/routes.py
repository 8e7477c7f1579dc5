"""The inspector: its page at /__mockapi/ui (static files holding no data; absent with --no-control) and the
journal's live feed at /__mockapi/requests/stream (SSE: the journal as it is, then each entry as it is
appended), guarded as the rest of the control API (the token)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from pydantic import ConfigDict
from starlette.requests import Request

from mockapi import errors
from mockapi.inspector.feed import Subscription
from mockapi.inspector.proposal import proposal_yaml, rules_of_yaml
from mockapi.journal import Entry
from mockapi.model_base import Schema
from mockapi.pipeline import state_of
from mockapi.rendering import events, json, raw
from mockapi.routers import control
from mockapi.routing import Resource
from mockapi.wire import Rendered

page = Resource("inspector", prefix=control.PREFIX)
feed = Resource("inspector", prefix=control.PREFIX, guard=control.router.guard)

_FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript", "style.css": "text/css"}
_NO_STORE = {"cache-control": "no-store"}


def _file(name: str) -> Rendered:
    media = _FILES.get(name)
    if media is None:
        raise errors.not_found(f"No inspector file {name!r}.")
    content = resources.files("mockapi.inspector").joinpath(name).read_bytes()
    return raw(content, media, headers=_NO_STORE)


@page.get("/ui")
async def inspector_page(request: Request) -> Rendered:
    return _file("index.html")


@page.get("/ui/{name}")
async def inspector_file(request: Request) -> Rendered:
    return _file(request.path_params["name"])


@feed.get("/requests/stream")
async def journal_stream(request: Request) -> Rendered:
    journal = state_of(request).journal
    subscription = Subscription(journal)  # before the snapshot: nothing appended in between is missed
    current = journal.entries()

    async def entries() -> AsyncIterator[dict[str, Any]]:
        last = 0
        for entry in current:
            last = entry.id
            yield entry.as_dict()
        async for entry in subscription.entries():
            if entry.id > last:
                yield entry.as_dict()

    return events(entries(), done=False)


@feed.get("/requests/{request_id}/rule")
async def propose_rule(request: Request) -> Rendered:
    """A rule for one journal entry's request, as YAML to edit (nothing is added yet)."""
    entry = _entry(request, request.path_params["request_id"])
    return json({"request_id": entry.id, "yaml": proposal_yaml(entry)})


class RulesText(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    yaml: str


@feed.post("/rules/yaml", body=RulesText)
async def add_rules_yaml(request: Request, body: RulesText) -> Rendered:
    """The rules an edited proposal holds, added at run time as POST /__mockapi/rules adds one."""
    book = state_of(request).rules
    added = []
    for rule in rules_of_yaml(body.yaml):
        try:
            added.append(book.add(rule).id)
        except ValueError as exc:
            raise errors.invalid_param(str(exc), "id") from exc
    return json({"ids": added}, status=201)


def _entry(request: Request, given: str) -> Entry:
    wanted = int(given) if given.isdigit() and len(given) < 19 else 0
    found = state_of(request).journal.entries(since_id=wanted - 1)[:1]
    if not found or found[0].id != wanted:
        raise errors.not_found(f"No request {given!r} in the journal.", "request_id")
    return found[0]
