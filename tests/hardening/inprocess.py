"""A real uvicorn server running `create_app` in a thread of the test process, so a test can look at the
server's event loop (its tasks) without any debug endpoint in the product."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from mockapi.app import create_app
from mockapi.settings import Settings
from tests.support import free_port


@dataclass
class InProcessServer:
    url: str
    loop: asyncio.AbstractEventLoop

    def tasks(self) -> list[str]:
        """What is running on the server's loop, by coroutine name (the counting task left out)."""

        async def running() -> list[str]:
            me = asyncio.current_task()
            return sorted(task.get_coro().__qualname__ for task in asyncio.all_tasks() if task is not me)  # type: ignore[union-attr]

        return asyncio.run_coroutine_threadsafe(running(), self.loop).result(timeout=10)


@contextmanager
def in_process_server(settings: Settings) -> Iterator[InProcessServer]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.serve())
        # Whatever outlives the server is cancelled, not left pending.
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the in-process server did not start"
        time.sleep(0.02)
    try:
        yield InProcessServer(f"http://127.0.0.1:{port}", loop)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
