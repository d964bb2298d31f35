"""A real Celery worker process bound to the test database and Redis."""
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def _test_database_url():
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{user}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@contextmanager
def running_worker(*, prefix="test", pool="prefork", env=None, queue=None):
    """Start `celery worker` on a private queue (`queue`, else a new name); yields the queue name.

    The worker reads the same (test) database through DATABASE_URL, so the
    caller must use `transactional_db` for the worker to see its rows. `env`
    may name the queue through "{queue}" (e.g. TRACKING_QUEUE).
    """
    queue = queue or f"{prefix}-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_TASK_ALWAYS_EAGER": "0",
           **{name: value.format(queue=queue) for name, value in (env or {}).items()}}
    pool_args = ["--pool", pool] + (["--concurrency", "1"] if pool == "prefork" else [])
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", *pool_args,
         "--queues", queue, "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
         "--hostname", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = celery_app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                break
            if process.poll() is not None:
                raise RuntimeError("worker exited: " + process.stdout.read().decode(errors="replace"))
        else:
            raise RuntimeError("worker did not answer within 60 s")
        yield queue
    finally:
        celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
