"""A fixture rule proposed for one journal entry (the inspector's "Make a rule"): the match record mode would
write for the same request (recorded.match_of) and the answer it got, read as record mode reads an upstream's
(recorded.answer_of), as YAML to edit; and the YAML read back into rules once edited."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import yaml
from pydantic import ValidationError

from mockapi import errors
from mockapi.endpoints import ENDPOINTS, NO_FORMS
from mockapi.fixtures import Rule
from mockapi.journal import RESPONSE_BUDGET, Entry
from mockapi.matching import Exchange
from mockapi.recorded import answer_of, match_of
from mockapi.rule_writer import PRIORITY, rule_id_for, rules_yaml

# The answer proposed when the journal kept too little of the real one to read it back.
ANSWER = "Edit me, the answer this rule gives"
HEADER = "# Proposed by the mockapi inspector for request {id}: edit the answer (and the match), then add it.\n"
MAX_YAML = 64 * 1024


def proposed_rule(entry: Entry) -> dict[str, Any]:
    """The rule for this entry's request, or a 400 when no rule could have matched it (it never reached
    the rules: refused before, or a control route)."""
    if entry.matched_on is None:
        raise errors.invalid_param(f"Request {entry.id} never reached the rules: no rule can be made of it.", "id")
    endpoint, model, text, system = entry.matched_on
    body = entry.body if isinstance(entry.body, dict) else {}
    forms = ENDPOINTS.get(endpoint, NO_FORMS)
    exchange = Exchange(endpoint, entry.method, entry.path, body, {}, model, text, system)
    match = match_of(exchange, forms)
    respond = _answer(entry, exchange, forms) or ({"content": ANSWER} if "content" in forms else {"body": {}})
    return {"id": f"inspector-{rule_id_for(endpoint, match)}", "priority": PRIORITY, "match": match, "respond": respond}


def _answer(entry: Entry, exchange: Exchange, forms: Collection[str]) -> dict[str, Any] | None:
    """The answer the request got, when the journal kept all of it and it reads back as a rule's answer
    (not as files: their bytes are not kept)."""
    data = entry.response
    if entry.status is None or not data or len(data) >= RESPONSE_BUDGET:
        return None
    media = "text/event-stream" if data.startswith((b"data:", b"event:")) else "application/json"
    recorded = answer_of(exchange, forms, entry.status, {"content-type": media}, data)
    if recorded is None or recorded.blobs or not recorded.respond:
        return None
    return recorded.respond


def proposal_yaml(entry: Entry) -> str:
    return HEADER.format(id=entry.id) + rules_yaml([proposed_rule(entry)])


def rules_of_yaml(text: str) -> list[Rule]:
    """The rules an edited proposal holds (one rule, or a list as in a fixture file), each checked as a file
    rule is; a 400 saying what is wrong otherwise."""
    if len(text) > MAX_YAML:
        raise errors.invalid_param(f"At most {MAX_YAML} characters of YAML.", "yaml")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise errors.invalid_param(f"Not YAML: {exc}", "yaml") from exc
    items = loaded if isinstance(loaded, list) else [loaded]
    if not items or not all(isinstance(item, dict) for item in items):
        raise errors.invalid_param("The YAML must hold a rule (a mapping) or a list of rules.", "yaml")
    try:
        return [Rule.model_validate(item) for item in items]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise errors.invalid_param(f"Not a rule: {where}: {first['msg']}", "yaml") from exc
