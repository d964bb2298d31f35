"""State changes on scores: the set-based recompute, the one-contact update, settings and rules.

Callers: the hourly beat task and `manage.py recompute_scores` run
`scores_recompute`; whatever records a new touch (tracking, imports; wired
in later) calls `score_apply_event` for that contact once the event is
committed. Both run the same SQL (scoring.rules), so an incremental update
always equals a full recompute for that contact at the same `now`.
"""
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, Count, Q, Value, When

from contacts.models import Contact
from dormancy.selectors import workspace_today, workspace_tz
from segments.rules import segment_q

from .models import ContactScore, ScoringSettings
from .rules import DELETE_ZERO_ONE_SQL, DELETE_ZERO_SQL, score_upsert_sql, score_window_start


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


def _mark_hot(scores, settings, now):
    scores.update(is_hot=Case(When(_hot_q(settings, now), then=Value(True)), default=Value(False)))


def scores_recompute(*, now):
    """Recompute every contact's score and hot flag as of `now`, in a fixed number of statements.

    A contact whose score fell to 0 loses its row (no row is a score of 0).
    Idempotent: a second run with the same data and `now` changes nothing.
    """
    settings = ScoringSettings.load()
    params = _params(settings, now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(score_upsert_sql(connection.vendor), params)
        cursor.execute(DELETE_ZERO_SQL, params)
        _mark_hot(ContactScore.objects.all(), settings, now)
    totals = ContactScore.objects.aggregate(scored=Count("pk"), hot=Count("pk", filter=Q(is_hot=True)))
    return RecomputeResult(scored=totals["scored"], hot=totals["hot"])


def score_apply_event(*, contact_id, now):
    """Recompute one contact's score (after a new touch), with the full recompute's SQL.

    Reads only that contact's events through the (contact, kind, occurred_at)
    index; returns its ContactScore, or None when nothing scores.
    """
    settings = ScoringSettings.load()
    params = {**_params(settings, now), "contact": contact_id}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(score_upsert_sql(connection.vendor, one_contact=True), params)
        cursor.execute(DELETE_ZERO_ONE_SQL, params)
        _mark_hot(ContactScore.objects.filter(contact_id=contact_id), settings, now)
    return ContactScore.objects.filter(contact_id=contact_id).first()


def scoring_settings_save(*, settings, half_life_days, hot_threshold, hot_rule):
    settings.half_life_days = half_life_days
    settings.hot_threshold = hot_threshold
    settings.hot_rule = hot_rule or None
    settings.save()
    return settings
