"""`mockapi serve | routes | check-fixtures`: flags -> Settings -> create_app -> uvicorn."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, get_args

from fastapi import FastAPI
from pydantic import ValidationError

from mockapi.fixtures import RuleFileError
from mockapi.memory import fix_allocator_thresholds, release_free_memory, trim_after_full_collections
from mockapi.serving import uvicorn_options
from mockapi.settings import LogLevel, Settings, export_for_workers, settings_for_worker

LOG_LEVELS = get_args(LogLevel)


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """Every flag defaults to None so that MOCKAPI_* variables (read by Settings.load) apply."""
    parser.add_argument("--host", help="interface to bind (MOCKAPI_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (MOCKAPI_PORT; default 8000)")
    parser.add_argument(
        "--fixtures",
        type=Path,
        action="append",
        help="extra fixtures directory, repeatable (MOCKAPI_FIXTURES)",
    )
    parser.add_argument("--seed", type=int, help="seed of every generated value (MOCKAPI_SEED; default 0)")
    parser.add_argument(
        "--api-key", dest="api_keys", action="append", help="accepted API key, repeatable (MOCKAPI_API_KEYS)"
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, help="(MOCKAPI_LOG_LEVEL; default info)")
    parser.add_argument(
        "--cors-origins",
        action="append",
        help="allowed browser origin, repeatable (MOCKAPI_CORS_ORIGINS; default *)",
    )
    parser.add_argument("--workers", type=int, help="worker processes (MOCKAPI_WORKERS; default 1)")
    parser.add_argument(
        "--stream-delay-ms",
        type=float,
        help="delay between stream chunks (MOCKAPI_STREAM_DELAY_MS; default 0)",
    )
    parser.add_argument("--fixed-time", type=int, help="epoch seconds for every `created` (MOCKAPI_FIXED_TIME)")
    parser.add_argument("--max-body-bytes", type=int, help="largest request body accepted (MOCKAPI_MAX_BODY_BYTES)")
    parser.add_argument(
        "--no-control", dest="control", action="store_const", const=False, help="serve no /__mockapi control API"
    )
    parser.add_argument("--control-token", help="bearer token the control API requires (MOCKAPI_CONTROL_TOKEN)")
    parser.add_argument("--journal-size", type=int, help="requests kept in the journal (MOCKAPI_JOURNAL_SIZE; 1000)")
    parser.add_argument("--rpm", type=int, help="requests per minute allowed per API key (MOCKAPI_RPM)")
    parser.add_argument("--tpm", type=int, help="tokens per minute allowed per API key (MOCKAPI_TPM)")
    parser.add_argument("--rate-window-seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument(
        "--max-header-bytes", type=int, help="largest header block accepted (MOCKAPI_MAX_HEADER_BYTES; default 64 KiB)"
    )
    parser.add_argument(
        "--image-url-ttl-seconds",
        type=float,
        help="lifetime of served image URLs (MOCKAPI_IMAGE_URL_TTL_SECONDS; default 3600)",
    )
    parser.add_argument(
        "--image-cache-size", type=int, help="most images held for URLs (MOCKAPI_IMAGE_CACHE_SIZE; default 256)"
    )
    parser.add_argument(
        "--image-cache-bytes",
        type=int,
        help="most bytes of images held for URLs (MOCKAPI_IMAGE_CACHE_BYTES; default 256 MiB)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep uploaded files in this directory (MOCKAPI_DATA_DIR; default: memory)"
    )
    parser.add_argument(
        "--org-storage-bytes",
        type=int,
        help="stored file bytes allowed per organization (MOCKAPI_ORG_STORAGE_BYTES; default 1000000000)",
    )
    parser.add_argument(
        "--max-file-bytes", type=int, help="largest uploaded file (MOCKAPI_MAX_FILE_BYTES; default 512000000)"
    )
    parser.add_argument(
        "--total-storage-bytes",
        type=int,
        help="stored file bytes allowed in all (MOCKAPI_TOTAL_STORAGE_BYTES; default 4000000000)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockapi", description="An offline emulation of the OpenAI REST API.")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_settings_flags(commands.add_parser("serve", help="serve the API"))
    _add_settings_flags(commands.add_parser("routes", help="print the routes served"))
    check = commands.add_parser("check-fixtures", help="validate fixture directories without serving")
    check.add_argument("directories", type=Path, nargs="+")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in Settings.model_fields if getattr(args, name, None) is not None
    }
    return Settings.load(overrides)


def _exit_0_on_sigterm() -> None:
    """uvicorn re-raises SIGTERM once its graceful shutdown is done, so the process would die of the
    signal (status -15); a requested stop (docker stop, CI teardown) that drained cleanly is a success."""

    def stopped(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stopped)


def worker_app() -> FastAPI:
    """Factory for uvicorn's worker processes."""
    from mockapi.app import create_app

    app = create_app(settings_for_worker().model_copy(update={"id_salt": f"-worker-{os.getpid()}"}))
    settle_heap()
    return app


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's sight (`gc.freeze`): those
    objects live as long as the process, and scanning them on every full collection stalls requests."""
    fix_allocator_thresholds()
    release_free_memory()
    gc.freeze()
    trim_after_full_collections()


def serve(settings: Settings) -> int:
    import uvicorn

    from mockapi.app import create_app

    app = create_app(settings)  # also validates fixtures before binding
    settle_heap()
    _exit_0_on_sigterm()
    options = {"host": settings.host, "port": settings.port, **uvicorn_options(settings)}
    if settings.workers > 1:
        export_for_workers(settings)
        uvicorn.run("mockapi.cli:worker_app", factory=True, workers=settings.workers, **options)
    else:
        uvicorn.run(app, **options)
    return 0


def print_routes(settings: Settings) -> int:
    from mockapi.app import create_app

    # The OpenAPI document is FastAPI's public view of every mounted route.
    for path, operations in create_app(settings).openapi()["paths"].items():
        for method in operations:
            print(f"{method.upper():7} {path}")
    return 0


def check_fixtures(directories: Sequence[Path]) -> int:
    from mockapi.app import create_app

    create_app(Settings(fixtures=tuple(directories)))
    print(f"ok: {', '.join(str(d) for d in directories)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check-fixtures":
            return check_fixtures(args.directories)
        settings = _settings(args)
        return serve(settings) if args.command == "serve" else print_routes(settings)
    except (RuleFileError, ValidationError) as exc:
        print(f"mockapi: {exc}", file=sys.stderr)
        return 2
