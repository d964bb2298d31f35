"""A round trip through a real worker process on the real Redis broker."""
import pytest

from config.celery import ping
from tests.worker import running_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_ping_task_round_trips_through_a_real_worker():
    with running_worker() as queue:
        result = ping.apply_async(queue=queue)
        assert result.get(timeout=30) == "pong"
