"""mockapi: a local, offline, deterministic emulation of the OpenAI REST API.

The public surface, importable from here (each loads with its first use, so that importing the package, as
the pytest plugin does at start-up, stays cheap):

- `create_app(settings)`: the ASGI app (mockapi.app); `Settings`: every setting (mockapi.settings).
- `Rule`, `Respond`, `load_rules`: fixture rules and their files (mockapi.fixtures); `RuleBook`: the rules in
  force (mockapi.rulebook).
- `Mockapi`, `ServerThread`: what the pytest plugin's `mockapi` fixture gives a test, and its server
  (mockapi.pytest_plugin).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockapi.app import create_app as create_app
    from mockapi.fixtures import Respond as Respond
    from mockapi.fixtures import Rule as Rule
    from mockapi.fixtures import load_rules as load_rules
    from mockapi.pytest_plugin import Mockapi as Mockapi
    from mockapi.pytest_plugin import ServerThread as ServerThread
    from mockapi.rulebook import RuleBook as RuleBook
    from mockapi.settings import Settings as Settings

__version__ = "0.1.0"

# Each public name and the module that defines it.
_HOMES = {
    "create_app": "mockapi.app",
    "Settings": "mockapi.settings",
    "Rule": "mockapi.fixtures",
    "Respond": "mockapi.fixtures",
    "load_rules": "mockapi.fixtures",
    "RuleBook": "mockapi.rulebook",
    "Mockapi": "mockapi.pytest_plugin",
    "ServerThread": "mockapi.pytest_plugin",
}

__all__ = [
    "Mockapi",
    "Respond",
    "Rule",
    "RuleBook",
    "ServerThread",
    "Settings",
    "__version__",
    "create_app",
    "load_rules",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mockapi' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
