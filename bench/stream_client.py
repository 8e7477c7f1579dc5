"""Streaming chat load client: raw HTTP/1.1 over asyncio streams.

Opens --streams streamed chat completions at --concurrency, one keep-alive
connection per worker, and prints JSON: streams/s, time to first body byte and
total time (p50/p99, ms), and errors (non-200, missing [DONE], I/O failures).

    python bench/stream_client.py --port 8001 --streams 2000 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

DONE_EVENT = b"data: [DONE]"
CHAT_STREAM_BODY = (
    b'{"model":"gpt-3.5-turbo","messages":[{"role":"user",'
    b'"content":"Hello, how are you today?"}],"stream":true,"max_tokens":16}'
)


class StreamError(Exception):
    pass


def build_request(host: str, port: int, path: str, body: bytes = CHAT_STREAM_BODY) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: application/json\r\n"
        "Authorization: Bearer sk-bench\r\n"
        "Accept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


def parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise StreamError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def read_chunked(reader: asyncio.StreamReader, on_data) -> None:
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            # Trailers (usually none) end with an empty line.
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return
        chunk = await reader.readexactly(size + 2)
        on_data(chunk[:-2])


async def read_sized(reader: asyncio.StreamReader, length: int, on_data) -> None:
    while length > 0:
        data = await reader.read(min(length, 65536))
        if not data:
            raise StreamError("connection closed mid-body")
        length -= len(data)
        on_data(data)


async def read_to_eof(reader: asyncio.StreamReader, on_data) -> None:
    while data := await reader.read(65536):
        on_data(data)


async def one_stream(reader, writer, request: bytes) -> tuple[int, float, float, bool]:
    """Send one request; return (status, ttfb_s, total_s, keep_alive)."""
    start = time.perf_counter()
    writer.write(request)
    status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
    body = bytearray()
    marks = {"first": 0.0, "done": 0.0}

    def on_data(data: bytes) -> None:
        now = time.perf_counter()
        if not marks["first"]:
            marks["first"] = now
        body.extend(data)
        # Look only at the new bytes plus enough overlap for a split marker.
        if not marks["done"] and DONE_EVENT in body[-(len(data) + len(DONE_EVENT)) :]:
            marks["done"] = now

    keep_alive = headers.get("connection", "").lower() != "close"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        await read_chunked(reader, on_data)
    elif "content-length" in headers:
        await read_sized(reader, int(headers["content-length"]), on_data)
    else:
        await read_to_eof(reader, on_data)
        keep_alive = False
    end = time.perf_counter()
    if status == 200 and not marks["done"]:
        raise StreamError("stream ended without data: [DONE]")
    first = marks["first"] or end
    done = marks["done"] or end
    return status, first - start, done - start, keep_alive


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.request = build_request(args.host, args.port, args.path)
        self.remaining = args.streams
        self.ttfb: list[float] = []
        self.total: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message)

    async def worker(self) -> None:
        reader = writer = None
        while self.remaining > 0:
            self.remaining -= 1
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(self.args.host, self.args.port)
                status, ttfb, total, keep_alive = await asyncio.wait_for(
                    one_stream(reader, writer, self.request), self.args.timeout
                )
            except (
                OSError,
                TimeoutError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
                StreamError,
            ) as exc:
                self.error(f"{type(exc).__name__}: {exc}")
                close(writer)
                writer = None
                continue
            if status != 200:
                self.error(f"HTTP {status}")
            else:
                self.ttfb.append(ttfb)
                self.total.append(total)
            if not keep_alive:
                close(writer)
                writer = None
        close(writer)

    async def run(self) -> dict:
        start = time.perf_counter()
        await asyncio.gather(*(self.worker() for _ in range(self.args.concurrency)))
        elapsed = time.perf_counter() - start
        ok = len(self.total)
        return {
            "streams": self.args.streams,
            "concurrency": self.args.concurrency,
            "ok": ok,
            "errors": self.errors,
            "elapsed_s": round(elapsed, 4),
            "streams_per_s": round(ok / elapsed, 2) if elapsed else 0.0,
            "ttfb_p50_ms": ms(percentile(self.ttfb, 50)),
            "ttfb_p99_ms": ms(percentile(self.ttfb, 99)),
            "total_p50_ms": ms(percentile(self.total, 50)),
            "total_p99_ms": ms(percentile(self.total, 99)),
            "error_samples": self.error_samples,
        }


def close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.close()


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))  # nearest rank
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/chat/completions")
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=10.0, help="per stream, seconds")
    args = parser.parse_args()
    try:
        import uvloop  # a faster loop keeps the client from being the bottleneck

        run = uvloop.run
    except (ImportError, AttributeError):
        run = asyncio.run
    print(json.dumps(run(Run(args).run())))


if __name__ == "__main__":
    main()
