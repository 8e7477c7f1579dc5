from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hardening.figures import FIGURES
from tests.support import ServerProcess


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.write_sep("-", "hardening figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def own_server() -> Iterator[ServerProcess]:
    """A server for this module alone: what it is put through must not show in other tests' answers."""
    with ServerProcess(["--fixed-time", "1700000000", "--image-cache-size", "16"]) as process:
        yield process


@pytest.fixture(scope="module")
def control_server() -> Iterator[ServerProcess]:
    """A server whose control API needs a token, for the fuzz of /__mockapi."""
    from tests.hardening.routes_control import CONTROL_TOKEN

    with ServerProcess(["--control-token", CONTROL_TOKEN, "--fixed-time", "1700000000"]) as process:
        yield process
