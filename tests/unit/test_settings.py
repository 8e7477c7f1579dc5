"""Settings from MOCKAPI_* variables and flags; a bad value names where it came from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from mockapi.cli import build_parser, main, settings_from
from mockapi.settings import (
    SERIALIZED_ENV,
    Settings,
    builtin_fixtures_dir,
    env_name,
    export_for_workers,
    settings_for_worker,
)


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


def test_plain_settings_do_not_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKAPI_PORT", "9002")
    monkeypatch.setenv("MOCKAPI_API_KEYS", "sk-shell")
    assert (Settings().port, Settings(seed=3).api_keys) == (8000, ())
    assert (Settings.load().port, Settings.load().api_keys) == (9002, ("sk-shell",))


def test_variables_hold_lists_booleans_and_unset_optionals() -> None:
    environ = {
        "MOCKAPI_FIXTURES": os.pathsep.join(["/srv/a,b", "/srv/c"]),
        "MOCKAPI_CORS_ORIGINS": "http://a.example, http://b.example,",
        "MOCKAPI_CONTROL": "off",
        "MOCKAPI_FIXED_TIME": "",
        "MOCKAPI_RPM": "",
        "MOCKAPI_DATA_DIR": "",
    }
    settings = Settings.load(environ=environ)
    assert settings.fixtures == (Path("/srv/a,b"), Path("/srv/c"))
    assert settings.cors_origins == ("http://a.example", "http://b.example")
    assert (settings.control, settings.fixed_time, settings.rpm, settings.data_dir) == (False, None, None, None)
    for word, value in [("1", True), ("true", True), ("yes", True), ("on", True), ("0", False), ("no", False)]:
        assert Settings.load(environ={"MOCKAPI_CONTROL": word}).control is value
    with pytest.raises(ValidationError, match="\nMOCKAPI_CONTROL\n"):
        Settings.load(environ={"MOCKAPI_CONTROL": "maybe"})


def test_every_flag_spelling_sets_its_setting(tmp_path: Path) -> None:
    argv = ["serve", "--api-key", "sk-a", "--api-key", "sk-b", "--no-control", "--fixtures", str(tmp_path)]
    argv += ["--fixtures", "more", "--cors-origins", "http://a.example", "--rate-window-seconds", "2.5"]
    argv += ["--log-level", "debug", "--port", "0", "--fixed-time", "1700000000", "--data-dir", str(tmp_path)]
    argv += ["--stream-delay-ms", "1.5", "--control-token", "t", "--rpm", "3"]
    settings = settings_from(build_parser().parse_args(argv), environ={"MOCKAPI_SEED": "5"})
    assert settings.api_keys == ("sk-a", "sk-b") and settings.control is False
    assert settings.fixtures == (tmp_path, Path("more")) and settings.cors_origins == ("http://a.example",)
    assert (settings.rate_window_seconds, settings.log_level, settings.port) == (2.5, "debug", 0)
    assert (settings.fixed_time, settings.data_dir, settings.stream_delay_ms) == (1700000000, tmp_path, 1.5)
    assert (settings.control_token, settings.rpm, settings.seed) == ("t", 3, 5)


def test_a_bucket_for_the_files_is_an_s3_url_and_serves_replicas_without_a_data_dir() -> None:
    argv = ["serve", "--files-url", "s3://files.example-1/some/prefix/", "--s3-endpoint-url", "http://minio:9000/"]
    argv += ["--state-url", "redis://redis:6379/0"]
    settings = settings_from(build_parser().parse_args(argv), environ={})
    assert (settings.files_url, settings.s3_endpoint_url) == ("s3://files.example-1/some/prefix", "http://minio:9000")
    assert settings.data_dir is None
    from_env = Settings.load(environ={"MOCKAPI_FILES_URL": "s3://bucket", "MOCKAPI_S3_ENDPOINT_URL": ""})
    assert (from_env.files_url, from_env.s3_endpoint_url) == ("s3://bucket", None)
    with pytest.raises(ValidationError, match="--state-url needs --data-dir or --files-url"):
        Settings(state_url="redis://redis:6379/0")
    with pytest.raises(ValidationError, match="is not an http:// or https:// URL"):
        Settings(files_url="s3://bucket", s3_endpoint_url="minio:9000")


@pytest.mark.parametrize("url", ["s3:/bucket", "http://bucket/x", "s3://", "s3://ab", "s3://Upper/x", "s3://a b/c"])
def test_a_files_url_must_name_a_bucket(url: str) -> None:
    with pytest.raises(ValidationError, match="is not an s3://bucket or s3://bucket/prefix URL"):
        Settings(files_url=url)


def test_unset_flags_leave_the_environment_and_defaults_alone() -> None:
    args = build_parser().parse_args(["serve"])
    assert settings_from(args, environ={"MOCKAPI_API_KEYS": "sk-env", "MOCKAPI_CONTROL": "0"}) == Settings(
        api_keys=("sk-env",), control=False
    )
    assert settings_from(args, environ={}) == Settings()


def test_serve_help_shows_every_flag_with_its_variable_and_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    hidden = {"id_salt", "shared_dir", "rate_window_seconds"}
    for name, field in Settings.model_fields.items():
        if name not in hidden:
            assert f"{field.description} ({env_name(name)}" in shown, name
        else:
            assert env_name(name) not in shown, name
    for fragment in (
        "--api-key API_KEY accepted API key",
        "(MOCKAPI_PORT; default 8000)",
        "(MOCKAPI_CORS_ORIGINS; default *)",
        "--no-control turns off the /__mockapi control API (MOCKAPI_CONTROL; default on)",
        "--log-level {critical,error,warning,info,debug,trace}",
        "(MOCKAPI_MAX_BODY_BYTES; default 33554432)",
        "(MOCKAPI_FIXED_TIME)",
    ):
        assert fragment in shown
    assert "--rate-window-seconds" not in shown and "--id-salt" not in shown and "--shared-dir" not in shown


def test_a_bad_flag_value_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--port", "70000"]) == 2
    assert capsys.readouterr().err.startswith("mockapi: 1 validation error for Settings\nport\n")


def test_worker_processes_get_the_settings_of_the_parent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(SERIALIZED_ENV, raising=False)
    parent = Settings(workers=2, api_keys=("sk-a",), fixtures=(tmp_path,), rpm=4, control=False)
    exported = export_for_workers(parent)
    assert exported.shared_dir is not None and exported.shared_dir.is_dir()
    monkeypatch.setenv("MOCKAPI_SEED", "99")  # the serialized settings are the whole truth in a worker
    assert settings_for_worker() == exported == parent.model_copy(update={"shared_dir": exported.shared_dir})
    with_data = export_for_workers(Settings(workers=2, data_dir=tmp_path))
    assert with_data.shared_dir is None and settings_for_worker().data_dir == tmp_path
