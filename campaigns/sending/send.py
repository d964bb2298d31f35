"""Sending a batch of deliveries: claim, render, hand to SMTP over one connection, record each outcome.

The database is the truth throughout. A task's batch (≥ 100 ids) is worked
in chunks of CLAIM_CHUNK. Each chunk is claimed (campaigns.sending.claim: the
due rows locked and read with their contacts and compliance facts, rendered,
marked sending with their links stored, one transaction) before anything
talks to SMTP; its outcomes are written at the start of the next chunk's
claim transaction (or at the end of the batch). A crash therefore leaves at
most one chunk `sending`: the sweeper turns those rows `unknown` when their
lease runs out and nothing resends them.

Per chunk that is five statements and one commit whatever its size (lock
with facts and contacts, running-campaign check, mark sending, links, the
previous chunk's outcomes), plus one per skip reason; the steps with their
templates and sender are loaded once per task, not once per row.

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
from functools import partial

from django.conf import settings as django_settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.utils import timezone

from campaigns.merge import merge_context as default_merge_context
from campaigns.models import (
    Delivery,
    DeliveryStatus,
    SenderProfile,
    SendingSettings,
    SkipReason,
    Suppression,
    SuppressionReason,
)
from campaigns.signals import addresses_suppressed_notify, deliveries_recorded_notify
from campaigns.templating import TemplateError
from contacts.rules import normalize_email

from .claim import deliveries_claim
from .message import build_message, unsubscribe_page_url
from .ratelimit import RateLimiter

logger = logging.getLogger(__name__)

# Rows claimed at a time within a task's batch: a worker killed mid-batch strands at most this many as
# `unknown` (claimed, outcome not recorded); the rest of its batch is still queued for the next task.
CLAIM_CHUNK = 100
MAX_BACKOFF_SECONDS = 3600


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: Counter = field(default_factory=Counter)
    released: int = 0  # ids left for the next dispatch when the task ran out of time
    interrupted: int = 0  # the connection was lost after the message was handed over: `unknown`, not resent


class _Outcomes:
    """Outcomes waiting to be written; `flush` writes them in a handful of statements."""

    def __init__(self):
        self.sent, self.retry, self.failed, self.bounced, self.lost = [], [], [], [], []

    def flush(self, result, *, now):
        deliveries_recorded_notify(row.pk for row in [*self.sent, *self.failed, *self.retry, *self.lost])
        if self.sent:
            _record_sent(self.sent)
            result.sent += len(self.sent)
        if self.failed:
            Delivery.objects.bulk_update(self.failed, ["status", "reason", "last_error", "lease_until", "updated_at"])
            result.failed += len(self.failed)
        if self.retry:
            _retry(self.retry, result, now=now)
        if self.lost:
            Delivery.objects.bulk_update(self.lost, ["status", "last_error", "lease_until", "updated_at"])
            result.interrupted += len(self.lost)
        if self.bounced:
            rows = [Suppression(email=normalize_email(email), reason=SuppressionReason.BOUNCED, detail=detail[:500])
                    for email, detail in self.bounced]
            Suppression.objects.bulk_create(rows, ignore_conflicts=True)
            addresses_suppressed_notify(row.email for row in rows)
        self.sent, self.retry, self.failed, self.bounced, self.lost = [], [], [], [], []


_SENT = """
UPDATE campaigns_delivery SET status = %s, sent_at = v.column2, lease_until = NULL, last_error = '',
       updated_at = v.column2
FROM (VALUES {rows}) AS v WHERE campaigns_delivery.id = v.column1
"""


def _record_sent(rows):
    """One UPDATE … FROM (VALUES …) for the chunk (the Message-ID and address were written by the claim)."""
    adapt = db_connection.ops.adapt_datetimefield_value
    params = [DeliveryStatus.SENT]
    for row in rows:
        params += [row.pk, adapt(row.sent_at)]
    value = "(CAST(%s AS BIGINT), CAST(%s AS TIMESTAMPTZ))" if db_connection.vendor == "postgresql" else "(%s, %s)"
    with db_connection.cursor() as cursor:
        cursor.execute(_SENT.format(rows=", ".join([value] * len(rows))), params)


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
    result, pending = SendResult(), _lawful_senders_only(list(dict.fromkeys(ids)))
    steps = {}  # step id -> step with its templates, campaign and sender: loaded once per task
    outcomes = _Outcomes()  # the last chunk's, written in the next claim's transaction or at the end
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
            claim = deliveries_claim(chunk, now=now, policy=policy, steps=steps,
                                     render=message_renderer(now=now, merge_context=merge_context),
                                     before=partial(outcomes.flush, result, now=now))
            result.skipped.update(claim.skipped)
            result.deferred += claim.deferred
            result.failed += claim.failed
            for row, outgoing in claim.rows:
                row.attempts += 1  # as the claim counted it
                _send_one(row, outgoing, connection, outcomes, now=clock())
        outcomes.flush(result, now=clock())
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


def message_renderer(*, now, merge_context=default_merge_context):
    """The `render` a claim takes: rows → {delivery id: Outgoing, or the render error as text}."""
    return partial(_render, merge_context=merge_context, now=now)


def _render(rows, *, merge_context, now):
    """{delivery id: Outgoing, or the render error as text} for `rows`."""
    from campaigns.rescue import rescue_links_for  # the playbook side; imported late, it imports the flows

    rescue = rescue_links_for(rows)  # three queries for the batch, none without playbook rows
    messages = {}
    for row in rows:
        url = unsubscribe_page_url(row.token)
        links = {"unsubscribe_url": url, "preferences_url": url, "rescue_options": [], "rescue_deadline": None}
        links.update(rescue[row.pk])  # a playbook's mail about one contract: its rescue options and deadline
        template = row.step.template_b if row.variant == "B" and row.step.template_b_id else row.step.template
        try:
            context = merge_context(contact=row.contact, contract=row.contract, links=links, now=now,
                                    language=template.language, last_meeting_at=row.last_meeting_at)
            messages[row.pk] = build_message(row, context, issued=now.timestamp())
        except TemplateError as error:
            messages[row.pk] = str(error) or type(error).__name__
    return messages


def _send_one(row, outgoing, connection, outcomes, *, now):
    try:
        connection.open()  # no-op while open; reconnects after a dropped connection
        _data_watch(connection)
        connection.send_messages([outgoing.message])
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()), (0, b""))
        _smtp_refused(row, outcomes, code=code, text=_text(text), now=now, recipient=True, connection=connection)
    except smtplib.SMTPResponseException as error:
        _smtp_refused(row, outcomes, code=error.smtp_code, text=_text(error.smtp_error), now=now, recipient=False,
                      connection=connection)
    except (smtplib.SMTPException, OSError) as error:
        handed_over = _data_begun(connection)
        _close_quietly(connection)
        if handed_over:
            _lost(row, outcomes, error=f"{type(error).__name__}: {error}", now=now)
        else:
            _later(row, outcomes, error=f"{type(error).__name__}: {error}")
    else:
        row.status, row.sent_at, row.lease_until, row.last_error = DeliveryStatus.SENT, now, None, ""
        row.message_id, row.to_email, row.updated_at = outgoing.message_id, outgoing.to_email, now
        outcomes.sent.append(row)


def _data_watch(connection):
    """Note on the open SMTP connection when this message's DATA begins (Django's SMTP backend; others have no
    `connection` and are never in doubt).

    A connection lost before DATA (refused, dropped at MAIL or RCPT) sent nothing, and the row is retried. Lost
    after it, the server may have taken the message and gone before its reply reached us: resending could
    deliver it twice, so the row is marked interrupted at once, as the sweeper marks a crashed worker's rows.
    """
    smtp = getattr(connection, "connection", None)
    if smtp is None:
        return
    if not hasattr(smtp, "rekindle_data_begun"):
        data = smtp.data

        def watched(message):
            smtp.rekindle_data_begun = True
            return data(message)

        smtp.data = watched
    smtp.rekindle_data_begun = False


def _data_begun(connection):
    return getattr(getattr(connection, "connection", None), "rekindle_data_begun", False)


def _lost(row, outcomes, *, error, now):
    row.status, row.lease_until, row.updated_at = DeliveryStatus.UNKNOWN, None, now
    row.last_error = (f"The connection was lost after the message was handed to the mail server ({error}); it may "
                      "have been delivered, so it is not resent.")[:500]
    outcomes.lost.append(row)


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
