"""Email to the rep and signed Slack-compatible webhooks, retried with backoff against a real local server.

The receiver listens on 127.0.0.1, which webhooks may never reach by default (tests/alerts/test_webhook_ssrf.py):
each test allow-lists its receiver's host:port explicitly with WEBHOOK_ALLOWED_HOSTS.
"""
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail

from alerts import notify
from alerts.models import Channel, Notification, NotificationStatus, WebhookEndpoint

from .conftest import NOW, evaluate_batch, make_contact, touch
from .receiver import Receiver

pytestmark = pytest.mark.django_db
PRICING = "https://example.jp/pricing"


def _fire(owner):
    contact = make_contact(last_touch_days=1, owner=owner, last_name="<script>alert(1)</script>")
    [alert] = evaluate_batch([touch(contact, url=PRICING)])
    return alert


def test_email_goes_to_the_assigned_rep_with_the_context(rep):
    alert = _fire(rep)
    [row] = Notification.objects.filter(alert=alert, channel=Channel.EMAIL)
    assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.SENT
    [message] = mail.outbox
    assert message.to == [rep.email]
    assert "Viewed https://example.jp/pricing" in message.subject
    assert "https://example.jp/pricing" in message.body
    assert "/alerts/" in message.body
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == (NotificationStatus.SENT, 1, NOW)


def test_webhook_is_retried_with_backoff_until_it_succeeds_and_is_signed(rep, settings):
    with Receiver([500, 503]) as receiver:
        settings.WEBHOOK_ALLOWED_HOSTS = [receiver.host_port]
        WebhookEndpoint.objects.create(name="Slack", url=receiver.url, secret="s3cret")
        alert = _fire(rep)
        [row] = Notification.objects.filter(alert=alert, channel=Channel.WEBHOOK)
        assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.PENDING
        row.refresh_from_db()
        assert (row.attempts, row.next_at) == (1, NOW + timedelta(seconds=30))
        assert row.last_error == "HTTP 500 from the webhook"
        # Not due yet: nothing is sent.
        assert notify.notification_send(notification_id=row.pk, now=NOW + timedelta(seconds=29)) is None
        assert len(receiver.requests) == 1
        second = NOW + timedelta(seconds=30)
        assert notify.notification_send(notification_id=row.pk, now=second) == NotificationStatus.PENDING
        row.refresh_from_db()
        assert (row.attempts, row.next_at) == (2, second + timedelta(minutes=2))
        third = second + timedelta(minutes=2)
        assert row.pk in notify.notifications_due(now=third)
        assert notify.notification_send(notification_id=row.pk, now=third) == NotificationStatus.SENT
    assert len(receiver.requests) == 3
    _method, _path, headers, body = receiver.requests[-1]
    timestamp = headers["X-Rekindle-Timestamp"]
    assert timestamp == str(int(third.timestamp()))
    expected = "sha256=" + hmac.new(b"s3cret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Rekindle-Signature"] == expected
    payload = json.loads(body)
    assert payload["alert_id"] == alert.pk
    assert payload["text"].startswith("Hot lead: ")
    assert [block["type"] for block in payload["blocks"]][:3] == ["header", "section", "section"]
    # Slack's mrkdwn escaping: a name with markup arrives as text, not as a link or markup.
    assert "<script>" not in json.dumps(payload["blocks"][1:], ensure_ascii=False)


def test_a_webhook_that_keeps_failing_gives_up_visibly_after_five_attempts(rep, admin_user, client, settings):
    with Receiver([500] * 10) as receiver:
        settings.WEBHOOK_ALLOWED_HOSTS = [receiver.host_port]
        WebhookEndpoint.objects.create(name="Broken", url=receiver.url)
        alert = _fire(rep)
        [row] = Notification.objects.filter(alert=alert, channel=Channel.WEBHOOK)
        at = NOW
        statuses = []
        for _ in range(5):
            statuses.append(notify.notification_send(notification_id=row.pk, now=at))
            row.refresh_from_db()
            at = row.next_at
    assert statuses == ["pending"] * 4 + ["failed"]
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 5)
    assert len(receiver.requests) == 5
    client.force_login(admin_user)
    page = client.get("/alerts/team/").content.decode()
    assert "HTTP 500 from the webhook" in page


def test_an_unreachable_webhook_is_retried_and_never_raises(rep, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1:9"]  # nothing listens on the discard port
    WebhookEndpoint.objects.create(name="Down", url="http://127.0.0.1:9/hook")
    alert = _fire(rep)
    [row] = Notification.objects.filter(alert=alert, channel=Channel.WEBHOOK)
    assert notify.notification_send(notification_id=row.pk, now=NOW) == NotificationStatus.PENDING
    row.refresh_from_db()
    assert row.last_error.startswith("webhook unreachable")


def test_per_rep_webhook_only_gets_that_reps_alerts(rep, other_rep):
    WebhookEndpoint.objects.create(name="Mine", url="http://127.0.0.1:9/a", user=rep)
    WebhookEndpoint.objects.create(name="Theirs", url="http://127.0.0.1:9/b", user=other_rep)
    alert = _fire(rep)
    assert [n.endpoint.name for n in Notification.objects.filter(alert=alert, channel=Channel.WEBHOOK)] == ["Mine"]


def test_the_sweep_leaves_a_first_attempt_to_its_queued_task_and_takes_over_when_it_is_overdue(
        rep, django_capture_on_commit_callbacks):
    """A first attempt's task is enqueued at commit: the sweep sending it again at once would double a burst's
    queue. It takes it over only after ENQUEUED_GRACE (the message was lost); a retry is its own from the start."""
    alert = _fire(rep)
    [row] = Notification.objects.filter(alert=alert, channel=Channel.EMAIL)
    assert row.pk not in notify.notifications_due(now=NOW)
    assert row.pk not in notify.notifications_due(now=NOW + notify.ENQUEUED_GRACE - timedelta(seconds=1))
    assert row.pk in notify.notifications_due(now=NOW + notify.ENQUEUED_GRACE)
    Notification.objects.filter(pk=row.pk).update(attempts=1, next_at=NOW + timedelta(seconds=30))
    assert row.pk in notify.notifications_due(now=NOW + timedelta(seconds=30))
    # Tried again from the team page: a first attempt again, with its own task (not left to the sweep).
    Notification.objects.filter(pk=row.pk).update(status=NotificationStatus.FAILED)
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify.notification_retry_now(notification=row, now=NOW) == 1
    assert len(callbacks) == 1
