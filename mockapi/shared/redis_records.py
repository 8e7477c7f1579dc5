"""Stored API objects in Redis, for replicas that share them (--state-url): the semantics of SQLiteRecords.
Each write is one Lua script (Redis runs it alone); each read one MULTI, so it sees one moment.

Keys of a kind, under the prefix: r:KIND:body, r:KIND:owner and r:KIND:created (hashes by id), r:KIND:seq
(sorted set id -> insertion number, the order in which the oldest leave), r:KIND:bytes (the bodies' total
length) and r:KIND:next (the insertion counter, which a clear leaves).
"""

from __future__ import annotations

from typing import Any

import orjson
from redis import Redis

from mockapi.records_base import Bounds, Record, Records

# A new id takes the next insertion number and its created_at; a replaced one keeps both (its place).
# Then the oldest inserted leave while the kind is over its count or its bytes.
PUT = """
local body, owner, created, seq, size, counter = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, data = ARGV[1], ARGV[3]
local total
if redis.call('HEXISTS', body, id) == 1 then
  total = redis.call('INCRBY', size, #data - redis.call('HSTRLEN', body, id))
else
  redis.call('ZADD', seq, redis.call('INCR', counter), id)
  redis.call('HSET', created, id, ARGV[4])
  total = redis.call('INCRBY', size, #data)
end
redis.call('HSET', body, id, data)
redis.call('HSET', owner, id, ARGV[2])
local count = redis.call('ZCARD', seq)
while count > tonumber(ARGV[5]) or total > tonumber(ARGV[6]) do
  local oldest = redis.call('ZRANGE', seq, 0, 0)[1]
  if not oldest then break end
  total = redis.call('INCRBY', size, -redis.call('HSTRLEN', body, oldest))
  redis.call('HDEL', body, oldest)
  redis.call('HDEL', owner, oldest)
  redis.call('HDEL', created, oldest)
  redis.call('ZREM', seq, oldest)
  count = count - 1
end
"""

# Only the owner's record goes.
DELETE = """
local body, owner, created, seq, size = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id = ARGV[1]
if redis.call('HGET', owner, id) ~= ARGV[2] then return 0 end
redis.call('INCRBY', size, -redis.call('HSTRLEN', body, id))
redis.call('HDEL', body, id)
redis.call('HDEL', owner, id)
redis.call('HDEL', created, id)
redis.call('ZREM', seq, id)
return 1
"""


class RedisRecords(Records):
    """The records of one kind in Redis; `redis` may be shared by the stores of every kind."""

    def __init__(self, kind: str, bounds: Bounds, redis: Redis, prefix: str = "mockapi:") -> None:
        super().__init__(kind, bounds)
        self._redis = redis
        base = f"{prefix}r:{kind}:"
        self._body, self._owner, self._created = base + "body", base + "owner", base + "created"
        self._seq, self._bytes, self._next = base + "seq", base + "bytes", base + "next"
        self._put = redis.register_script(PUT)
        self._delete = redis.register_script(DELETE)

    @staticmethod
    def kinds(redis: Redis, prefix: str = "mockapi:") -> list[str]:
        """The kinds any process has stored records of (each has its insertion order)."""
        pattern = f"{prefix}r:*:seq"
        return [key.decode()[len(prefix) + 2 : -len(":seq")] for key in redis.scan_iter(match=pattern, count=1000)]

    def _keys(self) -> list[str]:
        return [self._body, self._owner, self._created, self._seq, self._bytes, self._next]

    def put(self, owner: str, record_id: str, record: Record, created_at: int) -> None:
        data = orjson.dumps(record)
        self._put(self._keys(), [record_id, owner, data, created_at, self.bounds.count, self.bounds.bytes])

    def get(self, owner: str, record_id: str) -> Record | None:
        with self._redis.pipeline() as pipe:
            pipe.hget(self._owner, record_id)
            pipe.hget(self._body, record_id)
            who, body = pipe.execute()
        if body is None or who is None or who.decode() != owner:
            return None
        loaded: Record = orjson.loads(body)
        return loaded

    def delete(self, owner: str, record_id: str) -> bool:
        return bool(self._delete(self._keys(), [record_id, owner]))

    def _ordered(self, owner: str | None) -> list[tuple[str, Record]]:
        with self._redis.pipeline() as pipe:
            pipe.zrange(self._seq, 0, -1, withscores=True)
            pipe.hgetall(self._owner)
            pipe.hgetall(self._created)
            pipe.hgetall(self._body)
            inserted, owners, created, bodies = pipe.execute()
        rows: list[tuple[float, float, str, str, Any]] = []
        for raw_id, seq in inserted:
            who = owners[raw_id].decode()
            if owner is None or who == owner:
                rows.append((float(created[raw_id]), seq, raw_id.decode(), who, bodies[raw_id]))
        rows.sort(key=lambda row: (row[0], row[1]))  # by created_at, then insertion
        if owner is None:
            return [(rid, {**orjson.loads(body), "_owner": who}) for _, _, rid, who, body in rows]
        return [(rid, orjson.loads(body)) for _, _, rid, _, body in rows]

    def clear(self) -> None:
        self._redis.delete(self._body, self._owner, self._created, self._seq, self._bytes)
