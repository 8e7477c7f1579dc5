"""What a running batch keeps beside its record: its checked requests (`input`) and the output line of each
request answered so far (`results`, in input order), in memory or in the data directory; and a lease, so that
one process at a time works on a batch.

The results are the truth of a batch's progress: a request is done once its line is in them. In a
directory each is a file appended and fsynced per chunk, so a restart resumes after the last whole line
(a line cut by a crash is dropped, and its request answered again).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mockapi.seeding import Seeding

# Ids come from the seeded sequence: "batch_" + 24 alphanumerics. Only such names are ever paths on disk.
BATCH_ID = re.compile(r"batch_[A-Za-z0-9]{1,64}")
# What a batch keeps that was written this recently (wall seconds) is never taken for a leftover.
RECENT_SECONDS = 60


class BatchSpool(ABC):
    @abstractmethod
    def write_input(self, batch_id: str, requests: list[bytes]) -> None: ...

    @abstractmethod
    def read_input(self, batch_id: str, start: int, count: int) -> list[bytes]:
        """Requests `start` to `start + count` (fewer at the end)."""

    @abstractmethod
    def append_results(self, batch_id: str, lines: list[bytes]) -> None: ...

    @abstractmethod
    def result_count(self, batch_id: str) -> int:
        """How many requests have their line in the results."""

    @abstractmethod
    def results(self, batch_id: str) -> Iterator[bytes]: ...

    @abstractmethod
    def lease(self, batch_id: str) -> contextlib.AbstractContextManager[bool]:
        """True while this process alone may work on the batch; False if another one does."""

    @abstractmethod
    def remove(self, batch_id: str) -> None: ...

    @abstractmethod
    def retain(self, batch_ids: set[str]) -> None:
        """Remove what is kept for any batch not in `batch_ids` (one whose record is gone)."""

    @abstractmethod
    def clear(self) -> None: ...


class MemorySpool(BatchSpool):
    """Lists in this process; the runner's per-batch lock is the only lease needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inputs: dict[str, list[bytes]] = {}
        self._results: dict[str, list[bytes]] = {}

    def write_input(self, batch_id: str, requests: list[bytes]) -> None:
        with self._lock:
            self._inputs[batch_id] = list(requests)
            self._results[batch_id] = []

    def read_input(self, batch_id: str, start: int, count: int) -> list[bytes]:
        with self._lock:
            return self._inputs.get(batch_id, [])[start : start + count]

    def append_results(self, batch_id: str, lines: list[bytes]) -> None:
        with self._lock:
            self._results.setdefault(batch_id, []).extend(lines)

    def result_count(self, batch_id: str) -> int:
        with self._lock:
            return len(self._results.get(batch_id, ()))

    def results(self, batch_id: str) -> Iterator[bytes]:
        with self._lock:
            lines = list(self._results.get(batch_id, ()))
        yield from lines

    @contextlib.contextmanager
    def lease(self, batch_id: str) -> Iterator[bool]:
        yield True

    def remove(self, batch_id: str) -> None:
        with self._lock:
            self._inputs.pop(batch_id, None)
            self._results.pop(batch_id, None)

    def retain(self, batch_ids: set[str]) -> None:
        with self._lock:
            for gone in [key for key in self._inputs if key not in batch_ids]:
                self._inputs.pop(gone, None)
                self._results.pop(gone, None)

    def clear(self) -> None:
        with self._lock:
            self._inputs.clear()
            self._results.clear()


class DirectorySpool(BatchSpool):
    """`<id>.input`, `<id>.results` and `<id>.lock` per batch under `root`, shared by worker processes."""

    INPUT = ".input"
    RESULTS = ".results"
    LOCK = ".lock"
    TEMP = ".tmp"

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # batch -> (index of the next request, its open input file): requests are read in order.
        self._readers: dict[str, tuple[int, BinaryIO]] = {}
        # batch -> (size of its results file, lines in it) when last counted.
        self._counted: dict[str, tuple[int, int]] = {}

    def _path(self, batch_id: str, suffix: str) -> Path:
        if not BATCH_ID.fullmatch(batch_id):
            raise ValueError(f"not a batch id: {batch_id!r}")
        return self.root / (batch_id + suffix)

    def write_input(self, batch_id: str, requests: list[bytes]) -> None:
        path = self._path(batch_id, self.INPUT)
        temp = path.with_name(path.name + self.TEMP)
        with temp.open("wb") as out:
            for request in requests:
                out.write(request + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        self._path(batch_id, self.RESULTS).touch()

    def read_input(self, batch_id: str, start: int, count: int) -> list[bytes]:
        with self._lock:
            index, reader = self._readers.pop(batch_id, (0, None))
        if reader is None or index != start:
            if reader is not None:
                reader.close()
            try:
                reader = self._path(batch_id, self.INPUT).open("rb")
            except FileNotFoundError:
                return []
            index = 0
            while index < start and reader.readline():
                index += 1
        found: list[bytes] = []
        while len(found) < count and (line := reader.readline()):
            found.append(line.rstrip(b"\n"))
        with self._lock:
            self._readers[batch_id] = (start + len(found), reader)
        return found

    def append_results(self, batch_id: str, lines: list[bytes]) -> None:
        path = self._path(batch_id, self.RESULTS)
        with path.open("ab") as out:
            out.write(b"".join(line + b"\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        with self._lock:
            counted = self._counted.get(batch_id)
            if counted is not None:
                self._counted[batch_id] = (size, counted[1] + len(lines))

    def result_count(self, batch_id: str) -> int:
        """Counted again only when the file changed (another process appended); a last line cut by a crash
        is cut off (called under the lease, so no one is appending)."""
        path = self._path(batch_id, self.RESULTS)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return 0
        with self._lock:
            counted = self._counted.get(batch_id)
        if counted is not None and counted[0] == size:
            return counted[1]
        with path.open("r+b") as results:
            data = results.read()
            whole = data.rfind(b"\n") + 1
            if whole != len(data):
                results.truncate(whole)
        count = data.count(b"\n", 0, whole)
        with self._lock:
            self._counted[batch_id] = (whole, count)
        return count

    def results(self, batch_id: str) -> Iterator[bytes]:
        try:
            results = self._path(batch_id, self.RESULTS).open("rb")
        except FileNotFoundError:
            return
        with results:
            for line in results:
                if line.endswith(b"\n"):
                    yield line[:-1]

    @contextlib.contextmanager
    def lease(self, batch_id: str) -> Iterator[bool]:
        fd = os.open(self._path(batch_id, self.LOCK), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def remove(self, batch_id: str) -> None:
        with self._lock:
            _, reader = self._readers.pop(batch_id, (0, None))
            self._counted.pop(batch_id, None)
        if reader is not None:
            reader.close()
        for suffix in (self.INPUT, self.RESULTS, self.LOCK, self.INPUT + self.TEMP):
            self._path(batch_id, suffix).unlink(missing_ok=True)

    def retain(self, batch_ids: set[str]) -> None:
        """Spares what was written in the last minute: another process writes a new batch's requests just
        before its record."""
        recent = Seeding.wall_time() - RECENT_SECONDS
        for batch_id in self._batch_ids():
            if batch_id not in batch_ids and self._older_than(batch_id, recent):
                self.remove(batch_id)

    def clear(self) -> None:
        for batch_id in self._batch_ids():
            self.remove(batch_id)

    def _batch_ids(self) -> set[str]:
        with os.scandir(self.root) as entries:
            return {name for entry in entries if BATCH_ID.fullmatch(name := entry.name.split(".", 1)[0])}

    def _older_than(self, batch_id: str, moment: float) -> bool:
        for suffix in (self.INPUT, self.RESULTS, self.INPUT + self.TEMP):
            try:
                if self._path(batch_id, suffix).stat().st_mtime > moment:
                    return False
            except FileNotFoundError:
                continue
        return True
