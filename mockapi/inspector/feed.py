"""The journal's live feed: each subscriber a bounded queue of entries. A subscriber that falls
QUEUE_LIMIT entries behind is dropped (its stream ends) rather than let memory grow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from mockapi.journal import Entry, Journal

QUEUE_LIMIT = 1_000
_END = None


class Subscription:
    """Entries appended to `journal` from now on, up to `limit` waiting, until closed or dropped."""

    def __init__(self, journal: Journal, limit: int = QUEUE_LIMIT) -> None:
        self.journal = journal
        self.queue: asyncio.Queue[Entry | None] = asyncio.Queue(maxsize=limit + 1)
        self.limit = limit
        self.dropped = False
        journal.listen(self.offer)

    def offer(self, entry: Entry) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= self.limit:
            self.dropped = True
            self.offer_end()  # into the one slot kept for the end
            return
        self.queue.put_nowait(entry)

    def offer_end(self) -> None:
        """Ends the stream once what is queued is read."""
        self.close()
        self.queue.put_nowait(_END)

    def close(self) -> None:
        self.journal.unlisten(self.offer)

    async def entries(self) -> AsyncIterator[Entry]:
        try:
            while (entry := await self.queue.get()) is not _END:
                yield entry
        finally:
            self.close()
