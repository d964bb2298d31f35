"""Exactly-once under faults: a real worker (with beat) sending to a real SMTP server, killed and cut off.

Every recipient must end in a terminal state and no Message-ID may reach the
SMTP server twice. Rows a killed worker had claimed end `unknown` (maybe
sent, never resent); everything else is sent.
"""
import time

import pytest
from django.utils import timezone

from campaigns.models import TERMINAL_STATUSES, Delivery, DeliveryStatus, SendingSettings
from campaigns.sending.materialize import campaign_start
from campaigns.sending.message import message_id_for
from campaigns.sending.send import CLAIM_CHUNK
from config import embedded_redis

from .conftest import make_broadcast, make_contacts, make_segment
from .smtp import SmtpServer
from .worker import SendingWorker

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign_of(sender, template):
    def create(count):
        policy = SendingSettings.load()  # send at any hour: the test runs whenever CI does
        policy.quiet_weekends = policy.quiet_holidays = False
        policy.quiet_end = policy.quiet_start
        policy.save()
        campaign = make_broadcast(sender=sender, template=template, segment=make_segment(make_contacts(count)))
        campaign_start(campaign, now=timezone.now())
        return campaign
    return create


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def all_terminal():
    return not Delivery.objects.exclude(status__in=TERMINAL_STATUSES).exists()


def assert_exactly_once(recorder):
    received = recorder.message_ids()
    assert received and set(received.values()) == {1}, "a Message-ID reached the SMTP server twice"
    rows = list(Delivery.objects.values_list("id", "status", "message_id"))
    assert {status for _id, status, _mid in rows} <= set(TERMINAL_STATUSES)
    expected = {row_id: message_id_for(row_id, "rekindle.example.co.jp") for row_id, _s, _m in rows}
    sent = {expected[row_id] for row_id, status, _m in rows if status == DeliveryStatus.SENT}
    maybe = {expected[row_id] for row_id, status, _m in rows if status == DeliveryStatus.UNKNOWN}
    assert sent <= set(received), "a row marked sent never reached the server"
    assert set(received) <= sent | maybe, "the server got a message for a row that is neither sent nor unknown"
    assert all(mid == expected[row_id] for row_id, status, mid in rows if status == DeliveryStatus.SENT)
    return len(sent), len(maybe)


def test_sigkill_of_a_child_and_then_the_whole_worker_mid_batch_sends_each_message_at_most_once(
        campaign_of, sending_settings, tmp_path):
    campaign_of(300)
    with SmtpServer() as smtp:
        smtp.recorder.delay = 0.02
        worker = SendingWorker(smtp_port=smtp.port, var_dir=tmp_path, SENDING_BATCH_SIZE=100).start()
        try:
            wait_until(lambda: len(smtp.recorder.messages) >= 40, 90, "the first messages")
            worker.kill_child()
            wait_until(lambda: len(smtp.recorder.messages) >= 120, 60, "sending to go on after a child died")
            worker.kill()
            stalled = Delivery.objects.filter(status=DeliveryStatus.SENDING).count()
            worker.start()  # a fresh worker (and beat) on the same queue
            wait_until(all_terminal, 120, "every delivery to end")
        finally:
            worker.stop()
        sent, unknown = assert_exactly_once(smtp.recorder)
    # Claimed chunks are what a kill can strand: the dead child's, then both children's when the worker died.
    assert stalled <= 3 * CLAIM_CHUNK and unknown <= 3 * CLAIM_CHUNK


def test_redis_restarted_empty_with_work_queued_is_finished_by_dispatch_and_the_sweeper(
        campaign_of, sending_settings, tmp_path):
    campaign_of(300)
    redis_process, redis_url = embedded_redis.start(tmp_path / "redis-1")
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    with SmtpServer() as smtp:
        smtp.recorder.delay = 0.02
        worker = SendingWorker(smtp_port=smtp.port, var_dir=tmp_path / "var", redis_url=redis_url,
                               SENDING_BATCH_SIZE=100).start()
        try:
            wait_until(lambda: len(smtp.recorder.messages) >= 40, 90, "the first messages")
            embedded_redis.stop(redis_process)  # every queued doorbell is gone with it
            time.sleep(1)
            redis_process, _url = embedded_redis.start(tmp_path / "redis-2", port=port)  # empty: nothing kept
            wait_until(all_terminal, 150, "every delivery to end after the restart")
        finally:
            worker.stop()
            embedded_redis.stop(redis_process)
        sent, unknown = assert_exactly_once(smtp.recorder)
    assert sent + unknown == 300 and sent >= 200


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
        try:
            wait_until(lambda: len(smtp.recorder.messages) >= 20, 90, "the first messages")
            assert contact_unsubscribe(delivery=leaving, now=timezone.now(), source="test") is True
            wait_until(all_terminal, 120, "every delivery to end")
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
