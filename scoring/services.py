"""State changes on scores: the set-based recompute, the one-contact update, settings and rules.

Callers: the hourly beat task and `manage.py recompute_scores` run
`scores_recompute`; when contacts' facts change (a touch recorded, an import
committed: the `contacts.signals.contact_facts_changed` signal) the worker
runs `contact_facts_apply` for those contacts, which rescores them with
`scores_apply` and then moves them in or out of every active segment. Both
scoring paths run the same SQL (scoring.rules), so an incremental update
always equals a full recompute for those contacts at the same `now`.
"""
from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction
from django.db.models import Case, Count, Q, Value, When

from contacts.models import Contact
from dormancy.selectors import workspace_today, workspace_tz
from dormancy.services import rule_members_apply
from segments.rules import segment_q
from segments.services import segment_memberships_apply

from .models import ContactScore, ScoringSettings
from .rules import contacts_param, delete_zero_sql, score_upsert_sql, score_window_start
from .signals import contacts_became_hot

# Contacts per statement on the incremental path (keeps IN lists and arrays modest).
APPLY_BATCH = 5000


@dataclass(frozen=True)
class RecomputeResult:
    scored: int
    hot: int


def _params(settings, now):
    return {
        "now": connection.ops.adapt_datetimefield_value(now),
        "since": connection.ops.adapt_datetimefield_value(score_window_start(now, settings.half_life_days)),
        "half_life": settings.half_life_days, "true": True, "false": False,
    }


def _hot_q(settings, now):
    hot = Q(score__gte=settings.hot_threshold)
    if settings.hot_rule:
        members = Contact.objects.filter(
            segment_q(settings.hot_rule, today=workspace_today(now=now), tz=workspace_tz())
        ).values("pk")
        hot &= Q(contact__in=members)
    return hot


def _mark_hot(scores, settings, now, *, announce=True):
    hot_q = _hot_q(settings, now)
    # Who turns hot now (read in the same transaction as the update): told to receivers once committed.
    became = tuple(scores.filter(hot_q, is_hot=False).values_list("contact_id", "score"))
    scores.update(is_hot=Case(When(hot_q, then=Value(True)), default=Value(False)))
    if became and announce:
        transaction.on_commit(partial(contacts_became_hot.send, sender=ContactScore, contacts=became,
                                      threshold=settings.hot_threshold))


def scores_recompute(*, now):
    """Recompute every contact's score and hot flag as of `now`, in a fixed number of statements.

    A contact whose score fell to 0 loses its row (no row is a score of 0).
    Idempotent: a second run with the same data and `now` changes nothing.
    The first scoring of a workspace (no score yet) is a baseline: contacts that
    were hot before anyone scored them are marked, not announced as becoming hot
    (no flood of alerts after an import or on a demo's first start).
    """
    settings = ScoringSettings.load()
    params = _params(settings, now)
    with transaction.atomic(), connection.cursor() as cursor:
        baseline = not ContactScore.objects.exists()
        cursor.execute(score_upsert_sql(connection.vendor), params)
        cursor.execute(delete_zero_sql(connection.vendor), params)
        _mark_hot(ContactScore.objects.all(), settings, now, announce=not baseline)
    totals = ContactScore.objects.aggregate(scored=Count("pk"), hot=Count("pk", filter=Q(is_hot=True)))
    return RecomputeResult(scored=totals["scored"], hot=totals["hot"])


def scores_apply(*, contact_ids, now):
    """Rescore only `contact_ids` (after new touches or changed attributes), with the full recompute's SQL.

    Three statements whatever the number of contacts; the events are read
    through the (contact, kind, occurred_at) index, so the cost follows the
    batch, not the table.
    """
    if not contact_ids:
        return
    settings = ScoringSettings.load()
    params = {**_params(settings, now), "contacts": contacts_param(connection.vendor, contact_ids)}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(score_upsert_sql(connection.vendor, some_contacts=True), params)
        cursor.execute(delete_zero_sql(connection.vendor, some_contacts=True), params)
        _mark_hot(ContactScore.objects.filter(contact_id__in=list(contact_ids)), settings, now)


def score_apply_event(*, contact_id, now):
    """Rescore one contact; returns its ContactScore, or None when nothing scores."""
    scores_apply(contact_ids=[contact_id], now=now)
    return ContactScore.objects.filter(contact_id=contact_id).first()


def contact_facts_apply(*, contact_ids, now, touches_only=False):
    """Bring everything derived from these contacts' facts up to date: scores, dormancy, segments.

    Scores first, because a segment may test the score. `touches_only`: the
    contacts only got new touches, so segments that cannot see touches are
    skipped. Set-based in
    batches; idempotent, so a message delivered twice or a retry is harmless,
    and the hourly recompute and the segment refresh repair anything a lost
    message left behind.
    """
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), APPLY_BATCH):
        chunk = ids[start : start + APPLY_BATCH]
        scores_apply(contact_ids=chunk, now=now)
        rule_members_apply(contact_ids=chunk, run_at=now)
        segment_memberships_apply(contact_ids=chunk, run_at=now, touches_only=touches_only)


def scoring_settings_save(*, settings, half_life_days, hot_threshold, hot_rule):
    settings.half_life_days = half_life_days
    settings.hot_threshold = hot_threshold
    settings.hot_rule = hot_rule or None
    settings.save()
    return settings
