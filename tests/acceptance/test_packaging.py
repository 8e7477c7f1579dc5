"""The installed package: console script, Dockerfile command, and the fixtures and py.typed marker shipped in the
wheel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from mockapi.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _dockerfile_instruction(name: str) -> str:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    (line,) = [line for line in lines if line.startswith(name + " ")]
    return line[len(name) + 1 :]


def test_dockerfile_cmd_is_a_command_the_package_accepts() -> None:
    command = json.loads(_dockerfile_instruction("CMD"))
    assert command[0] == "mockapi"
    assert shutil.which("mockapi", path=str(Path(sys.executable).parent)), "console script not installed"
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve" and args.host == "0.0.0.0"
    assert _dockerfile_instruction("EXPOSE") == "8000"
    assert "/health" in (ROOT / "Dockerfile").read_text()


def test_console_script_and_module_print_the_routes() -> None:
    script = Path(sys.executable).parent / "mockapi"
    for command in ([str(script), "routes"], [sys.executable, "-m", "mockapi", "routes"]):
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        assert "GET     /v1/models\n" in out
        assert "GET     /v1/models/{model}\n" in out


def test_serve_help_lists_every_flag() -> None:
    out = subprocess.run([sys.executable, "-m", "mockapi", "serve", "--help"], capture_output=True, text=True).stdout
    for flag in ("--host", "--port", "--fixtures", "--seed", "--api-key", "--log-level", "--cors-origins"):
        assert flag in out


@pytest.mark.timeout(300)
def test_wheel_ships_the_builtin_fixtures_and_py_typed(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("mockapi-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "mockapi/_fixtures/models.yaml" in names
        # Type checkers read the package's annotations (PEP 561).
        assert "mockapi/py.typed" in names
        # The inspector's page is served from the package.
        assert {f"mockapi/inspector/{name}" for name in ("index.html", "app.js", "style.css")} <= names
        shipped = yaml.safe_load(archive.read("mockapi/_fixtures/models.yaml"))
    checkout = yaml.safe_load((ROOT / "fixtures" / "models.yaml").read_text())
    assert shipped == checkout
    for path in (ROOT / "fixtures").rglob("*"):
        if path.is_file():
            assert f"mockapi/_fixtures/{path.relative_to(ROOT / 'fixtures')}" in names
