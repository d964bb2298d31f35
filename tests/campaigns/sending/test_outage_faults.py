"""Outages during a real send: PostgreSQL restarted under a worker, the SMTP server down for a minute.

A real worker with beat sends a broadcast to a local SMTP server (aiosmtpd).
The database is a private PostgreSQL cluster (tests/.../private_postgres.py),
stopped with `pg_ctl stop -m immediate` mid-send and started again: the shared
server on 5432 is never touched. Afterwards every recipient is terminal
(sent, or unknown for a chunk whose outcome could not be written), nothing
reached the SMTP server twice, no row is left `sending`, and the Sending
health page's selector says so.
"""
import time

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import Delivery, DeliveryStatus
from campaigns.sending import health
from campaigns.sending.send import CLAIM_CHUNK

from .faults import (
    assert_exactly_once,
    assert_health_reports,
    clear_beat_notes,
    settled,
    start_broadcast,
    wait_until,
)
from .private_postgres import PrivatePostgres, default_database_at, migrate, unavailable
from .smtp import SmtpServer
from .worker import SendingWorker

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DATABASE_OUTAGE_SECONDS = 5
# The issue asks for a minute. The worker's retry base is 5 s (SENDING_RETRY_BASE_SECONDS, a documented
# setting, the production default is 60): with 5 attempts a row is tried at +5, +15, +35 and +75 s after its
# first refusal, so one outage of up to ~70 s is ridden out and the test stays under two minutes.
SMTP_OUTAGE_SECONDS = 60
SMTP_RETRY_BASE_SECONDS = 5


@pytest.fixture
def fresh_notes():
    clear_beat_notes()


@pytest.fixture
def private_database():
    """A private PostgreSQL cluster with the schema, and this process's default connection pointed at it."""
    if connection.vendor != "postgresql":
        pytest.skip("restarting the database needs PostgreSQL; the database under test is "
                    f"{connection.vendor}")
    reason = unavailable()
    if reason:
        pytest.skip(f"cannot start a private PostgreSQL cluster: {reason}")
    cluster = PrivatePostgres()
    try:
        cluster.init().start()
        name = "rk_faults_private"
        migrate(cluster.create_database(name))
        with default_database_at(port=cluster.port, name=name):
            yield cluster
    finally:
        cluster.destroy()


def test_postgresql_restarted_mid_send_leaves_every_recipient_terminal_and_sends_nothing_twice(
        private_database, fresh_notes, sending_settings, tmp_path):
    count = 1_000
    start_broadcast(count)
    with SmtpServer() as smtp:
        smtp.recorder.delay = 0.01
        # Lost doorbells are re-rung only after 10 minutes here (the production default): the send tasks that
        # met the outage must retry themselves for the send to finish in time.
        # A lease well above a chunk's sending time on a busy machine: only the chunks the outage caught go unknown.
        worker = SendingWorker(smtp_port=smtp.port, var_dir=tmp_path, SENDING_BATCH_SIZE=100,
                               SENDING_REDISPATCH_SECONDS=600, SENDING_LEASE_SECONDS=20).start()
        sending_settings.SENDING_QUEUE = worker.queue
        try:
            wait_until(lambda: len(smtp.recorder.messages) >= 300, 180, "the first messages")
            connection.close()
            private_database.stop("immediate")  # every backend killed mid-statement, as in a database crash
            at_stop = len(smtp.recorder.messages)
            time.sleep(DATABASE_OUTAGE_SECONDS)
            during = len(smtp.recorder.messages) - at_stop
            private_database.start()
            wait_until(settled, 240, "every delivery to end after the database came back, and the sweeper to run")
        finally:
            worker.stop()
        sent, unknown = assert_exactly_once(smtp.recorder)
        log = worker.output()
    assert at_stop < count, "the database went down after the send had finished"
    assert "OperationalError" in log and "Retry in" in log, "no send task met the outage and retried"
    # Each pool process can lose one claimed chunk's outcomes (and mail a few more before it notices).
    assert sent + unknown == count and unknown <= 2 * CLAIM_CHUNK
    assert during <= 2 * CLAIM_CHUNK
    assert_health_reports(sent=sent, unknown=unknown)


def test_smtp_server_down_for_a_minute_nothing_goes_twice_and_the_rest_goes_after_retries(
        fresh_notes, sending_settings, tmp_path):
    count = 1_000
    start_broadcast(count)
    smtp = SmtpServer().start()
    smtp.recorder.delay = 0.01
    worker = SendingWorker(smtp_port=smtp.port, var_dir=tmp_path, SENDING_BATCH_SIZE=100,
                           SENDING_RETRY_BASE_SECONDS=SMTP_RETRY_BASE_SECONDS).start()
    sending_settings.SENDING_QUEUE = worker.queue
    try:
        wait_until(lambda: len(smtp.recorder.messages) >= 200, 180, "the first messages")
        smtp.stop()
        down_at = time.monotonic()
        # While it is down the operator sees mail waiting to retry, with the connection error.
        wait_until(lambda: health.delivery_counts(now=timezone.now())["retrying"] > 0, 30, "rows waiting to retry")
        reading = health.sending_health(now=timezone.now())
        assert reading["retrying"] and "Connection refused" in reading["retrying"][0].last_error
        # A message whose data had gone when the server went is interrupted, not resent: the client cannot tell
        # whether it was taken (one per sending process at most). Everything else waits to retry.
        assert reading["counts"]["failed"] == 0 and reading["counts"]["unknown"] <= worker.concurrency
        time.sleep(max(SMTP_OUTAGE_SECONDS - (time.monotonic() - down_at), 0))
        smtp.start()
        wait_until(settled, 150, "every delivery to end after the SMTP server came back, and the sweeper to run")
    finally:
        worker.stop()
        smtp.stop()
    sent, unknown = assert_exactly_once(smtp.recorder)
    assert sent + unknown == count and unknown <= worker.concurrency, "a recipient was lost by the outage"
    lost = Delivery.objects.filter(status=DeliveryStatus.UNKNOWN)
    assert all("handed to the mail server" in row.last_error for row in lost)
    assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts__gt=1).count() >= CLAIM_CHUNK
    assert_health_reports(sent=sent, unknown=unknown, swept=False)  # the worker marked them, at once
