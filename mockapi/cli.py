"""`mockapi serve | routes | check-fixtures`: flags -> Settings -> create_app -> uvicorn."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

from fastapi import FastAPI
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from mockapi.fixtures import RuleFileError, read_rule_file, reused_id, rule_paths
from mockapi.serving import uvicorn_options
from mockapi.settings import Settings, env_name, export_for_workers, settings_for_worker


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """A flag per setting, made from its field and the field's CLI metadata (see settings.py). Every flag
    defaults to None so that MOCKAPI_* variables (read by Settings.load) apply."""
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("flag") is not False:
            flag, options = _flag(name, field, extra)
            parser.add_argument(flag, **options)


def _flag(name: str, field: FieldInfo, extra: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The flag's spelling and its add_argument options; its help ends with its variable and default."""
    flag = str(extra.get("flag") or "--" + name.replace("_", "-"))
    kind, args = _value_type(field.annotation)
    description = field.description
    if kind is bool:
        # The flag turns the default over: --no-control for a setting that is on.
        flag = "--no-" + flag[2:] if field.default else flag
        description = f"turns {'off' if field.default else 'on'} {description}"
    shown = f"{description} ({env_name(name)}{_shown_default(field.default)})"
    options: dict[str, Any] = {"dest": name, "help": argparse.SUPPRESS if extra.get("hidden") else shown}
    metavar = flag[2:].upper().replace("-", "_")
    if kind is bool:
        options.update(action="store_const", const=not field.default)
    elif kind is tuple:
        options.update(action="append", type=args[0], metavar=metavar)
    elif kind is Literal:
        options.update(choices=args)
    else:
        options.update(type=kind, metavar=metavar)
    return flag, options


def _value_type(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """What argparse parses a field's value as: (bool | tuple | Literal | a type, its arguments)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, UnionType):
        (inner,) = (arg for arg in args if arg is not type(None))
        return _value_type(inner)
    if origin is tuple:
        return tuple, args[:1]
    if origin is Literal:
        return Literal, args
    return annotation, ()


def _shown_default(default: Any) -> str:
    if default is None or default == ():
        return ""
    if isinstance(default, tuple):
        default = ",".join(map(str, default))
    elif isinstance(default, bool):
        default = "on" if default else "off"
    return f"; default {default}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockapi", description="An offline emulation of the OpenAI REST API.")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_settings_flags(commands.add_parser("serve", help="serve the API"))
    _add_settings_flags(commands.add_parser("routes", help="print the routes served"))
    check = commands.add_parser("check-fixtures", help="validate fixture directories without serving")
    check.add_argument("directories", type=Path, nargs="+")
    return parser


def settings_from(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings of `serve` or `routes`: the environment (os.environ unless given), then the flags given."""
    return Settings.load({name: getattr(args, name, None) for name in Settings.model_fields}, environ)


def _exit_0_on_sigterm() -> None:
    """uvicorn re-raises SIGTERM once its graceful shutdown is done, so the process would die of the
    signal (status -15); a requested stop (docker stop, CI teardown) that drained cleanly is a success."""

    def stopped(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stopped)


def worker_app() -> FastAPI:
    """Factory for uvicorn's worker processes."""
    from mockapi.app import create_app

    settings = settings_for_worker().model_copy(update={"id_salt": f"-worker-{os.getpid()}"})
    from mockapi import tuning

    app = create_app(settings)
    tuning.apply(settings.tuning)
    return app


def serve(settings: Settings) -> int:
    import uvicorn

    from mockapi import tuning
    from mockapi.app import create_app
    from mockapi.state import discard_board

    discard_board(settings)
    app = create_app(settings)  # also validates fixtures before binding
    tuning.apply(settings.tuning)
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


def check_rule_files(directories: Sequence[Path]) -> tuple[int, list[str]]:
    """How many rules the directories hold that load, and every problem found (not only the first)."""
    count, problems = 0, []
    seen: dict[str, Path] = {}
    try:
        for path in rule_paths(directories):
            rules, found = read_rule_file(path)
            problems += found
            for index, rule in enumerate(rules):
                problem = reused_id(path, index, rule, seen)
                if problem:
                    problems.append(problem)
                else:
                    count += 1
    except RuleFileError as exc:
        problems.append(str(exc))
    return count, problems


def check_fixtures(directories: Sequence[Path]) -> int:
    """Every rule file of the directories checked (recorded rules too, and the files they read), each problem
    reported, not only the first; then the catalogue files, as the server would load them."""
    from mockapi.app import create_app

    count, problems = check_rule_files(directories)
    for problem in problems:
        print(f"mockapi: {problem}", file=sys.stderr)
    if problems:
        print(f"mockapi: {len(problems)} rule problem{'s' if len(problems) > 1 else ''} found", file=sys.stderr)
        return 2
    create_app(Settings(fixtures=tuple(directories)))
    print(f"ok: {count} rule{'' if count == 1 else 's'} in {', '.join(str(d) for d in directories)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check-fixtures":
            return check_fixtures(args.directories)
        settings = settings_from(args)
        return serve(settings) if args.command == "serve" else print_routes(settings)
    except (RuleFileError, ValidationError) as exc:
        print(f"mockapi: {exc}", file=sys.stderr)
        return 2
