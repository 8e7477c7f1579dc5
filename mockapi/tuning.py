"""Serve-time tuning: what `mockapi serve` applies beyond plain FastAPI on uvicorn, each with the figure that
keeps it (bench/RESULTS.md, "Tuning"). Nothing here changes an answer; the pytest plugin's server and
`create_app` apply none of it. `--tuning` (MOCKAPI_TUNING) names those to apply; the default is all of them.

- coalesced_writes: the writes of one event-loop turn leave in one send() (transport.CoalescedWrites): uvicorn
  writes a response's head and body, and each stream event, separately, and on loopback a send costs more
  than building a small answer.
- rank_tables: tiktoken keeps each encoding's ranks twice, in its Rust core (which encodes and decodes) and in
  the Python `_mergeable_ranks` dict (which only pickling reads); the Python copy is emptied once an encoding
  loads. This is the one place mockapi touches another library's private attribute.
- gc_freeze: everything built at start-up (the app, the catalogue, the loaded modules) is moved out of the
  garbage collector's sight: those objects live as long as the process, and scanning them on every full
  collection stalls requests.
- gc_full_rarely: a full collection waits for FULL_COLLECTION_AFTER collections of the middle generation
  instead of Python's 10. Every open stream keeps a few hundred objects (its connection, tasks, generator),
  and a paced stream's objects of the moment (the part waiting, its future) live long enough to reach the
  old generation; at thousands of streams Python then ran a full collection every second or so, each
  scanning every stream's objects for 100-200 ms while no event left. Garbage in cycles is still found by
  the young collections, where almost all of it is.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import get_args

import tiktoken

from mockapi import tokens
from mockapi.settings import TuningName as Tuning
from mockapi.transport import OpenAIShapedHttpTools

TUNINGS: tuple[Tuning, ...] = get_args(Tuning)


def coalesce_writes() -> None:
    OpenAIShapedHttpTools.coalesce_writes = True


def drop_rank_table(encoding: tiktoken.Encoding) -> None:
    """Empty the Python copy of an encoding's ranks; encoding, decoding and token lookups are unchanged."""
    encoding._mergeable_ranks = {}
    gc.collect()


def drop_rank_tables() -> None:
    """For the encodings loaded so far, and for each one that loads later."""
    for tokenizer in tokens.loaded_tokenizers():
        drop_rank_table(tokenizer.encoding)
    if drop_rank_table not in tokens.AFTER_LOAD:
        tokens.AFTER_LOAD.append(drop_rank_table)


def freeze_start_up_objects() -> None:
    gc.collect()
    gc.freeze()


# Collections of the middle generation between two full ones (Python's default is 10).
FULL_COLLECTION_AFTER = 1000


def collect_fully_rarely() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)


APPLY: dict[Tuning, Callable[[], None]] = {
    "coalesced_writes": coalesce_writes,
    "rank_tables": drop_rank_tables,
    "gc_freeze": freeze_start_up_objects,
    "gc_full_rarely": collect_fully_rarely,
}


def apply(names: Iterable[str]) -> None:
    """Apply the named tunings, in the order of TUNINGS (the freeze last: it must see the built app)."""
    wanted = set(names)
    for name in TUNINGS:
        if name in wanted:
            APPLY[name]()
