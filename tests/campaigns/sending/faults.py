"""Shared by the fault tests: a running broadcast, waiting, the exactly-once check and what the health page says."""
import time

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from campaigns.models import TERMINAL_STATUSES, Delivery, DeliveryStatus, SendingSettings
from campaigns.sending import health
from campaigns.sending.dispatch import SWEPT_ERROR
from campaigns.sending.materialize import campaign_start
from campaigns.sending.message import message_id_for

from .conftest import make_broadcast, make_contacts, make_segment, make_sender, make_template


def start_broadcast(count, *, sender=None, template=None):
    """A running broadcast to `count` opted-in contacts, sendable at any hour (the test runs whenever CI does)."""
    policy = SendingSettings.load()
    policy.quiet_weekends = policy.quiet_holidays = False
    policy.quiet_end = policy.quiet_start
    policy.save()
    campaign = make_broadcast(sender=sender or make_sender(), template=template or make_template(),
                              segment=make_segment(make_contacts(count)))
    campaign_start(campaign, now=timezone.now())
    return campaign


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def all_terminal():
    return not Delivery.objects.exclude(status__in=TERMINAL_STATUSES).exists()


def settled():
    """Every delivery terminal and the sweeper's run recorded: on a fast machine a send can end before beat's
    first sweep task gets a worker (it queues behind the send tasks), and the health page reads its note.

    When the sweeper marked rows unknown, its note of them too: it commits the rows and then writes the note,
    and a worker stopped in between (the tests stop it as soon as this holds) never writes it.
    """
    runs = health.beat_runs()
    if not (all_terminal() and runs and runs["sweep"]["last"]):
        return False
    swept = Delivery.objects.filter(status=DeliveryStatus.UNKNOWN, last_error=SWEPT_ERROR).exists()
    return not swept or bool(runs["sweep"].get("unknown"))


def assert_exactly_once(recorder):
    """No Message-ID twice; every sent row reached the server; what the server got is sent or unknown.

    Returns (sent, unknown) row counts.
    """
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


def clear_beat_notes():
    """Forget earlier tests' dispatch and sweeper notes (the health page reads them from Redis)."""
    keys = [key.format(job=job) for job in health.JOBS for key in (health.RUN_KEY, health.SINCE_KEY)]
    keys += [health.CHANGE_KEY.format(job=job, count=name) for job, names in health.JOBS.items() for name in names]
    redis.Redis.from_url(settings.REDIS_URL).delete(*keys)


def assert_health_reports(*, sent, unknown, failed=0, swept=True):
    """The Sending health page's reading agrees with the outcome: nothing waiting, in flight or overdue.

    swept: the unknown rows were marked by the sweeper (a lease ran out), so its note must say so; False when
    the worker marked them itself (a connection lost after the message was handed over).
    """
    connection.close()  # a fresh connection: the one before the fault may be gone
    if unknown and swept:
        # The sweeper commits its UPDATE and then writes its note to Redis: the rows can be terminal a moment
        # before the note is there.
        wait_until(lambda: (health.beat_runs() or {}).get("sweep", {}).get("unknown"), 15,
                   "the sweeper's note of the rows it marked unknown")
    reading = health.sending_health(now=timezone.now())
    counts = reading["counts"]
    assert (counts["sent"], counts["unknown"], counts["failed"]) == (sent, unknown, failed)
    assert (counts["queued"], counts["sending"], counts["overdue"], counts["retrying"]) == (0, 0, 0, 0)
    assert [row.status for row in reading["unknown"]] == [DeliveryStatus.UNKNOWN] * min(unknown, health.LIST_LIMIT)
    assert reading["runs"]["sweep"]["last"] is not None, "the sweeper's runs are not recorded"
    if unknown and swept:
        assert reading["runs"]["sweep"]["unknown"] is not None, "the sweep that marked rows unknown left no note"
    assert reading["queue"] is not None and reading["queue"]["name"] == settings.SENDING_QUEUE
    return reading
