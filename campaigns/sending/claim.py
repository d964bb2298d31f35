"""Claiming deliveries: queued → sending, with the compliance checks made inside the claim.

A worker owns a row only once this short transaction commits: the rows are
locked (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises
writers with BEGIN IMMEDIATE), and whatever a concurrent unsubscribe,
bounce or pause committed before is seen here. Each row leaves the claim in
one of three ways:

- suppressed, with its reason (suppression list, opt-out, no legal basis,
  pause, frequency cap) — terminal, never sent;
- back in the queue at the next allowed slot when now is in quiet hours;
- sending, with a lease and one more attempt — ours to send.

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
from django.db.models import BooleanField, ExpressionWrapper, F

from campaigns.models import CampaignStatus, CampaignStep, Delivery, DeliveryStatus, SkipReason
from campaigns.policy import (
    cap_enabled,
    is_quiet,
    legal_basis_q,
    next_allowed_slot,
    paused_q,
    recent_sends_subquery,
    skip_reason,
    suppression_reason_subquery,
)
from contacts.rules import is_valid_email

CONTACT_LOCK_CLASS = 0x524B  # "RK": the advisory-lock namespace of per-contact send locks


@dataclass
class Claim:
    ids: list = field(default_factory=list)  # now ours (status sending), in id order
    skipped: Counter = field(default_factory=Counter)  # SkipReason value -> rows suppressed now
    deferred: int = 0  # rows put back for quiet hours
    slot: datetime | None = None  # where the deferred rows went


def _lock(ids, *, now):
    """(id, contact_id) of the rows among `ids` we may claim now: queued, due, their campaign running; locked.

    Looked up by primary key alone (a join here lets a planner with stale
    statistics scan the whole queue); the campaign check is a second, tiny
    query on the steps.
    """
    rows = Delivery.objects.filter(id__in=ids, status=DeliveryStatus.QUEUED, scheduled_at__lte=now)
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(skip_locked=True)
    locked = list(rows.order_by("id").values_list("id", "contact_id", "step_id"))
    running = set(CampaignStep.objects.filter(id__in={step for _i, _c, step in locked},
                                              campaign__status=CampaignStatus.RUNNING).values_list("id", flat=True))
    return [(row_id, contact_id) for row_id, contact_id, step in locked if step in running]


def deliveries_claim(ids, *, now, policy):
    """Claim what can be sent now among `ids`; `policy` is the SendingSettings row. Returns a Claim."""
    claim = Claim()
    with transaction.atomic():
        locked = _lock(ids, now=now)
        if not locked:
            return claim
        if cap_enabled(policy):
            _lock_contacts(sorted({contact_id for _id, contact_id in locked}))
        facts = _facts([row_id for row_id, _contact in locked], now=now, policy=policy)
        quiet = is_quiet(now, policy)
        groups, sending_per_contact = defaultdict(list), Counter()
        for row in facts:
            reason = skip_reason(consent=row["contact__consent"], has_basis=row["_basis"],
                                 suppression=row["_suppression"], paused=row["_paused"])
            if reason is None and not is_valid_email(row["contact__email"] or ""):
                reason = SkipReason.NO_EMAIL
            if reason is None and quiet:
                groups["defer"].append(row["id"])
                continue
            if reason is None and cap_enabled(policy):
                if row["_recent"] + sending_per_contact[row["contact_id"]] >= policy.frequency_cap_count:
                    reason = SkipReason.FREQUENCY_CAP
            if reason is None:
                sending_per_contact[row["contact_id"]] += 1
                groups["send"].append(row["id"])
            else:
                groups[reason].append(row["id"])
        _apply(groups, claim, now=now, policy=policy)
    return claim


def _lock_contacts(contact_ids):
    if connection.vendor != "postgresql":
        return  # SQLite: the claim's BEGIN IMMEDIATE already serialises every writer
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, CAST(c %% 2147483647 AS INTEGER)) "
            "FROM (SELECT c FROM unnest(CAST(%s AS BIGINT[])) AS c ORDER BY c) AS ordered",
            [CONTACT_LOCK_CLASS, contact_ids],
        )


def _facts(ids, *, now, policy):
    recent = recent_sends_subquery(policy, now=now, contact_ref="contact_id") if cap_enabled(policy) else None
    annotations = {
        "_suppression": suppression_reason_subquery("contact__email"),
        "_basis": ExpressionWrapper(legal_basis_q("contact__"), output_field=BooleanField()),
        "_paused": ExpressionWrapper(paused_q(now, contact_ref="contact_id"), output_field=BooleanField()),
    }
    if recent is not None:
        annotations["_recent"] = recent
    rows = (Delivery.objects.filter(id__in=ids).annotate(**annotations).order_by("id")
            .values("id", "contact_id", "contact__email", "contact__consent", *annotations))
    return [{"_recent": 0, **row} for row in rows]


def _apply(groups, claim, *, now, policy):
    for key, ids in groups.items():
        if key == "send":
            lease = now + timedelta(seconds=django_settings.SENDING_LEASE_SECONDS)
            Delivery.objects.filter(id__in=ids).update(status=DeliveryStatus.SENDING, lease_until=lease,
                                                       attempts=F("attempts") + 1, updated_at=now)
            claim.ids = sorted(ids)
        elif key == "defer":
            claim.slot = next_allowed_slot(now, policy)
            Delivery.objects.filter(id__in=ids).update(scheduled_at=claim.slot, lease_until=None, updated_at=now)
            claim.deferred = len(ids)
        else:
            Delivery.objects.filter(id__in=ids).update(status=DeliveryStatus.SUPPRESSED, reason=key,
                                                       lease_until=None, updated_at=now)
            claim.skipped[str(key)] += len(ids)
