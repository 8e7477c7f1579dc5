"""Batches moving on the clock: a task of the server's event loop answers each batch's requests when the clock
says they are due (generators/batches.py has the timeline), and any read of a batch first catches it up.

Each request is answered by the app itself (inprocess.call), carrying the batch owner's key and organization,
so its output line holds exactly what the same request answers online, rules and faults included. Requests
are answered a chunk at a time, at most LINE_CONCURRENCY at once in the process; each chunk's lines go to the
batch's results (batch_spool.py) before its record is updated, so a restart with --data-dir resumes where
the last chunk ended. Worker processes share the records and spools; a lease keeps one at work on a batch.

A cancel is recorded apart (`batch_cancels`): the process at work on the batch applies it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import orjson
from starlette.types import ASGIApp

from mockapi import endpoints, inprocess
from mockapi.batch_files import BatchFiles
from mockapi.batch_spool import BatchSpool, DirectorySpool, MemorySpool
from mockapi.errors import batches as errors_batches
from mockapi.generators.batches import (
    ACTIVE,
    CANCELLING_SECONDS,
    ENDPOINT_NAMES,
    FINALIZING_SECONDS,
    TERMINAL,
    VALIDATING_SECONDS,
    add_usage,
    answered_line,
    empty_usage,
    lines_due,
    new_record,
    next_event,
    succeeded,
    unanswered_line,
)

if TYPE_CHECKING:
    from mockapi.context import Caller
    from mockapi.records import Record, Records
    from mockapi.state import AppState

log = logging.getLogger("mockapi")

LINE_CONCURRENCY = 8
# Batches one owner may have moving at once (a bound, as everything the server keeps has one).
MAX_ACTIVE_PER_OWNER = 100
TICK_SECONDS = 0.05
# A read waits this long (real seconds) for its batch to catch up; a longer catch-up goes on behind it.
CATCH_UP_SECONDS = 30.0
# A request's answer is waited for this long (real seconds), as a client's read timeout.
LINE_TIMEOUT_SECONDS = 60.0
# With worker processes, how often (real seconds) the records are read for batches another one made.
DISCOVER_SECONDS = 2.0
BATCH_HEADER = b"x-mockapi-batch-id"


class BatchRunner:
    def __init__(self, state: AppState, app: ASGIApp) -> None:
        self.state = state
        self.app = app
        self.records: Records = state.records("batches")
        self.cancels: Records = state.records("batch_cancels")
        root = state.settings.data_dir or state.settings.shared_store_dir
        self.spool: BatchSpool = DirectorySpool(root / "batches") if root is not None else MemorySpool()
        self.files = BatchFiles(state, self.spool)
        self.shared = state.settings.shares_state
        # batch -> (owner, when it next changes on the clock): the batches this process looks after.
        self._active: dict[str, tuple[str, float | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._steps: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lines: asyncio.Semaphore | None = None
        # Bumped by clear(): a step begun before a reset writes nothing after it.
        self._generation = 0

    @property
    def line_seconds(self) -> float:
        return self.state.settings.batch_line_seconds

    def now(self) -> float:
        return self.state.seeding.clock.time()

    # The loop.

    def ensure_running(self) -> None:
        """Start the runner in the running event loop (at start-up, or on the first batch request)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (tests serving the app again): nothing of the old one is usable
            self._loop, self._locks, self._steps, self._task = loop, {}, set(), None
            self._lines = asyncio.Semaphore(LINE_CONCURRENCY)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())

    async def stop(self) -> None:
        tasks = [task for task in (self._task, *self._steps) if task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None

    async def _run(self) -> None:
        last_discovery: float | None = None
        while True:
            try:
                if last_discovery is None or (
                    self.shared and self.state.seeding.monotonic() - last_discovery > DISCOVER_SECONDS
                ):
                    await asyncio.to_thread(self._discover)
                    last_discovery = self.state.seeding.monotonic()
                await self._tick()
            except Exception:  # a store that failed once (a full disk) must not stop every batch for good
                log.exception("the batch runner's tick failed")
            await asyncio.sleep(TICK_SECONDS)

    async def _tick(self) -> None:
        """Start a step of every batch whose time has come; remove the files whose time has come."""
        now = self.now()
        for batch_id, (owner, at) in list(self._active.items()):
            if at is not None and at <= now and not self._locked(batch_id):
                self._spawn(owner, batch_id)
        soonest = self.state.files.next_expiry()
        if soonest is not None and soonest <= now:
            await asyncio.to_thread(self.state.files.expire_due)

    def _discover(self) -> None:
        """Every stored batch still moving, whichever process made it (at start: those a restart resumes)."""
        active: set[str] = set()
        for batch_id, record in self.records.all():
            if record["status"] in ACTIVE:
                active.add(batch_id)
                self._active.setdefault(batch_id, (record["_owner"], next_event(record, self.line_seconds)))
        self.spool.retain(active | set(self._active))

    def _spawn(self, owner: str, batch_id: str) -> None:
        task = asyncio.ensure_future(self.settle(owner, batch_id))
        self._steps.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._steps.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a batch step failed", exc_info=task.exception())

    def _locked(self, batch_id: str) -> bool:
        lock = self._locks.get(batch_id)
        return lock is not None and lock.locked()

    def track(self, owner: str, record: Record) -> None:
        """Look after a batch: when it next changes, or forget it once it never will."""
        batch_id = record["id"]
        if record["status"] in TERMINAL:
            self._active.pop(batch_id, None)
            self._locks.pop(batch_id, None)
        else:
            self._active[batch_id] = (owner, next_event(record, self.line_seconds))

    def batches_of(self, owner: str) -> list[str]:
        """The owner's batches still moving, as this process knows them."""
        return [batch_id for batch_id, (who, _) in self._active.items() if who == owner]

    def clear(self) -> None:
        """Forget every batch (the records and cancels are cleared with the other stores)."""
        self._generation += 1
        self._active.clear()
        self._locks.clear()
        self.spool.clear()

    # Making one.

    async def create(self, caller: Caller, request: dict[str, Any], now: int) -> Record:
        """A new batch of the caller's, `validating`: its input file checked now (the outcome shows when
        its validation ends on the clock), its requests kept for its steps."""
        self.ensure_running()
        owner = caller.owner
        if sum(1 for who, _ in self._active.values() if who == owner) >= MAX_ACTIVE_PER_OWNER:
            raise errors_batches.too_many_batches(MAX_ACTIVE_PER_OWNER)
        checked = await asyncio.to_thread(
            self.files.check, owner, caller.organization, request["input_file_id"], request["endpoint"]
        )
        batch_id = self.state.seeding.next_id("batch_", 24)
        if checked.requests:
            await asyncio.to_thread(self.spool.write_input, batch_id, checked.requests)
        record = new_record(batch_id, request, now, checked, caller.api_key, caller.organization)
        self.records.put(owner, batch_id, record, now)
        self.track(owner, record)
        return record

    def cancel(self, owner: str, record: Record, now: int) -> None:
        """Ask for the batch to stop; the process at work on it applies it (at `now` on the clock)."""
        if self.cancels.get(owner, record["id"]) is None:
            self.cancels.put(owner, record["id"], {"at": now, "created_at": now}, now)
        self._active[record["id"]] = (owner, float(now))

    # Catching up.

    async def catch_up(self, owner: str, batch_ids: list[str]) -> None:
        """Bring these batches up to the clock before they are read."""
        self.ensure_running()
        pending = [asyncio.ensure_future(self.settle(owner, batch_id)) for batch_id in batch_ids]
        if pending:
            await asyncio.wait(pending, timeout=CATCH_UP_SECONDS)

    async def settle(self, owner: str, batch_id: str) -> None:
        """One step of the batch, after any step under way in this process; none if another one has it."""
        lock = self._locks.setdefault(batch_id, asyncio.Lock())
        async with lock:
            with self.spool.lease(batch_id) as leased:
                if leased:
                    await self._step(owner, batch_id, self._generation)

    # A step: everything due by now.

    async def _step(self, owner: str, batch_id: str, generation: int) -> None:
        record = self.records.get(owner, batch_id)
        if record is None or record["status"] in TERMINAL:
            self._active.pop(batch_id, None)
            # Gone from the store (reset, or the oldest past its bounds) or ended: a step that ended it removed
            # its files, but this lease made its lock file again.
            await asyncio.to_thread(self.spool.remove, batch_id)
            return
        now = self.now()
        cancel = self.cancels.get(owner, batch_id)
        cancel_at = float(cancel["at"]) if cancel is not None else None
        if record["status"] == "validating":
            validated_at = record["created_at"] + VALIDATING_SECONDS
            if cancel_at is not None and cancel_at < validated_at:
                _set(record, "cancelling", "cancelling_at", cancel_at)
            elif now >= validated_at:
                if record["_problems"]:
                    record["errors"] = {"object": "list", "data": record["_problems"]}
                    _set(record, "failed", "failed_at", validated_at)
                else:
                    _set(record, "in_progress", "in_progress_at", validated_at)
                    record["model"] = record["_model"]
                    record["request_counts"]["total"] = record["_lines"]
        if record["status"] == "in_progress" and cancel_at is not None:
            _set(record, "cancelling", "cancelling_at", cancel_at)
        if record["status"] in ("in_progress", "cancelling"):
            until = min(now, float(record["expires_at"]))
            if record["cancelling_at"] is not None:
                until = min(until, float(record["cancelling_at"]))
            await self._answer_due(owner, record, lines_due(record, until, self.line_seconds), generation)
        if generation != self._generation:
            return  # reset meanwhile: the batch is no more
        await self._conclude(owner, record, now)
        self.records.put(owner, batch_id, record, record["created_at"])
        self.track(owner, record)
        if record["status"] in TERMINAL:
            self.cancels.delete(owner, batch_id)

    async def _answer_due(self, owner: str, record: Record, due: int, generation: int) -> None:
        batch_id = record["id"]
        done = await asyncio.to_thread(self.spool.result_count, batch_id)
        if done != record["_done"]:  # a chunk stored before its record was (a crash in between): recount
            await asyncio.to_thread(self._recount, record)
        while record["_done"] < due and generation == self._generation:
            start = record["_done"]
            requests = await asyncio.to_thread(
                self.spool.read_input, batch_id, start, min(LINE_CONCURRENCY, due - start)
            )
            if not requests:
                break
            lines = await asyncio.gather(*(self._answer(record, orjson.loads(raw)) for raw in requests))
            if generation != self._generation:
                return
            await asyncio.to_thread(self.spool.append_results, batch_id, [orjson.dumps(line) for line in lines])
            for line in lines:
                _count(record, line)
            self.records.put(owner, batch_id, record, record["created_at"])

    def _recount(self, record: Record) -> None:
        record["request_counts"].update(completed=0, failed=0)
        record["usage"], record["_done"] = empty_usage(), 0
        for raw in self.spool.results(record["id"]):
            _count(record, orjson.loads(raw))

    async def _conclude(self, owner: str, record: Record, now: float) -> None:
        """The moves that end a batch: finalizing then completed, expired, cancelled."""
        total, done = record["request_counts"]["total"], record["_done"]
        status = record["status"]
        if status == "in_progress" and done >= total:
            finished_at = record["in_progress_at"] + total * self.line_seconds
            _set(record, "finalizing", "finalizing_at", finished_at)
        elif status == "in_progress" and now >= record["expires_at"]:
            await self._end(owner, record, "expired", "expired_at", record["expires_at"])
        if record["status"] == "finalizing" and now >= record["finalizing_at"] + FINALIZING_SECONDS:
            await self._end(owner, record, "completed", "completed_at", record["finalizing_at"] + FINALIZING_SECONDS)
        if record["status"] == "cancelling" and now >= record["cancelling_at"] + CANCELLING_SECONDS:
            await self._end(owner, record, "cancelled", "cancelled_at", record["cancelling_at"] + CANCELLING_SECONDS)
        if record["status"] in TERMINAL:
            await asyncio.to_thread(self.spool.remove, record["id"])

    async def _end(self, owner: str, record: Record, status: str, stamp: str, at: float) -> None:
        """The batch's files written, then its final status (failed if the store had no room for them)."""
        if await asyncio.to_thread(self.files.write, owner, record, at, status == "expired"):
            _set(record, status, stamp, at)
        else:
            _set(record, "failed", "failed_at", at)

    # One request.

    async def _answer(self, record: Record, request: dict[str, Any]) -> dict[str, Any]:
        """The output line of one request, as the app answers it."""
        line_id = self.state.seeding.next_id("batch_req_", 24)
        custom_id = request["custom_id"]
        headers = [
            (b"authorization", b"Bearer " + record["_key"].encode("latin-1")),
            (b"content-type", b"application/json"),
            (BATCH_HEADER, record["id"].encode()),
        ]
        if record["_organization"]:
            headers.append((b"openai-organization", record["_organization"].encode("latin-1")))
        assert self._lines is not None, "ensure_running makes the semaphore"
        async with self._lines:
            answered = await inprocess.call(
                self.app, "POST", record["endpoint"], headers, orjson.dumps(request["body"]), LINE_TIMEOUT_SECONDS
            )
        if not answered.complete or answered.status is None:
            message = "The server had an error while processing your request. Sorry about that!"
            return unanswered_line(line_id, custom_id, "server_error", message)
        try:
            body: Any = orjson.loads(answered.body)
        except orjson.JSONDecodeError:
            body = answered.body.decode("utf-8", "replace")
        return answered_line(line_id, custom_id, answered.status, answered.header(b"x-request-id"), body)


def _set(record: Record, status: str, stamp: str, at: float) -> None:
    record["status"] = status
    record[stamp] = int(at)


def _count(record: Record, line: dict[str, Any]) -> None:
    record["request_counts"]["completed" if succeeded(line) else "failed"] += 1
    record["_done"] += 1
    add_usage(record["usage"], line)


def served_endpoints() -> list[str]:
    """The batch endpoints whose routes this server has (its endpoint table, read when a batch is made)."""
    return [url for url, name in ENDPOINT_NAMES.items() if name in endpoints.ENDPOINTS]
