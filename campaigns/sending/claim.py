"""Claiming deliveries: queued → sending, with the compliance checks and the rendering inside the claim.

A worker owns a row only once this short transaction commits. One query locks
the chunk's rows that are queued and due (`SELECT … FOR UPDATE OF delivery
SKIP LOCKED` on PostgreSQL; SQLite serialises writers with BEGIN IMMEDIATE)
and reads, with them, the contact graph their messages need and the
compliance facts, so whatever a concurrent unsubscribe, bounce or pause
committed before is seen here. The caller's `render` turns the rows that may
be sent into messages while the locks are held, and each row leaves the claim
in one of four ways:

- suppressed, with its reason (suppression list, opt-out, no legal basis,
  opt-out of the campaign's topic, pause, frequency cap) — terminal, never sent;
- back in the queue at the next allowed slot when now is in quiet hours;
- failed (render_error) when its message could not be rendered — terminal;
- sending, with a lease, one more attempt, its Message-ID and address, and
  the click endpoint's allow-list (DeliveryLink) — ours to send.

The frequency cap counts mail sent in the window plus mail in flight. So that
two workers sending two campaigns' mail to one contact cannot both pass it,
the claim takes a transaction-scoped advisory lock per contact (sorted, so
two claims never wait on each other in a cycle) before counting.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Subquery

from campaigns.merge import MERGE_RELATED
from campaigns.models import CampaignStatus, CampaignStep, Delivery, DeliveryLink, DeliveryStatus, SkipReason
from campaigns.policy import (
    cap_enabled,
    is_quiet,
    legal_basis_q,
    next_allowed_slot,
    paused_q,
    recent_sends_subquery,
    skip_reason,
    suppression_reason_subquery,
    topic_opt_out_q,
)
from contacts.models import ContactTouchSummary, TouchKind
from contacts.rules import is_valid_email

CONTACT_LOCK_CLASS = 0x524B  # "RK": the advisory-lock namespace of per-contact send locks


@dataclass
class Claim:
    rows: list = field(default_factory=list)  # now ours (status sending): (Delivery, Outgoing), in id order
    skipped: Counter = field(default_factory=Counter)  # SkipReason value -> rows suppressed now
    deferred: int = 0  # rows put back for quiet hours
    slot: datetime | None = None  # where the deferred rows went
    failed: int = 0  # rows whose message could not be rendered

    @property
    def ids(self):
        return [row.pk for row, _outgoing in self.rows]


def deliveries_claim(ids, *, now, policy, render, steps=None, before=None):
    """Claim what can be sent now among `ids`; `policy` is the SendingSettings row. Returns a Claim.

    `render(rows)` → {delivery id: Outgoing, or the render error as text} for the rows that may be sent;
    `steps` caches step id → step with its templates, campaign and sender across a task's chunks;
    `before()`, when given, runs first in the claim's transaction (the sender records the previous
    chunk's outcomes there: one commit per chunk instead of two).
    """
    claim, steps = Claim(), {} if steps is None else steps
    with transaction.atomic():
        if before is not None:
            before()
        rows = _locked(ids, now=now, steps=steps)
        if not rows:
            return claim
        recent = _recent_sends(rows, now=now, policy=policy)
        quiet = is_quiet(now, policy)
        groups, candidates, sending_per_contact = defaultdict(list), [], Counter()
        for row in rows:
            reason = skip_reason(consent=row.contact.consent, has_basis=row.has_basis,
                                 suppression=row.suppression, paused=row.paused, topic_opt_out=row.topic_opt_out)
            if reason is None and not is_valid_email(row.contact.email or ""):
                reason = SkipReason.NO_EMAIL
            if reason is None and quiet:
                groups["defer"].append(row.pk)
                continue
            if reason is None and recent is not None:
                if recent.get(row.contact_id, 0) + sending_per_contact[row.contact_id] >= policy.frequency_cap_count:
                    reason = SkipReason.FREQUENCY_CAP
            if reason is None:
                sending_per_contact[row.contact_id] += 1
                candidates.append(row)
            else:
                groups[reason].append(row.pk)
        messages = render(candidates) if candidates else {}
        for row in candidates:
            outgoing = messages[row.pk]
            if isinstance(outgoing, str):
                groups["render_error"].append(row.pk)
            else:
                claim.rows.append((row, outgoing))
        _apply(groups, claim, now=now, policy=policy, messages=messages)
    return claim


def _locked(ids, *, now, steps):
    """The rows among `ids` that are queued and due and whose campaign runs, locked, with what the claim reads.

    Each row carries its contact (company, owner, rep profile), contract, last meeting (the stored
    touch summary) and the compliance facts; its step comes from `steps`. Looked up by primary key
    (the running-campaign check is a second, tiny query on the steps: a join to the campaigns here
    lets a planner with stale statistics scan the whole queue).
    """
    last_meeting = ContactTouchSummary.objects.filter(contact=OuterRef("contact_id"), kind=TouchKind.MEETING)
    query = (Delivery.objects.filter(id__in=ids, status=DeliveryStatus.QUEUED, scheduled_at__lte=now)
             .select_related(*[f"contact__{name}" for name in MERGE_RELATED], "contract")
             .annotate(last_meeting_at=Subquery(last_meeting.values("last_at")[:1]),
                       suppression=suppression_reason_subquery("contact__email"),
                       has_basis=ExpressionWrapper(legal_basis_q("contact__"), output_field=BooleanField()),
                       paused=ExpressionWrapper(paused_q(now, contact_ref="contact_id"), output_field=BooleanField()),
                       # The campaign's topic through the step: a NULL topic (general mail) finds no opt-out row.
                       topic_opt_out=ExpressionWrapper(topic_opt_out_q(topic_ref="step__campaign__topic_id",
                                                                       contact_ref="contact_id"),
                                                       output_field=BooleanField()))
             .order_by("id"))
    if connection.vendor == "postgresql":
        query = query.select_for_update(skip_locked=True, of=("self",))
    rows = list(query)
    step_ids = {row.step_id for row in rows}
    running = set(CampaignStep.objects.filter(id__in=step_ids, campaign__status=CampaignStatus.RUNNING)
                  .values_list("id", flat=True))
    missing = running - steps.keys()
    if missing:
        steps.update(CampaignStep.objects.select_related("template", "template_b", "campaign__sender")
                     .in_bulk(missing))
    rows = [row for row in rows if row.step_id in running]
    for row in rows:
        row.step = steps[row.step_id]
    return rows


def _recent_sends(rows, *, now, policy):
    """{contact id: marketing mails counted against the cap} for the rows' contacts, or None when there is no cap.

    Taken under per-contact advisory locks, so the count includes whatever another claim for the same
    contact committed just before.
    """
    if not cap_enabled(policy):
        return None
    contact_ids = sorted({row.contact_id for row in rows})
    _lock_contacts(contact_ids)
    counted = (Delivery.objects.filter(id__in=[row.pk for row in rows])
               .annotate(recent=recent_sends_subquery(policy, now=now, contact_ref="contact_id"))
               .values_list("contact_id", "recent"))
    return dict(counted)


def _lock_contacts(contact_ids):
    if connection.vendor != "postgresql":
        return  # SQLite: the claim's BEGIN IMMEDIATE already serialises every writer
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, CAST(c %% 2147483647 AS INTEGER)) "
            "FROM (SELECT c FROM unnest(CAST(%s AS BIGINT[])) AS c ORDER BY c) AS ordered",
            [CONTACT_LOCK_CLASS, contact_ids],
        )


def _apply(groups, claim, *, now, policy, messages):
    if claim.rows:
        lease = now + timedelta(seconds=django_settings.SENDING_LEASE_SECONDS)
        outgoing = [item for _row, item in claim.rows]
        _mark_sending(outgoing, lease=lease, now=now)
        _store_links(outgoing)
    for key, ids in groups.items():
        if key == "render_error":
            by_error = defaultdict(list)  # one template, one error: usually a single UPDATE
            for row_id in ids:
                by_error[messages[row_id][:500]].append(row_id)
            for error, same in by_error.items():
                Delivery.objects.filter(id__in=same).update(
                    status=DeliveryStatus.FAILED, reason=SkipReason.RENDER_ERROR, last_error=error, lease_until=None,
                    updated_at=now)
            claim.failed = len(ids)
        elif key == "defer":
            claim.slot = next_allowed_slot(now, policy)
            Delivery.objects.filter(id__in=ids).update(scheduled_at=claim.slot, lease_until=None, updated_at=now)
            claim.deferred = len(ids)
        else:
            Delivery.objects.filter(id__in=ids).update(status=DeliveryStatus.SUPPRESSED, reason=key,
                                                       lease_until=None, updated_at=now)
            claim.skipped[str(key)] += len(ids)


_SENDING = """
UPDATE campaigns_delivery SET status = %s, lease_until = %s, attempts = attempts + 1, updated_at = %s,
       message_id = v.column2, to_email = v.column3
FROM (VALUES {rows}) AS v WHERE campaigns_delivery.id = v.column1
"""


def _mark_sending(outgoing, *, lease, now):
    """queued → sending for the rows in `outgoing`, with the Message-ID and address each message carries."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [DeliveryStatus.SENDING, adapt(lease), adapt(now)]
    for item in outgoing:
        params += [item.delivery_id, item.message_id, item.to_email]
    row = "(CAST(%s AS BIGINT), %s, %s)" if connection.vendor == "postgresql" else "(%s, %s, %s)"
    with connection.cursor() as cursor:
        cursor.execute(_SENDING.format(rows=", ".join([row] * len(outgoing))), params)


def _store_links(outgoing):
    """The click endpoint's allow-list, written in the claim (before the message can be clicked).

    A retried row was rendered again: its earlier links make way for this rendering's.
    """
    retried = [item.delivery_id for item in outgoing if item.previous_attempts]  # first ones have no links
    if retried:
        DeliveryLink.objects.filter(delivery_id__in=retried).delete()
    rows = [(item.delivery_id, position, url) for item in outgoing for position, url in enumerate(item.links, 1)]
    if not rows:
        return
    if connection.vendor != "postgresql":
        DeliveryLink.objects.bulk_create([DeliveryLink(delivery_id=d, position=p, url=u) for d, p, u in rows])
        return
    delivery_ids, positions, urls = zip(*rows, strict=True)
    with connection.cursor() as cursor:  # one statement with three arrays: no per-row model instances
        cursor.execute("INSERT INTO campaigns_deliverylink (delivery_id, position, url) "
                       "SELECT * FROM unnest(CAST(%s AS BIGINT[]), CAST(%s AS SMALLINT[]), CAST(%s AS TEXT[]))",
                       [list(delivery_ids), list(positions), list(urls)])
