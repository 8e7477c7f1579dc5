"""A fixture rule proposed for one journal entry (the inspector's "Make a rule"): the match record mode would
write for the same request (recorded.match_of), an answer to edit, as YAML; and the YAML read back into
rules once edited."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from mockapi import errors
from mockapi.endpoints import ENDPOINTS, NO_FORMS
from mockapi.fixtures import Rule
from mockapi.journal import Entry
from mockapi.matching import Exchange
from mockapi.recorded import match_of
from mockapi.rule_writer import PRIORITY, rule_id_for, rules_yaml

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
    match = match_of(Exchange(endpoint, entry.method, entry.path, body, {}, model, text, system), forms)
    respond: dict[str, Any] = {"content": ANSWER} if "content" in forms else {"body": {}}
    return {"id": f"inspector-{rule_id_for(endpoint, match)}", "priority": PRIORITY, "match": match, "respond": respond}


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
