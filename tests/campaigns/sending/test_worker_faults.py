"""Exactly-once under faults: a real worker (with beat) sending to a real SMTP server, killed and cut off.

Every recipient must end in a terminal state and no Message-ID may reach the
SMTP server twice. Rows a killed worker had claimed end `unknown` (maybe
sent, never resent); everything else is sent. Each test also reads the
Sending health page's selector: what the operator sees must match. The
database and the SMTP server going away are in test_outage_faults.py.
"""
import time

import pytest
from django.utils import timezone

from campaigns.models import Delivery, DeliveryStatus
from campaigns.sending.health import beat_runs
from campaigns.sending.send import CLAIM_CHUNK
from config import embedded_redis

from .faults import (
    assert_exactly_once,
    assert_health_reports,
    clear_beat_notes,
    settled,
    start_broadcast,
    wait_until,
)
from .smtp import SmtpServer
from .worker import SendingWorker

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 5_000  # the send size


@pytest.fixture
def campaign_of(sender, template):
    clear_beat_notes()
    return lambda count: start_broadcast(count, sender=sender, template=template)


def test_sigkill_of_a_child_and_then_the_whole_worker_mid_batch_sends_each_message_at_most_once(
        campaign_of, sending_settings, tmp_path):
    campaign_of(RECIPIENTS)
    with SmtpServer() as smtp:
        smtp.recorder.delay = 0.01
        worker = SendingWorker(smtp_port=smtp.port, var_dir=tmp_path, SENDING_BATCH_SIZE=100).start()
        sending_settings.SENDING_QUEUE = worker.queue
        try:
            wait_until(lambda: len(smtp.recorder.messages) >= 1000, 180, "the first thousand messages")
            worker.kill_child()
            wait_until(lambda: len(smtp.recorder.messages) >= 2500, 180, "sending to go on after a child died")
            worker.kill()
            stalled = Delivery.objects.filter(status=DeliveryStatus.SENDING).count()
            worker.start()  # a fresh worker (and beat) on the same queue
            wait_until(settled, 300, "every delivery to end, and the sweeper to run")
        finally:
            worker.stop()
        sent, unknown = assert_exactly_once(smtp.recorder)
    # Claimed chunks are what a kill can strand: the dead child's, then both children's when the worker died.
    assert stalled <= 3 * CLAIM_CHUNK and unknown <= 3 * CLAIM_CHUNK
    assert sent + unknown == RECIPIENTS
    assert_health_reports(sent=sent, unknown=unknown)


def test_redis_restarted_empty_with_work_queued_is_finished_by_dispatch_and_the_sweeper(
        campaign_of, sending_settings, tmp_path):
    campaign_of(300)
    redis_process, redis_url = embedded_redis.start(tmp_path / "redis-1")
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    with SmtpServer() as smtp:
        smtp.recorder.delay = 0.02
        worker = SendingWorker(smtp_port=smtp.port, var_dir=tmp_path / "var", redis_url=redis_url,
                               SENDING_BATCH_SIZE=100).start()
        # The health page reads the notes and the queue where this worker and its beat keep them.
        sending_settings.REDIS_URL = sending_settings.CELERY_BROKER_URL = redis_url
        sending_settings.SENDING_QUEUE = worker.queue
        try:
            wait_until(lambda: len(smtp.recorder.messages) >= 40, 90, "the first messages")
            embedded_redis.stop(redis_process)  # every queued doorbell is gone with it
            time.sleep(1)
            redis_process, _url = embedded_redis.start(tmp_path / "redis-2", port=port)  # empty: nothing kept
            wait_until(settled, 150, "every delivery to end after the restart, and the sweeper to run")
            wait_until(_swept, 30, "a sweep recorded in the new Redis")
            sent, unknown = assert_exactly_once(smtp.recorder)
            assert sent + unknown == 300 and sent >= 200
            assert_health_reports(sent=sent, unknown=unknown)
        finally:
            worker.stop()
            embedded_redis.stop(redis_process)


def _swept():
    runs = beat_runs()
    return bool(runs and runs["sweep"]["last"])


def test_through_a_real_worker_421_is_retried_550_suppresses_and_an_unsubscribe_stops_the_rest(
        campaign_of, sending_settings, tmp_path):
    from campaigns.models import SkipReason, Suppression
    from campaigns.sending.public import contact_unsubscribe

    campaign = campaign_of(400)  # four tasks of 100: the last is claimed seconds after the first messages
    rows = list(Delivery.objects.filter(step__campaign=campaign).select_related("contact").order_by("id"))
    retried, bounced, leaving = rows[5], rows[6], rows[-1]
    with SmtpServer() as smtp:
        smtp.recorder.delay = 0.02
        smtp.recorder.fail(retried.contact.email, 421)
        smtp.recorder.fail(bounced.contact.email, 550)
        worker = SendingWorker(smtp_port=smtp.port, var_dir=tmp_path, SENDING_BATCH_SIZE=100).start()
        sending_settings.SENDING_QUEUE = worker.queue
        try:
            wait_until(lambda: len(smtp.recorder.messages) >= 20, 90, "the first messages")
            assert contact_unsubscribe(delivery=leaving, now=timezone.now(), source="test") is True
            wait_until(settled, 120, "every delivery to end, and the sweeper to run")
        finally:
            worker.stop()
        assert_exactly_once(smtp.recorder)
        recorder = smtp.recorder
        assert len(recorder.to(retried.contact.email)) == 1 and recorder.to(bounced.contact.email) == []
        assert recorder.to(leaving.contact.email) == []
    retried.refresh_from_db(), bounced.refresh_from_db(), leaving.refresh_from_db()
    assert (retried.status, retried.attempts) == (DeliveryStatus.SENT, 2)
    assert (bounced.status, bounced.reason) == (DeliveryStatus.FAILED, SkipReason.SMTP_REJECTED)
    assert Suppression.objects.get(email=bounced.contact.email).reason == "bounced"
    assert (leaving.status, leaving.reason) == (DeliveryStatus.SUPPRESSED, SkipReason.UNSUBSCRIBED)
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 398
    reading = assert_health_reports(sent=398, unknown=0, failed=1)
    assert [row.pk for row in reading["failed"]] == [bounced.pk] and "550" in reading["failed"][0].last_error
