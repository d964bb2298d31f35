"""Pytest plugin loaded with `-p` so it runs before Django's settings load.

Points the suite at PostgreSQL and Redis on localhost when they answer (CI and
this machine kind), otherwise at SQLite and an embedded Redis.
"""
import atexit
import os
import tempfile

from config import embedded_redis

if "DATABASE_URL" not in os.environ and embedded_redis.port_answers("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/rekindle"

if "REDIS_URL" not in os.environ:
    if embedded_redis.port_answers("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    else:
        _process, _url = embedded_redis.start(tempfile.mkdtemp(prefix="rekindle-redis-"))
        atexit.register(embedded_redis.stop, _process)
        os.environ["REDIS_URL"] = _url

os.environ.setdefault("REKINDLE_VAR_DIR", tempfile.mkdtemp(prefix="rekindle-test-var-"))
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# The per-IP limits on public endpoints count in Redis across the whole run (every test client is 127.0.0.1):
# off by default here, switched on by the tests that are about them.
os.environ.setdefault("PUBLIC_PAGE_RATE_PER_MINUTE", "0")
os.environ.setdefault("PUBLIC_TRACKING_RATE_PER_MINUTE", "0")
os.environ.setdefault("PUBLIC_BEACON_RATE_PER_MINUTE", "0")
os.environ.setdefault("PUBLIC_FORM_RATE_PER_MINUTE", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
