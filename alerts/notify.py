"""Notifications about alerts: an email to the assignee and Slack-compatible webhooks, retried with backoff.

Each is a Notification row, created with the alert in its transaction and
sent after commit by a task that claims it (pending → sending, with a lease).
A failure records the error and the next attempt (rules.RETRY_DELAYS); after
the last one the row is failed and shown on the team page. A webhook whose
destination is refused (outbound.py: a local or private address, a redirect)
fails at once, with the reason, and is not retried. Nothing here runs in the
request that stored the touch.
"""
import json
import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from . import outbound, routing
from .describe import context_lines, visit_lines, why_text
from .models import Channel, Notification, NotificationStatus, TriggerKind, WebhookEndpoint
from .rules import next_attempt_at, webhook_signature

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
WEBHOOK_TIMEOUT = 10
# A first attempt has its task enqueued at commit; the sweep takes it over only when it has waited this long (its
# message was lost). Sooner, a burst of alerts would have the sweep queue a second message for each waiting one.
ENQUEUED_GRACE = timedelta(seconds=60)


def notifications_create(alerts, *, now):
    """One email per assigned alert (to the assignee) and one call per matching webhook; sent after commit.

    A rescue choice already mails the contact's owner from outreach (campaigns.rescue): when the alert goes to
    that owner, no second mail — the inbox and the webhooks still carry it.
    """
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    rows = []
    for alert in alerts:
        mailed_by_outreach = alert.trigger.kind == TriggerKind.RESCUE_CHOICE and alert.routed_by == routing.OWNER
        if alert.assignee_id and not mailed_by_outreach:
            rows.append(Notification(alert=alert, channel=Channel.EMAIL, recipient_id=alert.assignee_id, next_at=now))
        for endpoint in endpoints:
            if endpoint.user_id is None or endpoint.user_id == alert.assignee_id:
                rows.append(Notification(alert=alert, channel=Channel.WEBHOOK, endpoint=endpoint, next_at=now))
    created = Notification.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    if ids:
        transaction.on_commit(partial(_enqueue, ids))
    return created


def _enqueue(ids):
    from .tasks import notification_send

    for pk in ids:
        try:
            notification_send.delay(pk)
        except Exception:  # a broker hiccup: the sweep sends it later
            log.exception("could not enqueue notification %s", pk)


def notification_send(*, notification_id, now):
    """Claim and send one notification; returns its status afterwards."""
    claimed = Notification.objects.filter(
        Q(status=NotificationStatus.PENDING, next_at__lte=now)
        | Q(status=NotificationStatus.SENDING, lease_until__lt=now), pk=notification_id,
    ).update(status=NotificationStatus.SENDING, lease_until=now + LEASE)
    if not claimed:
        return None
    notification = Notification.objects.select_related("alert__trigger", "alert__assignee", "recipient",
                                                       "endpoint").get(pk=notification_id)
    attempts = notification.attempts + 1
    try:
        if notification.channel == Channel.EMAIL:
            _email_send(notification)
        else:
            _webhook_send(notification, now=now)
    except outbound.Refused as refusal:
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("Refused, not retried: %(reason)s") % {"reason": refusal.message()}
        log.warning("webhook notification %s refused: %s", notification_id, refusal.code)
        Notification.objects.filter(pk=notification_id).update(
            status=NotificationStatus.FAILED, attempts=attempts, next_at=now, lease_until=None, last_error=reason[:500])
        return NotificationStatus.FAILED
    except Exception as error:  # noqa: BLE001  (every failure is recorded on the row and retried)
        retry_at = next_attempt_at(attempts, now)
        Notification.objects.filter(pk=notification_id).update(
            status=NotificationStatus.PENDING if retry_at else NotificationStatus.FAILED,
            attempts=attempts, next_at=retry_at or now, lease_until=None, last_error=str(error)[:500] or repr(error))
        return NotificationStatus.PENDING if retry_at else NotificationStatus.FAILED
    Notification.objects.filter(pk=notification_id).update(
        status=NotificationStatus.SENT, attempts=attempts, sent_at=now, lease_until=None, last_error="")
    return NotificationStatus.SENT


def notifications_due(*, now, limit=500):
    """For the sweep: retries whose time has come, first attempts whose task is overdue (ENQUEUED_GRACE), and
    sending rows whose lease expired."""
    return list(Notification.objects.filter(
        Q(status=NotificationStatus.PENDING, attempts__gt=0, next_at__lte=now)
        | Q(status=NotificationStatus.PENDING, attempts=0, next_at__lte=now - ENQUEUED_GRACE)
        | Q(status=NotificationStatus.SENDING, lease_until__lt=now)).order_by("next_at")
        .values_list("pk", flat=True)[:limit])


def notification_retry_now(*, notification, now):
    """A failed notification, tried again from the team page: a first attempt again, its task enqueued at commit."""
    changed = Notification.objects.filter(pk=notification.pk, status=NotificationStatus.FAILED).update(
        status=NotificationStatus.PENDING, next_at=now, attempts=0)
    if changed:
        transaction.on_commit(partial(_enqueue, [notification.pk]))
    return changed


def _inbox_url():
    return f"{settings.PUBLIC_BASE_URL}{reverse('alerts:inbox')}"


def _email_send(notification):
    recipient = notification.recipient
    if recipient is None or not recipient.email:
        raise ValueError("the rep has no email address")
    alert = notification.alert
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Rekindle] %(why)s — %(name)s") % {
            "why": why_text(alert.context.get("why", {})), "name": alert.context.get("contact", {}).get("name", "")}
        body = render_to_string("alerts/email/alert.txt", {
            "alert": alert, "why": why_text(alert.context.get("why", {})), "lines": context_lines(alert.context),
            "visit": visit_lines(alert.context), "inbox_url": _inbox_url()})
    EmailMessage(subject=subject.replace("\n", " ")[:200], body=body, to=[recipient.email]).send()


def _slack_escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(alert):
    """Slack-compatible JSON: `text` for plain receivers, `blocks` for Slack."""
    with translation.override(settings.LANGUAGE_CODE):
        why = why_text(alert.context.get("why", {}))
        name = alert.context.get("contact", {}).get("name", "")
        lines = context_lines(alert.context)
        visit = visit_lines(alert.context)
        title = _("Hot lead: %(name)s") % {"name": name}
        open_label = _("Open the alert inbox")
    facts = "\n".join(f"*{_slack_escape(label)}:* {_slack_escape(value)}" for label, value in lines)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(why)[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": facts[:3000]}},
    ]
    if visit:
        pages = "\n".join(f"{_slack_escape(at)} {_slack_escape(text)}" for at, text in visit)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": pages[:3000]}})
    link = f"<{_inbox_url()}|{_slack_escape(open_label)}>"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link}})
    return {"text": f"{title} — {why}"[:3000], "blocks": blocks, "alert_id": alert.pk}


def _webhook_send(notification, *, now):
    endpoint = notification.endpoint
    if endpoint is None or not endpoint.is_active:
        raise ValueError("the webhook was removed or switched off")
    body = json.dumps(webhook_payload(notification.alert), ensure_ascii=False).encode("utf-8")
    timestamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Rekindle-alerts",
               "X-Rekindle-Timestamp": timestamp}
    if endpoint.secret:
        headers["X-Rekindle-Signature"] = webhook_signature(endpoint.secret, timestamp, body)
    outbound.webhook_post(endpoint.url, body=body, headers=headers, timeout=WEBHOOK_TIMEOUT)

