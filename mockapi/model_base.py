"""The base of mockapi's pydantic models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """A pydantic model whose validator is built on its first use rather than at import: a server starts
    without building the two hundred models of routes it may never serve (a fifth of a cold start,
    bench/RESULTS.md). Subclasses' own `model_config` adds to this one."""

    model_config = ConfigDict(defer_build=True)
