"""One engine pass over every running sequence and playbook: exits, then enrolment, then due steps.

Exits go first so nobody who replied a minute ago gets the next step.
Queries per pass grow with the number of campaigns and steps and with
contacts / BATCH, never with one query per contact.

Every pass is bounded: per campaign it reads at most FLOWS_PASS_LIMIT
entries for enrolment and moves on at most FLOWS_PASS_LIMIT due enrollments,
the oldest due first. A burst (a whole segment entering at once, a day on
which 135k second steps fall due) drains over the following passes, and
each campaign gets its share of every pass, so one campaign's burst does not
hold up another's due steps. What is left over stays in the database (beyond
the enrolment cursor, or due) and the next pass starts with it.

Only one pass runs at a time: a pass that finds another still running
(PostgreSQL advisory lock) returns at once. The lock is not what keeps the
effects single — the unique constraints and the conditional updates do, so a
pass that overlapped anyway (SQLite, a lock lost with its connection) writes
nothing twice.
"""
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from ..models import Campaign, CampaignKind, CampaignStatus
from .advance import campaign_advance
from .enrol import playbook_enrol, sequence_enrol
from .exits import campaign_exits

# Session advisory-lock key of the pass: class "FL" (flows), object 1. Sending's per-contact locks use class "RK".
PASS_LOCK = (0x464C, 1)


def running_flows():
    return list(Campaign.objects.filter(status=CampaignStatus.RUNNING, started_at__isnull=False,
                                        kind__in=(CampaignKind.SEQUENCE, CampaignKind.PLAYBOOK))
                .select_related("flow").prefetch_related("steps").order_by("id"))


@contextmanager
def pass_lock():
    """True while this process holds the pass; False when another pass holds it (always True off PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", PASS_LOCK)
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", PASS_LOCK)


def flows_run(*, now, limit=None):
    """One pass; `limit` defaults to settings.FLOWS_PASS_LIMIT.

    Returns {campaign id: {"exited": {...}, "enrolled": n, "moved": n, "more": bool}} for logs and tests
    ("more": a limit was reached, the next pass goes on), or None when another pass is still running.
    """
    limit = limit or settings.FLOWS_PASS_LIMIT
    with pass_lock() as acquired:
        if not acquired:
            return None
        return {campaign.pk: _campaign_pass(campaign, now=now, limit=limit) for campaign in running_flows()
                if campaign.steps.all()}


def _campaign_pass(campaign, *, now, limit):
    steps = sorted(campaign.steps.all(), key=lambda step: step.position)
    exited = campaign_exits(campaign)
    enrol = playbook_enrol if campaign.kind == CampaignKind.PLAYBOOK else sequence_enrol
    enrolled = enrol(campaign, steps, now=now, limit=limit)
    moved, more = campaign_advance(campaign, steps, now=now, limit=limit)
    return {"exited": exited, "enrolled": enrolled, "moved": moved, "more": more or enrolled >= limit}
