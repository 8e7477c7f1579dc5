"""Many paced streams at once: can one mockapi process hold them, on schedule, in little memory?

Starts `mockapi serve --stream-delay-ms 1000/TPS` (on core 0 when there are two), opens --streams streamed
chat completions at once from this process (on core 1), each on its own connection, and reads them all to
`[DONE]`. Each event's lateness is its arrival against its stream's schedule (its first event, then one every
1/TPS s); the server's resident memory is sampled while the streams are open. Prints JSON.

    python bench/paced_streams.py --streams 5000 --tps 20 --tokens 200

The client is raw HTTP/1.1 on asyncio streams (uvloop when installed), light enough that at a few thousand
streams the server, not the client, sets the pace; what the client's own lag adds shows as lateness too, so
the figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

from probe import rss_kib, stop, wait_ready
from stream_client import StreamError, build_request, parse_head, percentile, read_chunked

MARK = b"data: "
DONE = b"data: [DONE]"
WARM_UP_STREAMS = 100


def add_story_rule(port: int, tokens: int) -> None:
    """A rule answering the streams' question with a story of about `tokens` tokens (one word each)."""
    words = ("the", "sea", "was", "calm", "and", "blue", "that", "night")
    story = " ".join(words[index % len(words)] for index in range(tokens))
    rule = {"id": "long-story", "match": {"contains": "Tell me a long story"}, "respond": {"content": story}}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/__mockapi/rules",
        data=json.dumps(rule).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201, answer.status


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used (from /proc): what each event costs the server, which
    other load on the machine does not change the way it changes lateness."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Run:
    def __init__(self, args: argparse.Namespace, port: int, server_pid: int) -> None:
        self.args = args
        self.port = port
        self.server_pid = server_pid
        body = json.dumps(
            {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "Tell me a long story about the sea."}],
                "stream": True,
            }
        ).encode()
        self.request = build_request("127.0.0.1", port, "/v1/chat/completions", body)
        self.interval = 1 / args.tps
        self.lateness: list[float] = []
        self.events = 0
        self.ok = 0
        self.errors: list[str] = []
        self.open_now = 0
        self.open_max = 0
        self.rss_peak = 0

    async def stream(self, connecting: asyncio.Semaphore) -> None:
        async with connecting:  # the listen backlog is finite: connect a few hundred at a time
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.open_now += 1
        self.open_max = max(self.open_max, self.open_now)
        arrivals: list[tuple[float, int]] = []
        tail = b""
        try:
            writer.write(self.request)
            status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
            if status != 200 or "chunked" not in headers.get("transfer-encoding", ""):
                raise StreamError(f"HTTP {status}")

            def on_data(data: bytes) -> None:
                nonlocal tail
                seen = tail + data
                arrivals.append((time.perf_counter(), seen.count(MARK) - tail.count(MARK)))
                tail = seen[-(len(DONE) + 4) :]  # a mark split across reads, and [DONE] with its blank line

            await asyncio.wait_for(read_chunked(reader, on_data), self.args.timeout)
            if DONE not in tail:
                raise StreamError("stream ended without data: [DONE]")
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, StreamError) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return
        finally:
            self.open_now -= 1
            writer.close()
        self.ok += 1
        self.measure(arrivals)

    def measure(self, arrivals: list[tuple[float, int]]) -> None:
        """Lateness of every event but [DONE] (sent at once after the last) against its stream's schedule."""
        start, index = arrivals[0][0], 0
        for when, count in arrivals:
            for _ in range(count):
                self.lateness.append(when - (start + index * self.interval))
                index += 1
        self.lateness.pop()  # [DONE]
        self.events += index - 1

    async def sample_memory(self) -> None:
        while True:
            self.rss_peak = max(self.rss_peak, rss_kib(self.server_pid))
            await asyncio.sleep(0.25)

    async def run(self) -> dict:
        warm_up = Run(self.args, self.port, self.server_pid)  # the tokenizer and code paths loaded first
        await asyncio.gather(*(warm_up.stream(asyncio.Semaphore(50)) for _ in range(WARM_UP_STREAMS)))
        baseline = rss_kib(self.server_pid)
        sampler = asyncio.create_task(self.sample_memory())
        connecting = asyncio.Semaphore(200)
        started, cpu_started = time.perf_counter(), time.process_time()
        server_cpu_started = cpu_seconds(self.server_pid)
        await asyncio.gather(*(self.stream(connecting) for _ in range(self.args.streams)))
        elapsed, client_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        server_cpu = cpu_seconds(self.server_pid) - server_cpu_started
        sampler.cancel()
        late = [max(0.0, value) * 1000 for value in self.lateness]
        grown = max(0, self.rss_peak - baseline)
        return {
            "streams": self.args.streams,
            "tokens_per_second": self.args.tps,
            "ok": self.ok,
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "open_at_once": self.open_max,
            "events": self.events,
            "elapsed_s": round(elapsed, 2),
            "client_cpu_share": round(client_cpu / elapsed, 2),  # near 1: the client, not the server, is the limit
            "server_cpu_share": round(server_cpu / elapsed, 2),
            # The server's CPU for each event (its streams' requests included): 10 us at most for 100,000 a second.
            "server_us_per_event": round(server_cpu / self.events * 1e6, 1) if self.events else None,
            "lateness_p50_ms": _rounded(percentile(late, 50)),
            "lateness_p99_ms": _rounded(percentile(late, 99)),
            "lateness_max_ms": _rounded(max(late, default=None)),
            "rss_before_mib": round(baseline / 1024, 1),
            "rss_peak_mib": round(self.rss_peak / 1024, 1),
            "kib_per_open_stream": round(grown / self.open_max, 1) if self.open_max else None,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--tps", type=float, default=20, help="tokens (events) per second of each stream")
    parser.add_argument("--tokens", type=int, default=200, help="words of each story (one event each)")
    parser.add_argument("--timeout", type=float, default=120.0, help="per stream, seconds")
    parser.add_argument("--cmd", default=f"{sys.executable} -m mockapi serve", help="the server, without --port")
    args = parser.parse_args()
    port = free_port()
    pin = ["taskset", "-c", "0"] if (os.cpu_count() or 1) >= 2 else []
    command = [*pin, *shlex.split(args.cmd), "--port", str(port), "--stream-delay-ms", str(1000 / args.tps)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not wait_ready(port, 60, lambda: server.poll() is None):
            raise SystemExit("the server did not start")
        add_story_rule(port, args.tokens)
        if pin:
            os.sched_setaffinity(0, {1})
        try:
            import uvloop

            result = uvloop.run(Run(args, port, server.pid).run())
        except ImportError:
            result = asyncio.run(Run(args, port, server.pid).run())
    finally:
        stop(server)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
