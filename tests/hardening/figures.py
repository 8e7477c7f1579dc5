"""Figures the hardening tests report (requests sent, 5xx count, RSS...), printed at the end of the run
by this folder's conftest, whatever pytest's capture and verbosity options."""

from __future__ import annotations

FIGURES: list[str] = []


def report(line: str) -> None:
    FIGURES.append(line)
