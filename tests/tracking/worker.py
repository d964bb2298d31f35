"""A real Celery drain worker on a queue of its own, as production runs it (TRACKING_QUEUE for web and worker)."""
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

from config.celery import app as celery_app
from tests.worker import ROOT, _test_database_url


@contextmanager
def drain_worker(settings):
    """Start `celery worker -Q <queue>` with TRACKING_QUEUE=<queue>; this process sends there too."""
    queue = f"track-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_TASK_ALWAYS_EAGER": "0",
           "TRACKING_QUEUE": queue}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--queues", queue,
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--hostname", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    settings.TRACKING_QUEUE = queue
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("worker did not start: " + (process.stdout.read().decode(errors="replace")
                                                               if process.poll() is not None else "timeout"))
        yield queue
    finally:
        celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
