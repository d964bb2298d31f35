"""The project's Celery app with every task on one private queue (E2E_QUEUE), beat's entries included.

The journey test runs `celery -A tests.e2e.celery_app worker -B -Q <queue>`: the
worker, its embedded beat and the test process (which sets the same default
queue) then share a queue no other test's worker reads.
"""
import os

from config.celery import app

if os.environ.get("E2E_QUEUE"):
    app.conf.task_default_queue = os.environ["E2E_QUEUE"]

__all__ = ["app"]
