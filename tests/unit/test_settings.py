"""Settings from MOCKAPI_* variables and flags; a bad value names where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from mockapi.cli import main
from mockapi.settings import Settings, builtin_fixtures_dir


def test_variables_apply_and_flags_win() -> None:
    environ = {"MOCKAPI_LOG_LEVEL": "debug", "MOCKAPI_PORT": "9001", "MOCKAPI_API_KEYS": "sk-a, sk-b"}
    settings = Settings.load(environ=environ)
    assert (settings.log_level, settings.port, settings.api_keys) == ("debug", 9001, ("sk-a", "sk-b"))
    assert Settings.load({"log_level": "error"}, environ={"MOCKAPI_LOG_LEVEL": "bogus"}).log_level == "error"


def test_a_bad_variable_is_named_in_the_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.load(environ={"MOCKAPI_LOG_LEVEL": "bogus", "MOCKAPI_PORT": "70000"})
    message = str(caught.value)
    assert (
        "\nMOCKAPI_LOG_LEVEL\n  Input should be 'critical', 'error', 'warning', 'info', 'debug' or 'trace'" in message
    )
    assert "\nMOCKAPI_PORT\n  Input should be less than or equal to 65535" in message


def test_a_bad_flag_keeps_the_field_name() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.load({"log_level": "bogus"}, environ={})
    assert "\nlog_level\n" in str(caught.value) and "MOCKAPI_" not in str(caught.value)


def test_a_fixtures_directory_named_twice_is_read_once(tmp_path: Path) -> None:
    settings = Settings(fixtures=(builtin_fixtures_dir(), tmp_path, tmp_path / "."))
    assert settings.fixture_dirs == (builtin_fixtures_dir(), tmp_path)


def test_check_fixtures_accepts_the_built_in_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-fixtures", str(builtin_fixtures_dir())]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
