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
import hashlib
import json
import logging
import secrets

import redis
from django.conf import settings

from . import fastredis

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
# The public endpoints' one round trip: count the client's request in its per-minute window (KEYS[3], when
# ARGV[2] > 0) and refuse past the limit; else append the record and ring the doorbell.
# Returns {requests this minute, 1 rang / 0 did not / -1 refused}.
_PUSH = """
local count = 0
if tonumber(ARGV[2]) > 0 then
  count = redis.call('INCR', KEYS[3])
  if count == 1 then redis.call('EXPIRE', KEYS[3], 120) end
  if count > tonumber(ARGV[2]) then return {count, -1} end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', tonumber(ARGV[3])) then return {count, 1} end
return {count, 0}
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_PUSH_SHA = hashlib.sha1(_PUSH.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1
_client = None
_fast = None
REFUSED = "refused"
UNLIMITED = "rk:throttle:none"  # named to the script when no limit applies; never written


def client():
    global _client  # noqa: PLW0603 - one connection pool per process
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=0.5)
    return _client


def _push_call(keys, args):
    global _fast  # noqa: PLW0603 - one lean connection per process and thread (fastredis)
    if _fast is None:
        _fast = fastredis.FastConnection.for_url(settings.REDIS_URL, timeout=1) or False
    if _fast is False:  # a TLS or unix-socket Redis: redis-py (EVALSHA, loading the script when needed)
        return client().register_script(_PUSH)(keys=keys, args=args)
    return fastredis.script_run(_fast, _PUSH, _PUSH_SHA, keys, args)


def record_id():
    return secrets.token_hex(8)


def encode(record):
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def push(record, *, throttle_key=UNLIMITED, per_minute=0):
    """Append one record and ring the doorbell, in one round trip (EVALSHA); with `per_minute`, count the request
    against that limit under `throttle_key` in the same trip.

    Returns REFUSED past the limit (nothing is buffered), None when Redis is
    unreachable (the caller stores the record itself; no limit applies then),
    else whether this call rang the bell (no drain kicked within
    TRACKING_DOORBELL_MS, or the last drain finished since).
    """
    try:
        _count, rang = _push_call([QUEUE, BELL, throttle_key],
                                  [encode(record), str(per_minute or 0), str(settings.TRACKING_DOORBELL_MS)])
    except redis.RedisError:
        logger.warning("tracking: Redis unreachable, storing the event synchronously")
        return None
    return REFUSED if rang < 0 else bool(rang)


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


def bell_clear():
    """A drain has finished: the next push rings (and kicks a drain) whatever the doorbell period."""
    client().delete(BELL)


def confirm():
    """The in-flight batch is stored: forget it."""
    client().delete(INFLIGHT)


def pending():
    return client().llen(QUEUE)


def set_aside(record):
    client().rpush(DEAD, record if isinstance(record, bytes | str) else encode(record))


# Moving one set-aside record by its content (a person picked it on the page), atomically: LREM then RPUSH.
_MOVE = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  if ARGV[2] == '1' then redis.call('RPUSH', KEYS[2], ARGV[1]) end
  return 1
end
return 0
"""


def state():
    """What the buffer holds now: waiting, in flight, set aside, and whether a drain holds the lock."""
    pipe = client().pipeline(transaction=False)
    pipe.llen(QUEUE)
    pipe.llen(INFLIGHT)
    pipe.llen(DEAD)
    pipe.exists(LOCK)
    waiting, inflight_count, dead, locked = pipe.execute()
    return {"waiting": waiting, "inflight": inflight_count, "set_aside": dead, "draining": bool(locked)}


def set_aside_records(limit):
    """The oldest `limit` records set aside, raw."""
    return client().lrange(DEAD, 0, limit - 1)


def set_aside_move(raw, *, retry):
    """Put one set-aside record back on the queue (retry) or drop it; False when it is no longer there."""
    return bool(client().eval(_MOVE, 2, DEAD, QUEUE, raw, "1" if retry else "0"))
