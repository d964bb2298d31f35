"""Sending a batch of deliveries: claim, render, hand to SMTP over one connection, record each outcome.

The database is the truth throughout. A task's batch (≥ 100 ids) is claimed
(campaigns.sending.claim) in chunks of CLAIM_CHUNK before anything talks to
SMTP, and each chunk's outcomes are written back before the next is claimed,
so a crash leaves at most one chunk `sending`: the sweeper turns those rows
`unknown` when their lease runs out and nothing resends them.

Outcomes per message:
- 250 → sent (sent_at, message_id, to_email);
- 4xx, a dropped connection, a timeout → back to queued, due after an
  exponential backoff (SENDING_RETRY_BASE_SECONDS × 2^(attempt−1), at most an
  hour), failed after SENDING_MAX_ATTEMPTS claims;
- 5xx refusing the recipient → failed, and the address is suppressed
  (bounced); any other 5xx → failed;
- a template that cannot be rendered → failed (render_error), never retried.
"""
import logging
import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from campaigns.merge import MERGE_RELATED, last_meetings
from campaigns.merge import merge_context as default_merge_context
from campaigns.models import (
    Delivery,
    DeliveryLink,
    DeliveryStatus,
    SenderProfile,
    SendingSettings,
    SkipReason,
    Suppression,
    SuppressionReason,
)
from campaigns.templating import TemplateError
from contacts.rules import normalize_email

from .claim import deliveries_claim
from .message import build_message, unsubscribe_page_url
from .ratelimit import RateLimiter

logger = logging.getLogger(__name__)

# Rows claimed at a time within a task's batch: a worker killed mid-batch strands at most this many as
# `unknown` (claimed, outcome not recorded); the rest of its batch is still queued for the next task.
CLAIM_CHUNK = 50
MAX_BACKOFF_SECONDS = 3600


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: Counter = field(default_factory=Counter)
    released: int = 0  # ids left for the next dispatch when the task ran out of time


class _Outcomes:
    """Outcomes waiting to be written; `flush` writes them in a handful of statements."""

    def __init__(self):
        self.sent, self.retry, self.failed, self.bounced = [], [], [], []

    def flush(self, result, *, now):
        if self.sent:
            _record_sent(self.sent)
            result.sent += len(self.sent)
        if self.failed:
            Delivery.objects.bulk_update(self.failed, ["status", "reason", "last_error", "lease_until", "updated_at"])
            result.failed += len(self.failed)
        if self.retry:
            _retry(self.retry, result, now=now)
        if self.bounced:
            Suppression.objects.bulk_create(
                [Suppression(email=normalize_email(email), reason=SuppressionReason.BOUNCED, detail=detail[:500])
                 for email, detail in self.bounced], ignore_conflicts=True)
        self.sent, self.retry, self.failed, self.bounced = [], [], [], []


_SENT = """
UPDATE campaigns_delivery SET status = %s, sent_at = v.column2, message_id = v.column3, to_email = v.column4,
       lease_until = NULL, last_error = '', updated_at = v.column2
FROM (VALUES {rows}) AS v WHERE campaigns_delivery.id = v.column1
"""


def _record_sent(rows):
    """One UPDATE … FROM (VALUES …) for the chunk (bulk_update's CASE expressions cost more in Python than SQL)."""
    adapt = db_connection.ops.adapt_datetimefield_value
    params = [DeliveryStatus.SENT]
    for row in rows:
        params += [row.pk, adapt(row.sent_at), row.message_id, row.to_email]
    with db_connection.cursor() as cursor:
        cursor.execute(_SENT.format(rows=", ".join(["(%s, %s, %s, %s)"] * len(rows))), params)


def _retry(rows, result, *, now):
    for row in rows:
        if row.attempts >= django_settings.SENDING_MAX_ATTEMPTS:
            row.status, row.reason = DeliveryStatus.FAILED, ""
            result.failed += 1
        else:
            row.status = DeliveryStatus.QUEUED
            row.scheduled_at = now + timedelta(seconds=backoff_seconds(row.attempts))
            result.retried += 1
        row.lease_until, row.updated_at = None, now
    Delivery.objects.bulk_update(rows, ["status", "reason", "scheduled_at", "last_error", "lease_until",
                                        "updated_at"])


def backoff_seconds(attempts):
    return min(django_settings.SENDING_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def deliveries_send(*, ids, merge_context=default_merge_context, clock=timezone.now):
    """Send the deliveries among `ids` that are due, in claims of the batch (or of the rate budget's chunk).

    `merge_context` builds each message's template context (campaigns.merge;
    tests may pass a stand-in). `clock` gives "now" at each step. Returns a
    SendResult.
    """
    policy = SendingSettings.load()
    limiter = RateLimiter(policy.rate_per_minute) if policy.rate_per_minute else None
    result, pending = SendResult(), list(dict.fromkeys(ids))
    started = time.monotonic()
    connection = get_connection(fail_silently=False)
    try:
        while pending:
            if time.monotonic() - started > django_settings.SENDING_TASK_BUDGET_SECONDS:
                result.released = _release(pending)
                break
            size = min(limiter.chunk, CLAIM_CHUNK) if limiter else CLAIM_CHUNK
            chunk, pending = pending[:size], pending[size:]
            if limiter:
                limiter.acquire(len(chunk))
            now = clock()
            claim = deliveries_claim(_lawful_senders_only(chunk), now=now, policy=policy)
            result.skipped.update(claim.skipped)
            result.deferred += claim.deferred
            if claim.ids:
                _send_claimed(claim.ids, connection, result, merge_context=merge_context, clock=clock)
    finally:
        _close_quietly(connection)
        if limiter:
            limiter.close()
    return result


def _lawful_senders_only(ids):
    """`ids` less the rows whose sender profile lacks a legally required detail (they stay queued until fixed)."""
    incomplete = [profile.pk for profile in SenderProfile.objects.filter(campaigns__steps__deliveries__id__in=ids)
                  .distinct() if profile.missing()]
    if not incomplete:
        return ids
    held = set(Delivery.objects.filter(id__in=ids, step__campaign__sender_id__in=incomplete)
               .values_list("id", flat=True))
    logger.warning("Not sending %d deliveries: their sender profile lacks legally required details", len(held))
    return [row_id for row_id in ids if row_id not in held]


def _release(ids):
    """Let the next dispatch pass hand these (still queued) rows to another task."""
    return Delivery.objects.filter(id__in=ids, status=DeliveryStatus.QUEUED).update(lease_until=None)


def _load(ids):
    related = [f"contact__{name}" for name in MERGE_RELATED]
    return list(Delivery.objects.filter(id__in=ids).select_related(
        *related, "contract", "step__template", "step__template_b", "step__campaign__sender").order_by("id"))


def _render(rows, outcomes, *, merge_context, now):
    from campaigns.rescue import rescue_links_for  # the playbook side; imported late, it imports the flows

    meetings = last_meetings({row.contact_id for row in rows})  # one query for the batch, not one per contact
    rescue = rescue_links_for(rows)  # three queries for the batch
    ready = []
    for row in rows:
        url = unsubscribe_page_url(row.token)
        links = {"unsubscribe_url": url, "preferences_url": url, "rescue_options": [], "rescue_deadline": None}
        links.update(rescue[row.pk])  # a playbook's mail about one contract: its rescue options and deadline
        template = row.step.template_b if row.variant == "B" and row.step.template_b_id else row.step.template
        try:
            context = merge_context(contact=row.contact, contract=row.contract, links=links, now=now,
                                    language=template.language, last_meeting_at=meetings.get(row.contact_id))
            ready.append((row, build_message(row, context)))
        except TemplateError as error:
            _fail(row, outcomes, reason=SkipReason.RENDER_ERROR, error=str(error), now=now)
    _store_links([outgoing for _row, outgoing in ready])
    return ready


def _store_links(outgoing):
    """The click endpoint's allow-list, written before the message can be clicked (a retry re-renders)."""
    retried = [item.delivery_id for item in outgoing if item.attempt > 1]  # first attempts have no links yet
    with transaction.atomic():
        if retried:
            DeliveryLink.objects.filter(delivery_id__in=retried).delete()
        DeliveryLink.objects.bulk_create([DeliveryLink(delivery_id=item.delivery_id, position=position, url=url)
                                          for item in outgoing for position, url in enumerate(item.links, 1)])


def _send_claimed(ids, connection, result, *, merge_context, clock):
    outcomes = _Outcomes()
    ready = _render(_load(ids), outcomes, merge_context=merge_context, now=clock())
    for row, outgoing in ready:
        _send_one(row, outgoing, connection, outcomes, now=clock())
    outcomes.flush(result, now=clock())


def _send_one(row, outgoing, connection, outcomes, *, now):
    try:
        connection.open()  # no-op while open; reconnects after a dropped connection
        connection.send_messages([outgoing.message])
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()), (0, b""))
        _smtp_refused(row, outcomes, code=code, text=_text(text), now=now, recipient=True, connection=connection)
    except smtplib.SMTPResponseException as error:
        _smtp_refused(row, outcomes, code=error.smtp_code, text=_text(error.smtp_error), now=now, recipient=False,
                      connection=connection)
    except (smtplib.SMTPException, OSError) as error:
        _close_quietly(connection)
        _later(row, outcomes, error=f"{type(error).__name__}: {error}")
    else:
        row.status, row.sent_at, row.lease_until, row.last_error = DeliveryStatus.SENT, now, None, ""
        row.message_id, row.to_email, row.updated_at = outgoing.message_id, outgoing.to_email, now
        outcomes.sent.append(row)


def _smtp_refused(row, outcomes, *, code, text, now, recipient, connection):
    error = f"{code} {text}".strip()
    if 500 <= code < 600:
        _fail(row, outcomes, reason=SkipReason.SMTP_REJECTED, error=error, now=now)
        if recipient:
            outcomes.bounced.append((row.contact.email, error))
        return
    if code == 421 or not 400 <= code < 500:
        _close_quietly(connection)  # 421: the server is closing the channel
    _later(row, outcomes, error=error)


def _fail(row, outcomes, *, reason, error, now):
    row.status, row.reason, row.last_error = DeliveryStatus.FAILED, reason, error[:500]
    row.lease_until, row.updated_at = None, now
    outcomes.failed.append(row)


def _later(row, outcomes, *, error):
    row.last_error = error[:500]
    outcomes.retry.append(row)


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _close_quietly(connection):
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        logger.info("SMTP connection closed uncleanly", exc_info=True)
    finally:
        connection.connection = None
