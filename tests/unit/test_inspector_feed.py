"""The journal's live feed: every appended entry reaches a subscriber in order, and one that falls behind is
dropped, its queue never holding more than its limit."""

from __future__ import annotations

import asyncio

from mockapi.context import Served
from mockapi.inspector.feed import Subscription
from mockapi.journal import Journal


def _record(journal: Journal, path: str) -> None:
    served = Served("GET", path, b"", [], 0, 0.0)
    served.status, served.seconds = 200, 0.001
    journal.record(served)


async def _collect(subscription: Subscription) -> list[str]:
    return [entry.path async for entry in subscription.entries()]


def test_a_subscriber_gets_each_entry_appended_after_it_subscribed_in_order() -> None:
    async def run() -> list[str]:
        journal = Journal(100)
        _record(journal, "/v1/before")
        subscription = Subscription(journal, limit=10)
        collecting = asyncio.ensure_future(_collect(subscription))
        for index in range(3):
            _record(journal, f"/v1/{index}")
            await asyncio.sleep(0)
        subscription.offer_end()
        return await collecting

    assert asyncio.run(run()) == ["/v1/0", "/v1/1", "/v1/2"]


def test_a_subscriber_that_falls_behind_is_dropped_and_holds_no_more_than_its_limit() -> None:
    async def run() -> tuple[Subscription, Journal, list[str]]:
        journal = Journal(100)
        subscription = Subscription(journal, limit=5)
        for index in range(50):  # nobody reads meanwhile
            _record(journal, f"/v1/{index}")
            assert subscription.queue.qsize() <= 6
        return subscription, journal, await _collect(subscription)

    subscription, journal, got = asyncio.run(run())
    assert subscription.dropped
    assert got == [f"/v1/{index}" for index in range(5)]  # what it held, then its stream ends
    assert journal.listeners == []  # no longer offered anything


def test_a_closed_subscription_is_no_longer_offered_entries() -> None:
    journal = Journal(10)
    subscription = Subscription(journal, limit=5)
    subscription.close()
    _record(journal, "/v1/after")
    assert journal.listeners == [] and subscription.queue.qsize() == 0
