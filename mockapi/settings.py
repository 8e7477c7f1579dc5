"""One Settings object, built from MOCKAPI_* environment variables and CLI flags.

This is the only module that reads the environment.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["Settings"]

ENV_PREFIX = "MOCKAPI_"

PACKAGE_DIR = Path(__file__).resolve().parent

# uvicorn's levels; anything else would only fail once uvicorn starts, with a traceback.
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]


def builtin_fixtures_dir() -> Path:
    """The fixtures shipped with the package (wheel), else the checkout's `fixtures/`."""
    packaged = PACKAGE_DIR / "_fixtures"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "fixtures"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    fixtures: tuple[Path, ...] = ()
    seed: int = 0
    api_keys: tuple[str, ...] = ()
    log_level: LogLevel = "info"
    cors_origins: tuple[str, ...] = ("*",)
    workers: int = Field(1, ge=1)
    # Streaming pacing: delay between SSE chunks, to simulate a real model's speed.
    stream_delay_ms: float = Field(0, ge=0)
    # A fixed epoch for every `created` timestamp; None means the wall clock.
    fixed_time: int | None = None
    # Largest request body accepted, enforced while reading (25 MB audio + multipart overhead).
    # Set per worker process (not a flag): keeps request and object ids unique across workers.
    id_salt: str = ""
    max_body_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    # Largest header block accepted (names and values), as front proxies cap it; more is a 431.
    max_header_bytes: int = Field(64 * 1024, ge=1024)
    # Served image URLs (response_format=url): how long a link lives (the real API's hour) and how many
    # images, and bytes, the in-memory cache holds before evicting the oldest.
    image_url_ttl_seconds: float = Field(3600, gt=0)
    image_cache_size: int = Field(256, ge=1)
    image_cache_bytes: int = Field(256 * 1024 * 1024, ge=1)
    # Files: None keeps them in memory; a directory keeps them across restarts.
    data_dir: Path | None = None
    # Set for worker processes (not a flag) when there is no data_dir: the temporary directory where all of
    # them keep files and served images, so that each sees what another stored (see export_for_workers).
    shared_dir: Path | None = None
    # The reference: "the size of all the files uploaded by one organization can be up to 1 GB".
    org_storage_bytes: int = Field(1_000_000_000, ge=1)
    # Largest single file; uploads up to this size pass the body limit above.
    max_file_bytes: int = Field(512_000_000, ge=1)
    # All organizations together: bounds the memory (or disk) the file store may take.
    total_storage_bytes: int = Field(4_000_000_000, ge=1)
    # Scenarios: the control API under /__mockapi, the request journal, rate limits.
    control: bool = True
    control_token: str | None = None
    journal_size: int = Field(1000, ge=0)
    rpm: int | None = Field(None, ge=1)
    tpm: int | None = Field(None, ge=1)
    # Length of the rate-limit window; 60 as on the real API (shorter in tests).
    rate_window_seconds: float = Field(60, gt=0)

    @property
    def fixture_dirs(self) -> tuple[Path, ...]:
        """Built-in fixtures first, then the user's directories in the order given; a directory named twice
        (the built-in one among them) is read once."""
        seen: set[Path] = set()
        ordered = []
        for directory in (builtin_fixtures_dir(), *self.fixtures):
            key = directory.resolve()
            if key not in seen:
                seen.add(key)
                ordered.append(directory)
        return tuple(ordered)

    @property
    def shared_store_dir(self) -> Path | None:
        """With several worker processes, where the stores every worker must see live; else None."""
        return (self.data_dir or self.shared_dir) if self.workers > 1 else None

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Environment first, then explicit overrides (CLI flags) that are not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        from_env: set[str] = set()
        for name, field in cls.model_fields.items():
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = _parse_env(raw, field.annotation)
                from_env.add(name)
        for name, value in (overrides or {}).items():
            if value is not None:
                values[name] = value
                from_env.discard(name)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _located_in_env(exc, from_env) from None


def _located_in_env(exc: ValidationError, from_env: set[str]) -> ValidationError:
    """The same errors, each value that came from the environment located at its variable
    (`MOCKAPI_LOG_LEVEL` rather than `log_level`), so the message says what to fix."""
    located: list[Any] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if loc and loc[0] in from_env:
            loc = (ENV_PREFIX + str(loc[0]).upper(), *loc[1:])
        detail = {"type": error["type"], "loc": loc, "input": error["input"]}
        if "ctx" in error:
            detail["ctx"] = error["ctx"]
        located.append(detail)
    return ValidationError.from_exception_data(exc.title, located)


def _parse_env(raw: str, annotation: Any) -> Any:
    """Tuples come from comma-separated lists (os.pathsep for paths); booleans from 1/true/yes."""
    text = str(annotation)
    if text.startswith("tuple"):
        sep = os.pathsep if "Path" in text else ","
        return tuple(item.strip() for item in raw.split(sep) if item.strip())
    if annotation is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if raw == "" and "None" in text:
        return None
    return raw


# Worker processes started by uvicorn rebuild the app from this variable.
SERIALIZED_ENV = ENV_PREFIX + "SETTINGS_JSON"


def export_for_workers(settings: Settings) -> Settings:
    """Hand the settings to the worker processes about to start. Without a data directory they get a
    private temporary one, made here in the parent and removed when it exits, to share their stores in."""
    if settings.workers > 1 and settings.data_dir is None and settings.shared_dir is None:
        shared = Path(tempfile.mkdtemp(prefix="mockapi-workers-"))
        atexit.register(shutil.rmtree, shared, ignore_errors=True)
        settings = settings.model_copy(update={"shared_dir": shared})
    os.environ[SERIALIZED_ENV] = settings.model_dump_json()
    return settings


def settings_for_worker() -> Settings:
    raw = os.environ.get(SERIALIZED_ENV)
    return Settings.model_validate_json(raw) if raw else Settings.load()
