"""The buffer and its drain: at-least-once delivery, exactly-once storage, order of the signals, fallbacks."""
from datetime import timedelta

import pytest
import redis
from celery import current_app
from django.utils import timezone

from contacts.models import Contact, TouchEvent
from contacts.signals import contact_facts_changed, touch_events_stored
from tracking import buffer, fastredis, pipeline
from tracking.records import touch_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def buffered(monkeypatch):
    """Celery not eager: records wait in Redis; doorbell task names are collected instead of sent."""
    sent = []
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    monkeypatch.setattr(current_app, "send_task", lambda name, *args, **kwargs: sent.append(name))
    yield sent
    current_app.conf.task_always_eager = previous


def opens(contact, count, *, start=None, bot=False):
    start = start or timezone.now().replace(microsecond=0) - timedelta(hours=1)
    return [touch_record(contact_id=contact.pk, kind="email_open", occurred_at=start + timedelta(minutes=n),
                         detail="Spring news", bot=bot) for n in range(count)]


def test_events_wait_in_the_buffer_and_one_doorbell_drains_them(buffered, contact, clean_buffer):
    for record in opens(contact, 5):
        pipeline.event_accept(record)
    assert TouchEvent.objects.count() == 0 and buffer.pending() == 5
    assert buffered == ["tracking.tasks.events_drain"]  # the doorbell rang once for five events
    pipeline.event_accept(opens(contact, 1, start=timezone.now())[0])
    assert buffered == ["tracking.tasks.events_drain"]  # the bell still rings from the first kick
    assert pipeline.events_drain_run(batch_size=2, gather_ms=0) == 6
    assert TouchEvent.objects.count() == 6 and buffer.pending() == 0
    contact.refresh_from_db()
    assert contact.last_touch_kind == "email_open"
    assert buffered == ["tracking.tasks.events_drain"]  # nothing left behind: no successor
    pipeline.event_accept(opens(contact, 1, start=timezone.now() + timedelta(minutes=1))[0])
    assert buffered == ["tracking.tasks.events_drain"] * 2  # the drain finished: the next event kicks one at once


def test_a_drain_keeps_going_while_records_keep_coming(buffered, contact, monkeypatch):
    """After a short batch the drain waits for the next to fill instead of ending (fewer, larger transactions)."""
    records = iter(opens(contact, 4))
    pipeline.event_accept(next(records))
    sleeps = []

    def meanwhile(seconds):  # while the drain waits, one more event arrives, then none
        sleeps.append(seconds)
        if len(sleeps) <= 3:
            pipeline.event_accept(next(records))

    monkeypatch.setattr(pipeline.time, "sleep", meanwhile)
    assert pipeline.events_drain_run(gather_ms=150) == 4
    assert sleeps == [0.15] * 4 and TouchEvent.objects.count() == 4  # four one-record batches, then an empty take


def test_a_drain_that_leaves_records_behind_kicks_one_trailing_drain(buffered, contact, monkeypatch):
    for record in opens(contact, 3):
        pipeline.event_accept(record)
    assert pipeline.events_drain_run(batch_size=2, budget_seconds=0.000001) == 2  # out of time after one batch
    assert buffered == ["tracking.tasks.events_drain"] * 2
    assert buffer.pending() == 1


def test_a_batch_delivered_twice_is_stored_once(buffered, contact):
    records = opens(contact, 3)
    for record in records + records:
        pipeline.event_accept(record)
    pipeline.events_drain_run()
    assert TouchEvent.objects.count() == 3


def test_a_drain_that_dies_between_taking_and_storing_loses_nothing(buffered, contact, monkeypatch, clean_buffer):
    for record in opens(contact, 4):
        pipeline.event_accept(record)

    def crash(records, *, now):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(pipeline, "records_store", crash)
        pipeline.events_drain_run()
    assert TouchEvent.objects.count() == 0
    assert (buffer.pending(), len(buffer.inflight())) == (0, 4)  # taken, not confirmed
    clean_buffer.delete(buffer.LOCK)  # the dead drain's lease runs out
    pipeline.events_drain_run()
    assert TouchEvent.objects.count() == 4 and buffer.inflight() == []


def test_a_drain_that_dies_after_storing_but_before_confirming_stores_nothing_twice(buffered, contact, monkeypatch,
                                                                                   clean_buffer):
    for record in opens(contact, 3):
        pipeline.event_accept(record)
    with monkeypatch.context() as patch:
        patch.setattr(buffer, "confirm", lambda: (_ for _ in ()).throw(redis.ConnectionError("gone")))
        pipeline.events_drain_run()  # stored; the confirmation failed (a Redis error ends the drain, logged)
    assert TouchEvent.objects.count() == 3 and len(buffer.inflight()) == 3
    pipeline.events_drain_run()
    assert TouchEvent.objects.count() == 3 and buffer.inflight() == []


def test_a_crashed_drains_lock_expires_and_only_one_drain_runs_at_a_time(buffered, contact, clean_buffer):
    pipeline.event_accept(opens(contact, 1)[0])
    token = buffer.lock_acquire(30)
    assert pipeline.events_drain_run() == 0  # another drain holds the lock: it will see the record
    assert TouchEvent.objects.count() == 0
    clean_buffer.delete(buffer.LOCK)  # its lease ran out
    assert pipeline.events_drain_run() == 1
    buffer.lock_release(token)  # the old holder's release does not free a lock it no longer holds
    assert TouchEvent.objects.count() == 1


def test_when_redis_is_down_events_are_stored_synchronously(monkeypatch, contact):
    monkeypatch.setattr(buffer, "client", lambda: redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    monkeypatch.setattr(buffer, "_fast", fastredis.FastConnection(host="127.0.0.1", port=1, db=0, username=None,
                                                                  password=None, timeout=0.2))
    pipeline.event_accept(opens(contact, 1)[0])
    assert TouchEvent.objects.count() == 1


def test_a_malformed_record_is_dropped_and_the_rest_stored(buffered, contact, clean_buffer):
    clean_buffer.rpush(buffer.QUEUE, b"{not json", b'{"k":"t","c":1}')
    pipeline.event_accept(opens(contact, 1)[0])
    pipeline.events_drain_run()
    assert TouchEvent.objects.count() == 1 and buffer.pending() == 0


def test_an_event_of_a_deleted_contact_does_not_stop_the_batch(buffered, contact, other_contact):
    pipeline.event_accept(opens(other_contact, 1)[0])
    pipeline.event_accept(opens(contact, 1)[0])
    other_contact.delete()
    pipeline.events_drain_run()
    assert list(TouchEvent.objects.values_list("contact_id", flat=True)) == [contact.pk]


def test_stored_touches_are_announced_after_commit_before_facts_changed(buffered, contact, other_contact,
                                                                        django_capture_on_commit_callbacks):
    earlier = timezone.now() - timedelta(days=30)
    Contact.objects.filter(pk=contact.pk).update(last_touch_at=earlier, last_touch_kind="call")
    calls = []

    def on_stored(sender, events, **kwargs):
        calls.append(("stored", sorted((e.contact_id, e.kind, e.flagged_as_bot, e.previous_touch_at) for e in events)))

    def on_changed(sender, contact_ids, touches_only, **kwargs):
        calls.append(("changed", sorted(contact_ids), touches_only))

    touch_events_stored.connect(on_stored)
    contact_facts_changed.connect(on_changed)
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)  # once: "the same record" must be the same
    try:
        for record in opens(contact, 2, start=start) + opens(other_contact, 1, start=start, bot=True):
            pipeline.event_accept(record)
        with django_capture_on_commit_callbacks(execute=True):
            pipeline.events_drain_run()
        with django_capture_on_commit_callbacks(execute=True):  # the same records again: nothing new, no signal
            pipeline.event_accept(opens(contact, 1, start=start)[0])
            pipeline.events_drain_run()
    finally:
        touch_events_stored.disconnect(on_stored)
        contact_facts_changed.disconnect(on_changed)
    assert calls == [
        ("stored", sorted([(contact.pk, "email_open", False, earlier), (contact.pk, "email_open", False, earlier),
                           (other_contact.pk, "email_open", True, None)])),
        ("changed", sorted([contact.pk, other_contact.pk]), True),
    ]
    other_contact.refresh_from_db()
    assert other_contact.last_touch_at is None  # a bot moves nothing


def test_the_drain_task_is_thin_and_beat_runs_it_as_a_safety_net(settings):
    from tracking.tasks import events_drain

    assert events_drain.name == "tracking.tasks.events_drain"
    entry = settings.CELERY_BEAT_SCHEDULE["drain-tracking-events"]
    assert entry["task"] == "tracking.tasks.events_drain" and entry["schedule"] <= 5


def test_a_record_the_database_refuses_is_set_aside_and_the_rest_of_its_batch_stored(buffered, contact, monkeypatch,
                                                                                      clean_buffer):
    from django.db import IntegrityError

    from tracking import store

    records = opens(contact, 3)
    for record in records:
        pipeline.event_accept(record)
    buffer.take(10)  # a drain took them and died
    real = store._insert_events

    def refuse_the_second(rows):
        if any(row.occurred_at.isoformat() == records[1]["at"] for row in rows):
            raise IntegrityError("refused")
        return real(rows)

    monkeypatch.setattr(store, "_insert_events", refuse_the_second)
    pipeline.events_drain_run()
    assert TouchEvent.objects.count() == 2
    assert buffer.inflight() == [] and clean_buffer.llen(buffer.DEAD) == 1


def test_records_of_a_site_deleted_since_are_dropped(buffered, site, contact):
    from tracking.buffer import record_id
    from tracking.records import page_view_record

    pipeline.event_accept(page_view_record(record_id=record_id(), site_id=site.pk, visitor_id="visitor-123456",
                                           contact_id=contact.pk, occurred_at=timezone.now(), url="https://x/",
                                           title="", referrer="", user_agent="Mozilla", bot=False))
    pipeline.event_accept(opens(contact, 1)[0])
    site.delete()
    pipeline.events_drain_run()
    assert list(TouchEvent.objects.values_list("kind", flat=True)) == ["email_open"]
