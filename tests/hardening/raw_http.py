"""HTTP/1.1 over a plain socket, for requests no client library will send (lying lengths, huge headers,
bodies that go on after the server has answered)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

# A server that neither answers nor closes within this long has hung: the test fails instead of waiting.
SOCKET_TIMEOUT = 30.0


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    # How many body bytes the client had sent when the answer was complete.
    body_bytes_sent: int = 0

    def json(self) -> object:
        return orjson.loads(self.body)


def exchange(port: int, head: bytes, body: Iterable[bytes] = ()) -> RawResponse:
    """Send `head` (request line and headers, without the blank line), then `body` from a second thread
    while the answer is read; the sending stops when the server answers or closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(head + b"\r\n\r\n")
        answered = threading.Event()
        sent = [0]

        def send_body() -> None:
            try:
                for chunk in body:
                    if answered.is_set():
                        return
                    sock.sendall(chunk)
                    sent[0] += len(chunk)
            except OSError:
                pass  # the server closed its side after answering: what a too-large body should get

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        try:
            response = _read_response(sock)
        finally:
            answered.set()
        response.body_bytes_sent = sent[0]
        return response


def _read_response(sock: socket.socket) -> RawResponse:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {buffer[:200]!r}")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawResponse(int(status_line.split()[1]), headers, rest[:length])


def zeros(total: int, chunk: int = 1 << 20) -> Iterable[bytes]:
    block = bytes(chunk)
    for start in range(0, total, chunk):
        yield block[: min(chunk, total - start)]


def chunked(pieces: Iterable[bytes]) -> Iterable[bytes]:
    """Transfer-Encoding: chunked framing of `pieces` (never the terminating chunk: the body never ends)."""
    for piece in pieces:
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
