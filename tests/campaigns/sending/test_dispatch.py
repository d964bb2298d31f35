"""Beat's side: due rows handed out by keyset in batches, lost doorbells re-rung, stale leases expired."""
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import tasks
from campaigns.models import CampaignStatus, Delivery, DeliveryStatus, SendingSettings
from campaigns.sending.dispatch import deliveries_dispatch, deliveries_sweep
from campaigns.sending.materialize import campaign_start
from config.celery import app as celery_app

from .conftest import WORKDAY, make_broadcast, make_contacts, make_segment


@pytest.fixture
def queued(sender, template, sending_settings):
    contacts = make_contacts(250)
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(contacts))
    campaign_start(campaign, now=WORKDAY)
    return campaign


def test_dispatch_hands_out_due_rows_in_batches_of_at_least_a_hundred_once(queued, settings):
    settings.SENDING_BATCH_SIZE = 100
    batches = deliveries_dispatch(now=WORKDAY)
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert sorted(i for batch in batches for i in batch) == sorted(Delivery.objects.values_list("id", flat=True))
    assert deliveries_dispatch(now=WORKDAY + timedelta(seconds=15)) == []  # the doorbells are out
    # A doorbell lost (Redis restarted empty): rung again once its stamp expires.
    later = WORKDAY + timedelta(seconds=settings.SENDING_REDISPATCH_SECONDS + 1)
    assert sum(len(batch) for batch in deliveries_dispatch(now=later)) == 250


def test_dispatch_reads_by_keyset_without_offset(queued, settings, monkeypatch):
    from campaigns.sending import dispatch

    monkeypatch.setattr(dispatch, "PAGE", 60)
    with CaptureQueriesContext(connection) as queries:
        deliveries_dispatch(now=WORKDAY)
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and "campaigns_delivery" in q["sql"]]
    assert len(reads) == 6  # five pages of 60 (the last one short) and the empty one that ends the walk
    assert not any("OFFSET" in sql for sql in reads)


def test_dispatch_skips_rows_not_due_paused_campaigns_and_quiet_hours(queued):
    assert deliveries_dispatch(now=WORKDAY - timedelta(minutes=1)) == []
    assert deliveries_dispatch(now=WORKDAY + timedelta(hours=12)) == []  # 22:00 in Tokyo
    queued.status = CampaignStatus.PAUSED
    queued.save()
    assert deliveries_dispatch(now=WORKDAY) == []


def test_rate_limit_caps_what_one_pass_hands_out(queued, settings):
    policy = SendingSettings.load()
    policy.rate_per_minute = 12
    policy.save()
    settings.SENDING_REDISPATCH_SECONDS = 600
    assert sum(len(batch) for batch in deliveries_dispatch(now=WORKDAY)) == 100  # at least one batch


def test_sweep_turns_expired_leases_unknown_and_never_requeues_them(queued):
    ids = list(Delivery.objects.order_by("id").values_list("id", flat=True)[:3])
    Delivery.objects.filter(id__in=ids[:2]).update(status=DeliveryStatus.SENDING, lease_until=WORKDAY)
    Delivery.objects.filter(id=ids[2]).update(status=DeliveryStatus.SENDING, lease_until=WORKDAY + timedelta(hours=1))
    unknown, finished = deliveries_sweep(now=WORKDAY + timedelta(seconds=1))
    assert (unknown, finished) == (2, 0)
    assert list(Delivery.objects.filter(id__in=ids).order_by("id").values_list("status", flat=True)) == [
        DeliveryStatus.UNKNOWN, DeliveryStatus.UNKNOWN, DeliveryStatus.SENDING]


def test_sweep_finishes_a_broadcast_with_nothing_left(queued):
    Delivery.objects.update(status=DeliveryStatus.SENT)
    assert deliveries_sweep(now=WORKDAY) == (0, 1)
    queued.refresh_from_db()
    assert (queued.status, queued.finished_at) == (CampaignStatus.FINISHED, WORKDAY)


def test_every_task_time_limit_is_below_the_visibility_timeout():
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    celery_app.loader.import_default_modules()
    limits = {name: (task.time_limit or celery_app.conf.task_time_limit,
                     task.soft_time_limit or celery_app.conf.task_soft_time_limit)
              for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert {"campaigns.tasks.deliveries_send", "campaigns.tasks.deliveries_dispatch",
            "campaigns.tasks.deliveries_sweep"} <= set(limits)
    for name, (hard, soft) in limits.items():
        assert hard and hard < visibility, name
        assert soft and soft < hard, name
    assert django_settings.SENDING_TASK_BUDGET_SECONDS < tasks.SEND_SOFT_TIME_LIMIT
    assert django_settings.SENDING_LEASE_SECONDS < django_settings.SENDING_REDISPATCH_SECONDS


def test_beat_entries_for_sending_expire_before_the_next_run():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    for name in ("dispatch-deliveries", "sweep-deliveries"):
        assert schedule[name]["options"]["expires"] < schedule[name]["schedule"]
    assert schedule["dispatch-deliveries"]["schedule"] <= 15


def test_dispatch_task_enqueues_after_commit(queued, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.SENDING_BATCH_SIZE = 100
    sent = []
    monkeypatch.setattr(tasks.deliveries_send, "apply_async", lambda args, **options: sent.append((args, options)))
    monkeypatch.setattr(tasks.timezone, "now", lambda: WORKDAY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert tasks.deliveries_dispatch.run() == 250
    assert sent == [] and len(callbacks) == 3  # nothing leaves before the stamps are committed
    for callback in callbacks:
        callback()
    assert [len(args[0]) for args, _options in sent] == [100, 100, 50]


def test_a_send_task_that_loses_the_database_retries_itself_with_the_same_ids_within_minutes(monkeypatch):
    from django.db import OperationalError

    calls = []

    def flaky(*, ids):
        calls.append(list(ids))
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return tasks.send.SendResult(sent=len(ids))

    monkeypatch.setattr(tasks.send, "deliveries_send", flaky)
    assert tasks.deliveries_send.apply(args=[[1, 2, 3]]).get()["sent"] == 3
    assert calls == [[1, 2, 3]] * 3
    task = tasks.deliveries_send
    waits = [min(task.retry_backoff * 2 ** n, task.retry_backoff_max) for n in range(task.max_retries)]
    assert sum(waits) >= 180 and max(waits) <= 60 and task.retry_jitter is False  # short countdowns only


def test_dispatch_and_the_sweeper_leave_a_note_for_the_health_page(queued, monkeypatch):
    from campaigns.sending import health

    notes = []
    monkeypatch.setattr(health, "beat_run_record", lambda job, *, now, **counts: notes.append((job, counts)))
    monkeypatch.setattr(tasks.timezone, "now", lambda: WORKDAY)
    monkeypatch.setattr(tasks.deliveries_send, "apply_async", lambda *args, **options: None)
    tasks.deliveries_dispatch.run()
    tasks.deliveries_sweep.run()
    assert notes == [("dispatch", {"handed": 250}), ("sweep", {"unknown": 0, "finished": 0})]
