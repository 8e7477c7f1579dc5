"""The package's public surface: what `__all__` promises imports, from the package and from its modules."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import mockapi
from mockapi import Mockapi, Respond, Rule, RuleBook, ServerThread, Settings, create_app, load_rules
from mockapi.app import create_app as app_create_app
from mockapi.pytest_plugin import Mockapi as PluginMockapi
from mockapi.settings import Settings as SettingsClass

MODULES_WITH_A_SURFACE = [
    "mockapi",
    "mockapi.app",
    "mockapi.settings",
    "mockapi.fixtures",
    "mockapi.rulebook",
    "mockapi.pytest_plugin",
    "mockapi.serving",
]


def test_the_package_offers_the_app_settings_rules_and_plugin_handles() -> None:
    assert create_app is app_create_app and Settings is SettingsClass and Mockapi is PluginMockapi
    app = create_app(Settings(seed=3))
    assert app.state.mockapi.settings.seed == 3
    book = RuleBook(load_rules([]))
    rule = book.add(Rule(respond=Respond(content="hi")))
    assert rule.id == "rule-1" and [source for source, _ in book.rules()] == ["runtime"]
    assert ServerThread(app).state is app.state.mockapi


@pytest.mark.parametrize("name", MODULES_WITH_A_SURFACE)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    names = module.__all__
    assert len(names) == len(set(names)) and names, name
    assert [missing for missing in names if not hasattr(module, missing)] == []


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        mockapi.nothing_here  # noqa: B018
    assert "create_app" in dir(mockapi) and mockapi.__version__ == "0.1.0"


def test_importing_the_package_loads_no_web_framework() -> None:
    # The pytest plugin is imported by every pytest run in an environment where mockapi is installed.
    code = (
        "import sys, mockapi, mockapi.pytest_plugin; "
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'mockapi.app') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import sys; from mockapi import create_app; print('mockapi.app' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "True\n"
