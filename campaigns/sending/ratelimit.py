"""A send-rate budget shared by every worker: a scheduler in Redis (GCRA style).

Each reservation of n messages gets the next free slot on a shared timeline
(one message every 60/rate seconds) and is told how long to wait for it. The
timeline lives in one Redis key, advanced atomically by a Lua script using
Redis' own clock, so any number of workers on any number of machines add up
to the configured rate: over five minutes the count stays within one
reservation of rate × 5.
"""
import time

import redis
from django.conf import settings

KEY = "rekindle:sending:rate:tat"

# KEYS[1]: the timeline; ARGV[1]: seconds per message; ARGV[2]: messages. Returns the wait in microseconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local start = tonumber(redis.call('GET', KEYS[1]) or '0')
if start < now then start = now end
local finish = start + interval * tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.0f', finish), 'PX', math.ceil((finish - now) / 1000) + 60000)
return math.floor(start - now)
"""


class RateLimiter:
    """Reserve n sends at `per_minute` across all workers; `acquire` sleeps until the reservation is due."""

    def __init__(self, per_minute, *, client=None, sleep=time.sleep):
        self.per_minute = per_minute
        self.interval_us = 60_000_000 / per_minute
        self.client = client or redis.Redis.from_url(settings.REDIS_URL)
        self.script = self.client.register_script(_RESERVE)
        self.sleep = sleep

    @property
    def chunk(self):
        """How many messages to reserve at once: about a second's worth, at least one."""
        return max(1, self.per_minute // 60)

    def acquire(self, count):
        wait_us = int(self.script(keys=[KEY], args=[self.interval_us, count]))
        if wait_us > 0:
            self.sleep(wait_us / 1_000_000)
        return wait_us / 1_000_000

    def close(self):
        self.client.close()
