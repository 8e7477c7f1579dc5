"""The only source of randomness, ids and time.

Every generated value derives from (server seed, route, canonical request body, choice index), so the
same request gives the same answer in every run and every process. Ids of stored objects and request
ids come from a seeded sequence instead, so they are unique yet repeat from one fresh start to the next.
"""

from __future__ import annotations

import hashlib
import random
import string
import threading
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:  # Faker loads on first use, keeping start-up fast
    from faker import Faker

ALPHANUMERIC = string.ascii_letters + string.digits

# Random bytes to id characters in one C call (ids are made on every request); the first 256 % 62
# characters come up a little more often, which an id does not mind.
_BYTE_TO_ALPHANUMERIC = bytes(ord(ALPHANUMERIC[i % len(ALPHANUMERIC)]) for i in range(256))

# Keys that change how an answer is delivered, not what it says.
_DELIVERY_KEYS = frozenset({"stream", "stream_options", "user"})


def canonical(body: Any) -> bytes:
    """Stable bytes for a request body: sorted keys, delivery-only keys dropped."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in _DELIVERY_KEYS}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)


class Clock:
    """The server's one clock of Unix seconds, for every `created` field, job and expiry.

    It starts at `--fixed-time` (standing still until advanced) or at the wall clock (running in real time),
    runs `speed` times as fast as real time when a speed is given (`--job-speed`: 60 is a minute a second, 0
    only moves when told), and moves forward at once by `advance()` (the control API, the pytest plugin), so a
    test can take a job to its end in milliseconds, deterministically.
    """

    __slots__ = ("_advanced", "_origin", "_started", "speed")

    def __init__(self, fixed_time: int | None = None, speed: float | None = None) -> None:
        self._origin = float(fixed_time) if fixed_time is not None else time.time()
        self.speed = speed if speed is not None else (0.0 if fixed_time is not None else 1.0)
        self._started = time.monotonic()
        self._advanced = 0.0

    def time(self) -> float:
        """Unix seconds now, as the server's clock reads."""
        return self._origin + self.speed * (time.monotonic() - self._started) + self._advanced

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` (never back); answers the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._advanced += seconds
        return self.time()

    def pin(self, fixed_time: int) -> None:
        """Stand still at `fixed_time` (until advanced)."""
        self._origin, self.speed, self._started, self._advanced = float(fixed_time), 0.0, time.monotonic(), 0.0


class Seeding:
    def __init__(
        self, seed: int = 0, fixed_time: int | None = None, id_salt: str = "", clock: Clock | None = None
    ) -> None:
        self.seed = seed
        self.clock = clock if clock is not None else Clock(fixed_time)
        self._lock = threading.Lock()
        # Worker processes salt their id sequences, so their ids do not collide; answers stay unsalted.
        self._sequence = random.Random(f"mockapi-ids-{seed}{id_salt}")

    def digest(self, route: str, body: Any, index: int = 0) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{self.seed}|{route}|{index}|".encode())
        h.update(body if isinstance(body, bytes) else canonical(body))
        return h.digest()

    def rng_for(self, route: str, body: Any, index: int = 0) -> random.Random:
        """A generator private to one answer (or one choice of it)."""
        return random.Random(self.digest(route, body, index))

    def random_bytes(self, route: str, body: Any, size: int, index: int = 0) -> bytes:
        """`size` seeded random bytes (SHAKE-256 of the digest): bulk randomness, e.g. a vector's components."""
        return hashlib.shake_256(self.digest(route, body, index)).digest(size)

    @cached_property
    def _faker(self) -> Faker:
        from faker import Faker

        # Only the provider of the words and sentences generators draw (lorem): the others, never called,
        # would hold a few megabytes of word lists and modules.
        return Faker("en_US", providers=["faker.providers.lorem"])

    def faker(self, rng: random.Random) -> Faker:
        """The shared Faker, reseeded from `rng`; use it before the next await."""
        self._faker.seed_instance(rng.getrandbits(64))
        return self._faker

    def next_id(self, prefix: str, length: int = 24) -> str:
        """A unique id from the seeded sequence, e.g. file-abc... (24 alphanumerics)."""
        with self._lock:
            return prefix + self._sequence.randbytes(length).translate(_BYTE_TO_ALPHANUMERIC).decode()

    def request_id(self) -> str:
        with self._lock:
            return f"req_{self._sequence.getrandbits(128):032x}"

    def now(self) -> int:
        """Unix seconds for `created` fields: the server's clock."""
        return int(self.clock.time())

    @property
    def fixed_time(self) -> int | None:
        """The time the clock stands at, when it stands still."""
        return int(self.clock.time()) if self.clock.speed == 0 else None

    @fixed_time.setter
    def fixed_time(self, value: int) -> None:
        self.clock.pin(value)

    # The clocks themselves (called on every request: no wrapper around them).
    # Unix seconds when something really happened, whatever --fixed-time says: journal entries, and
    # deadlines several processes must agree on (shared stores' file times).
    wall_time = staticmethod(time.time)
    # For durations (processing time, rate windows), never for values in bodies.
    monotonic = staticmethod(time.monotonic)

    @staticmethod
    def derived(*parts: object) -> random.Random:
        """A generator fixed by a stored object's identity (e.g. a job's id and an event's name): the same
        values in every process and after a restart, whatever the server's seed, for what the object's
        state derives (its events' ids, its metrics)."""
        return random.Random("|".join(map(str, parts)))

    @staticmethod
    def answer_id(prefix: str, rng: random.Random, length: int = 29) -> str:
        """An id for a generated answer, derived from that answer's generator."""
        return prefix + "".join(rng.choices(ALPHANUMERIC, k=length))
