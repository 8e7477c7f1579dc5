"""The board in Redis, for replicas behind a load balancer (--state-url redis://...). Every read-modify-write
is one Lua script, which Redis runs alone, so increments are exact across processes and machines.

Keys, all under the prefix (`mockapi:` unless given):
  tick             a counter stamping each change, so "least recently counted" and "first put" are orders
  c:FAMILY         hash key -> value            ct:FAMILY   sorted set key -> tick of its last change
  w:KEY            hash slot -> "requests,tokens"
  wi               sorted set of window keys -> tick of their last change
  m:NAME           hash field -> value          mo:NAME     sorted set field -> tick of its first put
  l:LOG            stream of items, entry ids ID-0   li:LOG   the log's id counter (a clear leaves it)
Scripts name a window key they evict by the prefix, not in KEYS: a standalone server (or one Redis Cluster
slot, with a {hash tag} prefix) is assumed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from redis import Redis

from mockapi.shared.board import Board, Slot

# Add `by`, stamp the key, and evict the least recently counted keys past the cap.
INCR = """
local value = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    redis.call('HDEL', KEYS[1], key)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
return value
"""

# Forget the slots before `oldest`, add to one slot, evict the windows changed longest ago past the cap,
# and answer the window's slots (sorted by the caller).
WINDOW = """
local oldest = tonumber(ARGV[4])
for _, slot in ipairs(redis.call('HKEYS', KEYS[1])) do
  if tonumber(slot) < oldest then redis.call('HDEL', KEYS[1], slot) end
end
local requests, tokens = 0, 0
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local r, t = string.match(current, '^(-?%d+),(-?%d+)$')
  requests, tokens = tonumber(r), tonumber(t)
end
requests, tokens = requests + tonumber(ARGV[2]), tokens + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d,%d', requests, tokens))
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[6])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    redis.call('DEL', ARGV[7] .. key)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
return redis.call('HGETALL', KEYS[1])
"""

CLEAR_WINDOWS = """
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  redis.call('DEL', ARGV[1] .. key)
end
redis.call('DEL', KEYS[1])
"""

# A field keeps the tick of its first put: replacing a value keeps its place.
MAP_PUT = """
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
"""

# Ids come from the log's own counter; MAXLEN keeps the newest `cap` (ids are consecutive since a clear,
# so these are exactly the items with id > newest - cap).
APPEND = """
local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], string.format('%d-0', id), 'i', ARGV[1])
return id
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _slots(pairs: Iterable[tuple[Any, Any]], oldest: int | None = None) -> list[Slot]:
    """A window's (slot, "requests,tokens") pairs as slots, oldest first."""
    slots = []
    for slot, value in pairs:
        requests, tokens = _text(value).split(",")
        slots.append(Slot(int(slot), int(requests), int(tokens)))
    return sorted(slot for slot in slots if oldest is None or slot.slot >= oldest)


class RedisBoard(Board):
    def __init__(self, url: str, prefix: str = "mockapi:") -> None:
        self._redis = Redis.from_url(url)
        self._prefix = prefix
        self._tick = prefix + "tick"
        self._windows = prefix + "wi"
        self._incr = self._redis.register_script(INCR)
        self._window = self._redis.register_script(WINDOW)
        self._clear_windows = self._redis.register_script(CLEAR_WINDOWS)
        self._map_put = self._redis.register_script(MAP_PUT)
        self._append = self._redis.register_script(APPEND)

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}{kind}:{name}"

    def incr(self, family: str, key: str, by: int = 1, cap: int = 100_000) -> int:
        keys = [self._key("c", family), self._key("ct", family), self._tick]
        return int(self._incr(keys, [key, by, cap]))

    def count(self, family: str, key: str) -> int:
        value = self._redis.hget(self._key("c", family), key)
        return int(value) if value is not None else 0

    def counts(self, family: str) -> dict[str, int]:
        values = self._redis.hgetall(self._key("c", family))
        return {_text(key): int(value) for key, value in values.items()}

    def drop(self, family: str, key: str | None = None) -> None:
        values, touched = self._key("c", family), self._key("ct", family)
        with self._redis.pipeline() as pipe:  # MULTI ... EXEC: both or neither
            if key is None:
                pipe.delete(values, touched)
            else:
                pipe.hdel(values, key)
                pipe.zrem(touched, key)
            pipe.execute()

    def window(self, key: str, slot: int, requests: int, tokens: int, oldest: int, cap: int = 4_096) -> list[Slot]:
        window = self._key("w", key)
        if not requests and not tokens:
            return _slots(self._redis.hgetall(window).items(), oldest)
        flat = self._window(
            [window, self._windows, self._tick], [slot, requests, tokens, oldest, cap, key, self._prefix + "w:"]
        )
        return _slots(zip(flat[::2], flat[1::2], strict=True))  # HGETALL's flat list from the script

    def clear_windows(self) -> None:
        self._clear_windows([self._windows], [self._prefix + "w:"])

    def map_put(self, name: str, field: str, value: bytes) -> None:
        self._map_put([self._key("m", name), self._key("mo", name), self._tick], [field, value])

    def map_delete(self, name: str, field: str) -> bool:
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._key("m", name), field)
            pipe.zrem(self._key("mo", name), field)
            removed, _ = pipe.execute()
        return int(removed) > 0

    def map_items(self, name: str) -> list[tuple[str, bytes]]:
        with self._redis.pipeline() as pipe:  # the order and the values of one moment
            pipe.zrange(self._key("mo", name), 0, -1)
            pipe.hgetall(self._key("m", name))
            order, values = pipe.execute()
        return [(_text(field), bytes(values[field])) for field in order if field in values]

    def map_clear(self, name: str) -> int:
        with self._redis.pipeline() as pipe:
            pipe.hlen(self._key("m", name))
            pipe.delete(self._key("m", name), self._key("mo", name))
            held, _ = pipe.execute()
        return int(held)

    def append(self, log: str, item: bytes, cap: int) -> int:
        return int(self._append([self._key("l", log), self._key("li", log)], [item, cap]))

    def after(self, log: str, after_id: int = 0) -> list[tuple[int, bytes]]:
        # Entries are (b"ID-0", {b"i": item}): the client's annotations allow Nones no server answers.
        entries = cast(
            list[tuple[bytes, dict[bytes, bytes]]], self._redis.xrange(self._key("l", log), f"{max(after_id, 0) + 1}-0")
        )
        return [(int(_text(entry_id).split("-")[0]), bytes(fields[b"i"])) for entry_id, fields in entries]

    def clear_log(self, log: str) -> None:
        self._redis.delete(self._key("l", log))

    def close(self) -> None:
        self._redis.close()
        self._redis.connection_pool.disconnect()
