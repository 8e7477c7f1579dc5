"""The copy of the current spec loads and its validators reject what the spec forbids."""

from __future__ import annotations

import pytest

from tests.contract import current_spec


def test_a_models_list_body_validates_against_the_current_spec() -> None:
    model = {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}
    body = {"object": "list", "data": [model]}
    current_spec.check("/models", "get", body)


def test_a_body_missing_a_required_key_is_refused() -> None:
    with pytest.raises(AssertionError, match="'owned_by' is a required property"):
        current_spec.check("/models", "get", {"object": "list", "data": [{"id": "x", "object": "model", "created": 1}]})


def test_a_component_validator_checks_one_schema() -> None:
    with pytest.raises(AssertionError):
        current_spec.check_component("Model", {"id": 1})
