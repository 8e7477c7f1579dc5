"""A real mockapi server in a subprocess on a free port, for tests where the transport matters."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
import openai

API_KEY = "sk-test-1234567890abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The flags every test server gets unless its environment sets the same thing (then the variable applies).
DEFAULT_FLAGS = {"MOCKAPI_PORT": "--port", "MOCKAPI_LOG_LEVEL": "--log-level"}


class ServerProcess:
    def __init__(self, args: Sequence[str] = (), env: Mapping[str, str] | None = None, port: int | None = None):
        given = dict(env or {})
        self.port = int(given["MOCKAPI_PORT"]) if "MOCKAPI_PORT" in given else port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.base_url = self.url + "/v1"
        self.args = list(args)
        self.env = {**os.environ, **given}
        self.defaults = {"--port": str(self.port), "--log-level": "warning"}
        for variable, flag in DEFAULT_FLAGS.items():
            if variable in given:
                del self.defaults[flag]
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"mockapi-test-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        command = [sys.executable, "-m", "mockapi", "serve"]
        for flag, value in self.defaults.items():
            command += [flag, value]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([*command, *self.args], stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mockapi exited with {self.process.returncode}: {self.output()}")
            try:
                if httpx.get(self.url + "/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mockapi did not become healthy: {self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def error_of(response: httpx.Response) -> dict[str, object]:
    """The `error` object of an OpenAI-shaped error body, checking all four keys are present."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    return dict(error)


def sdk_client(process: ServerProcess, key: str = API_KEY, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=process.base_url, api_key=key, max_retries=0, **kwargs)


def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of `seconds` of silence: audio whose duration the server can read."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()
