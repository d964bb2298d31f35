"""The Redis buffer between the public tracking endpoints and the database.

Endpoints append one compact JSON record per event (RPUSH) and return at once;
`events_drain` (tracking.tasks) stores them in batches. At-least-once: a
drain moves a batch atomically from the queue to an in-flight list (one Lua
script) and deletes it only after the database transaction that stored it
has committed. A drain that dies in between leaves the batch in flight; the
next drain (after the lock's lease) stores it again, and the TouchEvent
fingerprint and AnonymousPageView record id constraints (INSERT … ON
CONFLICT DO NOTHING) make the second write a no-op: exactly-once storage.

One drain at a time (a lease lock), which keeps the in-flight list single;
a batch takes milliseconds, so one drainer keeps up with thousands of events
a second. The doorbell (SET NX PX, in the same round trip as the push)
enqueues at most one drain task per TRACKING_DOORBELL_MS; a drain that
leaves records behind (they came while the bell still rang) enqueues one
trailing drain a doorbell period later. Beat runs a drain every few seconds
as the safety net.
"""
import json
import logging
import secrets

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

QUEUE = "rk:track:queue"
INFLIGHT = "rk:track:inflight"
LOCK = "rk:track:drain-lock"
BELL = "rk:track:bell"
DEAD = "rk:track:dead"  # records whose data the database refuses, kept for a person to look at

_TAKE = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  redis.call('RPUSH', KEYS[2], unpack(items))
end
return items
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_client = None


def client():
    global _client  # noqa: PLW0603 - one connection pool per process
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=0.5)
    return _client


def record_id():
    return secrets.token_hex(8)


def encode(record):
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def push(record):
    """Append one record and ring the doorbell, in one round trip.

    Returns None when Redis is unreachable (the caller stores the record
    itself), else whether this call rang the bell (no drain kicked within
    TRACKING_DOORBELL_MS, or the last drain finished since).
    """
    try:
        pipe = client().pipeline(transaction=False)
        pipe.rpush(QUEUE, encode(record))
        pipe.set(BELL, b"1", nx=True, px=settings.TRACKING_DOORBELL_MS)
        _length, rang = pipe.execute()
    except redis.RedisError:
        logger.warning("tracking: Redis unreachable, storing the event synchronously")
        return None
    return bool(rang)


def lock_acquire(lease_seconds):
    token = secrets.token_hex(8)
    return token if client().set(LOCK, token, nx=True, ex=lease_seconds) else None


def lock_release(token):
    client().eval(_RELEASE, 1, LOCK, token)


def inflight():
    """Records a previous drain took but did not confirm (it crashed, or its transaction failed)."""
    return client().lrange(INFLIGHT, 0, -1)


def take(limit):
    """Move up to `limit` records from the queue to the in-flight list, atomically; returns them."""
    return client().eval(_TAKE, 2, QUEUE, INFLIGHT, limit)


def confirm():
    """The in-flight batch is stored: forget it."""
    client().delete(INFLIGHT)


def pending():
    return client().llen(QUEUE)


def set_aside(record):
    client().rpush(DEAD, record if isinstance(record, bytes | str) else encode(record))
