"""The serve-time tuning: applied by name, and each piece does what tuning.py says."""

from __future__ import annotations

import gc

import pytest

from mockapi import tokens, tuning
from mockapi.settings import Settings
from mockapi.transport import OpenAIShapedHttpTools


@pytest.fixture(autouse=True)
def _restore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OpenAIShapedHttpTools, "coalesce_writes", False)
    monkeypatch.setattr(tokens, "AFTER_LOAD", [])
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setattr(gc, "set_threshold", lambda *thresholds: THRESHOLDS.append(thresholds))
    THRESHOLDS.clear()


THRESHOLDS: list[tuple[int, ...]] = []


def test_every_tuning_applies_by_default() -> None:
    assert Settings().tuning == tuning.TUNINGS
    tuning.apply(Settings().tuning)
    assert OpenAIShapedHttpTools.coalesce_writes is True
    assert tuning.drop_rank_table in tokens.AFTER_LOAD and len(tokens.AFTER_LOAD) == 1
    assert [oldest for *_, oldest in THRESHOLDS] == [tuning.FULL_COLLECTION_AFTER]


def test_none_applies_when_none_is_named() -> None:
    tuning.apply(Settings.load(environ={"MOCKAPI_TUNING": ""}).tuning)
    assert OpenAIShapedHttpTools.coalesce_writes is False
    assert tokens.AFTER_LOAD == []
    assert THRESHOLDS == []


def test_an_unknown_tuning_is_refused() -> None:
    with pytest.raises(ValueError, match="coalesced_writes"):
        Settings.load(environ={"MOCKAPI_TUNING": "turbo"})
