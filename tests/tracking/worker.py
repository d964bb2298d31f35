"""A real Celery drain worker on a queue of its own, as production runs it (TRACKING_QUEUE for web and worker)."""
from contextlib import contextmanager

from tests.worker import running_worker


@contextmanager
def drain_worker(settings):
    """Start `celery worker -Q <queue>` with TRACKING_QUEUE=<queue>; this process sends there too."""
    with running_worker(prefix="track", pool="solo", env={"TRACKING_QUEUE": "{queue}"}) as queue:
        previous, settings.TRACKING_QUEUE = settings.TRACKING_QUEUE, queue
        try:
            yield queue
        finally:
            settings.TRACKING_QUEUE = previous
