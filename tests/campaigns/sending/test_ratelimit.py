"""The send-rate budget is shared by every worker through Redis and holds the configured rate."""
import threading
import time

import pytest
import redis
from django.conf import settings

from campaigns.sending.ratelimit import KEY, RateLimiter


@pytest.fixture
def fresh_budget():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(KEY)
    yield
    client.delete(KEY)
    client.close()


def test_two_workers_sharing_the_budget_hold_the_rate_within_five_percent(fresh_budget):
    rate_per_minute, window = 12_000, 3.0  # 200 a second, measured over three seconds
    sent, stop = [], time.monotonic() + window

    def worker():
        limiter = RateLimiter(rate_per_minute)
        while True:
            limiter.acquire(5)
            if time.monotonic() >= stop:
                break
            sent.append(5)
        limiter.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = rate_per_minute / 60 * window
    assert abs(sum(sent) - expected) <= expected * 0.05


def test_a_reservation_waits_for_its_slot_on_the_shared_timeline(fresh_budget):
    waits = []
    limiter = RateLimiter(60, sleep=waits.append)  # one a second
    assert limiter.chunk == 1
    for _ in range(3):
        limiter.acquire(1)
    assert waits[0] == pytest.approx(1.0, abs=0.05) and waits[1] == pytest.approx(2.0, abs=0.05)
    limiter.close()
