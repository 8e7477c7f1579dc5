"""One Settings object, built from MOCKAPI_* environment variables and CLI flags.

This is the only module that reads the environment. A setting is one field: its description is the flag's
help (cli.py builds the flags from the fields), `MOCKAPI_` + its name in capitals is its variable.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

__all__ = ["Settings"]

ENV_PREFIX = "MOCKAPI_"

PACKAGE_DIR = Path(__file__).resolve().parent

# uvicorn's levels; anything else would only fail once uvicorn starts, with a traceback.
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
# Record and replay (recording.py): what the upstream is asked, and what the rules answer.
RecordMode = Literal["record", "record-on-miss", "replay", "proxy"]


def _split_on(separator: str) -> Callable[[Any], Any]:
    """A validator that reads a text (a variable's value) as a list; a list or tuple passes as it is."""

    def split(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return tuple(item.strip() for item in value.split(separator) if item.strip())

    return split


# A list in one variable: comma-separated, or os.pathsep-separated for paths (which may hold commas).
TextList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_on(","))]
# The serve-time tuning (tuning.py names and documents each).
TuningName = Literal["coalesced_writes", "rank_tables", "gc_freeze", "gc_full_rarely"]
TuningList = Annotated[tuple[TuningName, ...], NoDecode, BeforeValidator(_split_on(","))]
PathList = Annotated[tuple[Path, ...], NoDecode, BeforeValidator(_split_on(os.pathsep))]


def _name_to_model(pairs: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = []
    for pair in pairs:
        name, _, model = (part.strip() for part in pair.partition("="))
        if not name or not model:
            raise ValueError(f"{pair!r} is not NAME=MODEL")
        cleaned.append(f"{name}={model}")
    return tuple(cleaned)


# NAME=MODEL pairs.
MappingList = Annotated[TextList, AfterValidator(_name_to_model)]

# A bucket's name as S3 allows it (3 to 63 lowercase letters, digits, dots and hyphens), then any key prefix.
S3_URL = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?")


def builtin_fixtures_dir() -> Path:
    """The fixtures shipped with the package (wheel), else the checkout's `fixtures/`."""
    packaged = PACKAGE_DIR / "_fixtures"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "fixtures"


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


# Per-field CLI metadata (json_schema_extra): "flag" spells a flag other than --<field-name>, or is False for
# a field set by the program itself; "hidden" keeps a flag out of --help.
NOT_A_FLAG: dict[str, Any] = {"flag": False}


class Settings(BaseSettings):
    """`Settings(...)` is exactly its arguments; `Settings.load()` adds the environment and the flags."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="interface to bind")
    port: int = Field(8000, ge=0, le=65535, description="port to bind, 0 for any free one")
    fixtures: PathList = Field((), description="extra fixtures directory, repeatable")
    models: PathList = Field(
        (), description="models catalogue file (YAML or JSON) adding or overriding entries, repeatable"
    )
    seed: int = Field(0, description="seed of every generated value")
    api_keys: TextList = Field(
        (),
        description="accepted API key, repeatable; with none, any key is accepted",
        json_schema_extra={"flag": "--api-key"},
    )
    log_level: LogLevel = Field("info", description="log level; debug and trace log every request")
    cors_origins: TextList = Field(("*",), description="allowed browser origin, repeatable")
    workers: int = Field(1, ge=1, description="worker processes")
    tuning: TuningList = Field(
        ("coalesced_writes", "rank_tables", "gc_freeze", "gc_full_rarely"),
        description="serve-time tuning to apply, repeatable (none: MOCKAPI_TUNING=''; see tuning.py)",
    )
    # Simulates a real model's speed.
    stream_delay_ms: float = Field(0, ge=0, description="delay between stream chunks")
    fixed_time: int | None = Field(
        None, description="epoch seconds the clock starts at, standing still until advanced; without it, the wall clock"
    )
    # Jobs (fine-tunes, batches, background responses) and expiries move on the clock.
    job_speed: float | None = Field(
        None,
        ge=0,
        description="how fast the clock runs: 60 is a minute a second, 0 only when advanced; unset, 1 (0 with"
        " --fixed-time)",
    )
    # A batch's requests are answered one every this many clock seconds (so 30 take 30 s, or 30 h at 3600).
    batch_line_seconds: float = Field(1.0, ge=0, description="clock seconds a batch takes per request")
    # Set per worker process: keeps request and object ids unique across workers.
    id_salt: str = Field("", description="suffix of every id, per worker process", json_schema_extra=NOT_A_FLAG)
    # 25 MB audio + multipart overhead; enforced while reading.
    max_body_bytes: int = Field(32 * 1024 * 1024, ge=1024, description="largest request body accepted")
    # As front proxies cap it.
    max_header_bytes: int = Field(64 * 1024, ge=1024, description="largest header block accepted; more is a 431")
    # The real API's hour.
    image_url_ttl_seconds: float = Field(3600, gt=0, description="lifetime of served image URLs")
    image_cache_size: int = Field(256, ge=1, description="most images held for URLs, the oldest leaving first")
    image_cache_bytes: int = Field(256 * 1024 * 1024, ge=1, description="most bytes of images held for URLs")
    data_dir: Path | None = Field(None, description="keep uploaded files in this directory; without it, in memory")
    # Without a data_dir, the temporary directory where all workers keep files and served images, so that each
    # sees what another stored (see export_for_workers).
    shared_dir: Path | None = Field(
        None, description="the stores' directory shared by worker processes", json_schema_extra=NOT_A_FLAG
    )
    # Rules, counters, the journal, rate windows, stored objects and the clock, for several replicas (shared.py).
    state_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) where replicas share their state; their files go in the"
        " --data-dir or --files-url they share",
    )
    # Uploaded files and served images as objects (files_s3.py, image_s3.py): what replicas on several machines
    # share without a common directory. Credentials are boto3's (AWS_* variables, ~/.aws), never settings.
    files_url: str | None = Field(
        None,
        description="keep uploaded files and the images of URL links in an S3-compatible bucket, s3://bucket/prefix,"
        " rather than in --data-dir or memory (credentials as boto3 finds them)",
    )
    s3_endpoint_url: str | None = Field(
        None, description="the S3 API's URL for --files-url (MinIO, Ceph, localstack...); without it, AWS's"
    )
    # The reference: "the size of all the files uploaded by one organization can be up to 1 GB".
    org_storage_bytes: int = Field(1_000_000_000, ge=1, description="stored file bytes allowed per organization")
    # Uploads up to this size pass the body limit.
    max_file_bytes: int = Field(512_000_000, ge=1, description="largest uploaded file")
    # Bounds the memory (or disk) the file store may take.
    total_storage_bytes: int = Field(4_000_000_000, ge=1, description="stored file bytes allowed in all")
    control: bool = Field(True, description="the /__mockapi control API")
    control_token: str | None = Field(None, description="bearer token the control API requires")
    journal_size: int = Field(1000, ge=0, description="requests kept in the journal; 0 keeps none")
    rpm: int | None = Field(None, ge=1, description="requests per minute allowed per API key")
    tpm: int | None = Field(None, ge=1, description="tokens per minute allowed per API key")
    # Azure OpenAI's paths: a deployment serves the model it is named after, or the one given here.
    azure_deployments: MappingList = Field(
        (),
        description="an Azure OpenAI deployment and the model it serves, NAME=MODEL, repeatable",
        json_schema_extra={"flag": "--azure-deployment"},
    )
    # 60 as on the real API; shorter in tests.
    rate_window_seconds: float = Field(
        60, gt=0, description="length of the rate-limit window", json_schema_extra={"hidden": True}
    )

    # Record and replay (recording.py): requests forwarded to a real API, their answers written as rules.
    upstream: str | None = Field(
        None, description="OpenAI-compatible base URL to forward requests to, as the SDKs take it (ends in /v1)"
    )
    record: Path | None = Field(None, description="directory recorded rules are written to and replayed from")
    mode: RecordMode | None = Field(
        None,
        description="what goes upstream; unset: record with --upstream and --record, proxy with --upstream alone,"
        " replay with --record alone",
    )
    upstream_key_env: str = Field(
        "OPENAI_API_KEY",
        min_length=1,
        description="variable holding the upstream's API key; unset or empty, the client's key is passed through",
    )
    # The SDKs' own default: a long completion may take minutes.
    upstream_timeout: float = Field(
        600, gt=0, description="seconds to wait for the upstream to connect, to answer, and between its chunks"
    )

    @field_validator("upstream", "s3_endpoint_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @field_validator("state_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} is not a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("files_url")
    @classmethod
    def _s3_url(cls, value: str | None) -> str | None:
        if value is not None and not S3_URL.fullmatch(value):
            raise ValueError(f"{value!r} is not an s3://bucket or s3://bucket/prefix URL")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _shared_files_fit(self) -> Settings:
        if self.state_url is not None and self.data_dir is None and self.files_url is None:
            raise ValueError(
                "--state-url needs --data-dir or --files-url: the directory or the bucket the replicas share for"
                " their files"
            )
        return self

    @model_validator(mode="after")
    def _recording_fits(self) -> Settings:
        mode = self.recording_mode
        if mode in ("record", "record-on-miss", "proxy") and self.upstream is None:
            raise ValueError(f"--mode {mode} needs --upstream URL")
        if mode in ("record", "record-on-miss", "replay") and self.record is None:
            raise ValueError(f"--mode {mode} needs --record DIR")
        if mode in ("record", "record-on-miss") and (self.workers > 1 or self.state_url is not None):
            raise ValueError(f"--mode {mode} needs a single worker process: each would record its own sequences")
        return self

    @property
    def recording_mode(self) -> RecordMode | None:
        """The mode given, else the one the flags imply (None: no upstream, no recording)."""
        if self.mode is not None:
            return self.mode
        if self.upstream is not None:
            return "record" if self.record is not None else "proxy"
        return "replay" if self.record is not None else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the arguments: a MOCKAPI_* variable of the shell running the tests must not reach the settings
        they build. `load` is where the environment is read."""
        return (init_settings,)

    @property
    def fixture_dirs(self) -> tuple[Path, ...]:
        """Built-in fixtures first, then the user's directories in the order given; a directory named twice
        (the built-in one among them) is read once."""
        seen: set[Path] = set()
        ordered = []
        # Recorded rules answer in replay and record-on-miss (in record mode nothing is matched).
        recorded = (self.record,) if self.record and self.recording_mode in ("replay", "record-on-miss") else ()
        for directory in (builtin_fixtures_dir(), *self.fixtures, *recorded):
            key = directory.resolve()
            if key not in seen:
                seen.add(key)
                ordered.append(directory)
        return tuple(ordered)

    @property
    def shares_state(self) -> bool:
        """Whether other processes (workers, replicas) share this one's state."""
        return self.workers > 1 or self.state_url is not None

    @property
    def shared_store_dir(self) -> Path | None:
        """With several worker processes, where the stores every worker must see live; else None."""
        return (self.data_dir or self.shared_dir) if self.workers > 1 else None

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """The environment (os.environ unless given), then explicit overrides (CLI flags) that are not None.
        A bad value is reported at its variable (`MOCKAPI_LOG_LEVEL`) when it came from the environment."""
        from_env = _Environment(cls, os.environ if environ is None else environ)()
        flags = {name: value for name, value in (overrides or {}).items() if value is not None}
        try:
            return cls(**{**from_env, **flags})
        except ValidationError as exc:
            raise _located(exc, {name: env_name(name) for name in from_env if name not in flags}) from None


class _Environment(EnvSettingsSource):
    """The MOCKAPI_* variables of one mapping; an empty one leaves an optional setting unset."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}

    def prepare_field_value(self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool) -> Any:
        if value == "" and field.default is None:
            return None  # skipped: the default, None
        return super().prepare_field_value(field_name, field, value, value_is_complex)


def _located(exc: ValidationError, variables: Mapping[str, str]) -> ValidationError:
    """The same errors, each value that came from the environment located at its variable."""
    located: list[Any] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if loc and loc[0] in variables:
            loc = (variables[str(loc[0])], *loc[1:])
        detail = {"type": error["type"], "loc": loc, "input": error["input"]}
        if "ctx" in error:
            detail["ctx"] = error["ctx"]
        located.append(detail)
    return ValidationError.from_exception_data(exc.title, located)


def upstream_key(settings: Settings) -> str | None:
    """The upstream's API key, from the variable --upstream-key-env names (never kept in the settings, so
    it is never serialised with them); None when it is unset or empty."""
    return os.environ.get(settings.upstream_key_env) or None


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
