"""The campaign report's per-row answers, stored on Delivery and Enrollment and kept current set-based.

What a recipient did within ATTRIBUTION_DAYS of a send (report_touches,
report_listed) and whether a holdout unit came back within REACTIVATION_DAYS
(report_came_back) are questions about the touch history with fixed windows,
so they are answered when the facts arrive instead of when a report is
opened (reports.campaign_rules holds the questions):

- new touches (contacts.signals.touch_events_stored) and a rep's recorded
  reactivation carry their own answers: their bits and moments travel in
  the UPDATE (a VALUES list) and are OR-ed into the rows of those contacts
  whose windows hold them, one statement per kind of answer, no history read
  (facts_answers_add);
- facts that need the history re-ask the questions for the rows they reach,
  per row with correlated subqueries (deliveries_answers_update): send
  outcomes, new enrollments (campaigns.signals), suppressed addresses, and a
  bulk import of touch history (contacts.signals.touch_history_loaded);
- these incremental updates only ever add (a bit OR-ed in, a flag or reason
  set), so two of them racing for one row cannot undo each other;
- campaign_answers_recompute replaces the answers of a campaign's rows (or
  of the rows whose window is still open) with what the facts say now: the
  nightly reconcile (reports.tasks) and the migration's backfill. It repairs
  what the incremental updates could not see: a receiver that never ran
  (the process ended between a commit and its on-commit work), a retried
  mail whose due time moved, a contact whose address changed after the
  send. (A touch and a send committing at the same moment need no repair:
  each receiver runs after its own commit, so the later of the two sees
  the other's row.)

On PostgreSQL a recompute joins the window's events to the rows in one hash
join (as reports.campaign_sql does for the live report) and writes only the
rows whose answers change; the portable form asks per row. Tests run both on
the same data and compare them with the live questions.
"""
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce

from campaigns.models import Campaign, CampaignStatus, Delivery, Enrollment
from contacts.models import Contact

from . import campaign_rules as rules
from .campaign_sql import bits_case

# The nightly reconcile covers every row whose window may still receive facts, and a day more.
OPEN_WINDOW_DAYS = max(rules.ATTRIBUTION_DAYS, rules.REACTIVATION_DAYS) + 1


ANSWERS = ("touches", "listed", "came_back")


def deliveries_answers_update(deliveries, *, merge, answers=ANSWERS, models=None):
    """Write the answers of `deliveries` (a Delivery queryset) from the facts, in one UPDATE; returns the rows
    written (a recompute writes only the rows whose answers change).

    merge: OR the answers into the stored ones (the incremental updates: they never take anything back);
    otherwise replace them (recomputes). answers: the ones the new facts can change (each is a subquery a row).
    """
    models = models or rules.facts()
    values = {}
    if "touches" in answers:
        touches = Coalesce(rules.touch_mask(models), Value(0))
        values["report_touches"] = F("report_touches").bitor(touches) if merge else touches
    if "listed" in answers:
        listed = Coalesce(rules.suppression_reason(models), Value(""))
        values["report_listed"] = (Case(When(report_listed="", then=listed), default=F("report_listed")) if merge
                                   else listed)
    if "came_back" in answers:
        came = rules.came_back(models, "scheduled_at")
        came = Q(report_came_back=True) | Q(came) if merge else came
        values["report_came_back"] = Case(When(came, then=Value(True)), default=Value(False))
    if not merge:  # a recompute writes (and counts) only the rows whose answers change
        changed = Q()
        for field, value in values.items():
            changed |= ~Q(**{field: value})
        deliveries = deliveries.filter(changed)
    return deliveries.update(**values)


def enrollments_answers_update(enrollments, *, merge, models=None):
    """As deliveries_answers_update, for Enrollment rows (came back strictly after entering)."""
    models = models or rules.facts()
    came = rules.came_back(models, "entered_at", strictly_after=True)
    if merge:
        came = Q(report_came_back=True) | Q(came)
    came = Case(When(came, then=Value(True)), default=Value(False))
    if not merge:
        enrollments = enrollments.filter(~Q(report_came_back=came))
    return enrollments.update(report_came_back=came)


def facts_answers_add(*, touches=(), returns=(), reactivations=()):
    """OR what new facts say into the rows whose windows hold them. `touches`: (contact_id, occurred_at, bit)
    of touches with a TOUCH_BITS bit; `returns`: (contact_id, occurred_at) of touches that mean the contact came
    back (REACTIVATION_KINDS, not a bot's); `reactivations`: (contact_id, at) of a rep's recorded ones.

    The facts travel with the statement (arrays unnested on PostgreSQL, a VALUES list on SQLite), so no history
    is read: one UPDATE per kind of answer and table, joining the facts to their contacts' rows by index,
    writing only rows that change. Returns (deliveries, enrollments) changed.
    """
    attribution, reactivation = timedelta(days=rules.ATTRIBUTION_DAYS), timedelta(days=rules.REACTIVATION_DAYS)
    # A fact at t lies in [since, since + N days) exactly when since lies in (t - N days, t].
    deliveries = enrollments = 0
    if touches:
        deliveries += _facts_merge(_TOUCH_BITS_ADD, [(c, at - attribution, at, bit) for c, at, bit in touches])
    if returns or reactivations:
        deliveries += _facts_merge(_CAME_BACK_SET.format(table=_DELIVERY, since="scheduled_at"),
                                   [(c, at - reactivation, at) for c, at in [*returns, *reactivations]])
        # An enrollment's returning touch must be strictly after the entry: the latest entry is a microsecond
        # (both databases' resolution) before the touch; a recorded reactivation may be at the entry.
        entries = [(c, at - reactivation, at - timedelta(microseconds=1)) for c, at in returns]
        entries += [(c, at - reactivation, at) for c, at in reactivations]
        enrollments += _facts_merge(_CAME_BACK_SET.format(table=_ENROLLMENT, since="entered_at"), entries)
    return deliveries, enrollments


_DELIVERY, _ENROLLMENT = Delivery._meta.db_table, Enrollment._meta.db_table
# The facts are rows v(column1, column2, column3[, column4]) = (contact_id, low, high[, bit]), as SQLite names a
# VALUES list's columns. The statements start with UPDATE (not WITH): SQLite's driver reports no row count for
# a statement that starts otherwise.
_TOUCH_BITS_ADD = f"""
UPDATE {_DELIVERY} SET report_touches = report_touches | x.bits
FROM (SELECT d.id, SUM(DISTINCT v.column4) AS bits FROM {_DELIVERY} d
      JOIN {{facts}} ON d.contact_id = v.column1 AND d.sent_at > v.column2 AND d.sent_at <= v.column3
      GROUP BY d.id) AS x
WHERE {_DELIVERY}.id = x.id AND ({_DELIVERY}.report_touches & x.bits) <> x.bits
"""  # noqa: S608 - constant table names; every value is bound
# (SUM over DISTINCT powers of two is their OR, in both databases.)
# (FROM, not IN: PostgreSQL then reaches the rows through the facts and the primary key, not by a scan.)
_CAME_BACK_SET = """
UPDATE {table} SET report_came_back = TRUE
FROM (SELECT DISTINCT d.id FROM {table} d JOIN {{facts}}
      ON d.contact_id = v.column1 AND d.{since} > v.column2 AND d.{since} <= v.column3) AS x
WHERE {table}.id = x.id AND {table}.report_came_back = FALSE
"""  # noqa: S608
_ARRAYS = ("bigint[]", "timestamptz[]", "timestamptz[]", "integer[]")
_COLUMNS = ("column1", "column2", "column3", "column4")
FACTS_CHUNK = 1000  # rows of facts per statement on SQLite, which binds at most 32,766 values


def _facts_merge(sql, rows):
    """Run `sql` with its facts, rows of (contact_id, low, high[, bit]); returns the rows changed.

    PostgreSQL takes them as one array a column in one statement (cheap to send and to plan, whatever the
    batch); SQLite as VALUES lists of FACTS_CHUNK rows.
    """
    width = len(rows[0])
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{kind}" for kind in _ARRAYS[:width])
        with connection.cursor() as cursor:
            cursor.execute(sql.format(facts=f"unnest({arrays}) AS v({', '.join(_COLUMNS[:width])})"),
                           [list(column) for column in zip(*rows, strict=True)])
            return cursor.rowcount
    adapt = connection.ops.adapt_datetimefield_value
    row = "(" + ", ".join(["%s"] * width) + ")"
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), FACTS_CHUNK):
            chunk = rows[start : start + FACTS_CHUNK]
            params = [value for contact_id, low, high, *bit in chunk
                      for value in (contact_id, adapt(low), adapt(high), *bit)]
            cursor.execute(sql.format(facts=f"(VALUES {', '.join([row] * len(chunk))}) AS v"), params)
            changed += cursor.rowcount
    return changed


def stored_touches_answers_add(events):
    """facts_answers_add for a batch of contacts.signals.StoredTouch (kinds no answer uses are left out)."""
    touches, returns = [], []
    for event in events:
        bit = rules.TOUCH_BIT_OF.get((event.kind, event.flagged_as_bot))
        if bit:
            touches.append((event.contact_id, event.occurred_at, bit))
        if event.kind in rules.REACTIVATION_KINDS and not event.flagged_as_bot:
            returns.append((event.contact_id, event.occurred_at))
    return facts_answers_add(touches=touches, returns=returns)


def contacts_answers_add(contact_ids, *, batch_size=2000):
    """Every row of these contacts, whatever its age: for imported history, which may fall in any window.

    One UPDATE per table and batch of contacts (an import may name more contacts than a query can bind)."""
    models = rules.facts()
    ids, deliveries, enrollments = sorted(contact_ids), 0, 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        deliveries += deliveries_answers_update(models.delivery.objects.filter(contact_id__in=batch), merge=True,
                                                models=models)
        enrollments += enrollments_answers_update(models.enrollment.objects.filter(contact_id__in=batch),
                                                  merge=True, models=models)
    return deliveries, enrollments


def suppressed_answers_add(emails, *, now):
    """The sent deliveries whose window holds a suppression of these addresses made now.

    The rows are found through the contacts that have the address now (Contact.email is indexed, to_email
    is not); a contact whose address changed since the send is left to the nightly reconcile."""
    models = rules.facts()
    emails = sorted(emails)
    deliveries = models.delivery.objects.filter(
        contact_id__in=Contact.objects.filter(email__in=emails).values("pk"), to_email__in=emails,
        sent_at__gt=now - timedelta(days=rules.ATTRIBUTION_DAYS + 1), sent_at__lte=now)
    return deliveries_answers_update(deliveries, merge=True, answers=("listed",), models=models)


def deliveries_recorded_answers_add(delivery_ids):
    models = rules.facts()
    return deliveries_answers_update(models.delivery.objects.filter(id__in=sorted(delivery_ids)), merge=True,
                                     models=models)


def enrollments_entered_answers_add(*, campaign_id, contact_ids):
    models = rules.facts()
    return enrollments_answers_update(
        models.enrollment.objects.filter(campaign_id=campaign_id, contact_id__in=sorted(contact_ids)),
        merge=True, models=models)


# -- recomputes ---------------------------------------------------------------------------------------------


def campaign_answers_recompute(*, campaign_id=None, since=None, joined=None, apps=None):
    """Replace the stored answers with what the facts say now; returns (deliveries, enrollments) rewritten.

    Scope: the campaign's rows (campaign_id), narrowed to those sent, due or entered at or after `since`
    when given; with neither, every row (the migration's backfill). `joined` picks the PostgreSQL join
    (default there) or the portable per-row form; tests compare the two. `apps`: a migration's registry.
    """
    models = rules.facts(apps)
    deliveries, enrollments = models.delivery.objects.all(), models.enrollment.objects.all()
    delivery_scope, enrollment_scope, params = ["TRUE"], ["TRUE"], ([], [])
    if campaign_id is not None:
        deliveries = deliveries.filter(step__campaign_id=campaign_id)
        enrollments = enrollments.filter(campaign_id=campaign_id)
        delivery_scope.append(f"d.step_id IN (SELECT id FROM {_table(models.delivery, 'step')} "  # noqa: S608
                              "WHERE campaign_id = %s)")
        enrollment_scope.append("d.campaign_id = %s")
        params[0].append(campaign_id)
        params[1].append(campaign_id)
    if since is not None:
        deliveries = deliveries.filter(Q(sent_at__gte=since) | Q(scheduled_at__gte=since))
        enrollments = enrollments.filter(entered_at__gte=since)
        delivery_scope.append("(d.sent_at >= %s OR d.scheduled_at >= %s)")
        enrollment_scope.append("d.entered_at >= %s")
        params[0].extend([since, since])
        params[1].append(since)
    if (connection.vendor == "postgresql") if joined is None else joined:
        return (_deliveries_joined(models, " AND ".join(delivery_scope), params[0]),
                _enrollments_joined(models, " AND ".join(enrollment_scope), params[1]))
    return (deliveries_answers_update(deliveries, merge=False, models=models),
            enrollments_answers_update(enrollments, merge=False, models=models))


def open_answers_reconcile(*, now):
    """The nightly repair: every campaign's rows whose window is still open, one transaction per campaign.

    Returns {campaign id: (deliveries, enrollments) rewritten} for the campaigns where something changed."""
    since = now - timedelta(days=OPEN_WINDOW_DAYS)
    changed = {}
    for campaign_id in Campaign.objects.exclude(status=CampaignStatus.DRAFT).order_by("pk").values_list("pk",
                                                                                                       flat=True):
        with transaction.atomic():
            written = campaign_answers_recompute(campaign_id=campaign_id, since=since)
        if any(written):
            changed[campaign_id] = written
    return changed


def _table(model, field):
    return model._meta.get_field(field).related_model._meta.db_table


def _interval(days):
    return f"INTERVAL '{int(days)} days'"


_DELIVERIES_JOINED = """
WITH d AS MATERIALIZED (
    SELECT d.id, d.contact_id, d.sent_at, d.scheduled_at, d.to_email FROM {delivery} d WHERE {scope}
), a AS (
    SELECT d.id,
           BIT_OR(CASE WHEN e.occurred_at >= d.sent_at AND e.occurred_at < d.sent_at + {attribution}
                       THEN {case} ELSE 0 END) AS mask,
           BOOL_OR(e.kind IN ({comeback}) AND NOT e.flagged_as_bot AND e.occurred_at >= d.scheduled_at
                   AND e.occurred_at < d.scheduled_at + {reactivation}) AS came
    FROM d JOIN {event} e ON e.contact_id = d.contact_id
    WHERE e.kind IN ({kinds}) AND e.occurred_at >= %s AND e.occurred_at < %s
      AND ((e.occurred_at >= d.sent_at AND e.occurred_at < d.sent_at + {attribution})
           OR (e.occurred_at >= d.scheduled_at AND e.occurred_at < d.scheduled_at + {reactivation}))
    GROUP BY d.id
), r AS (
    SELECT DISTINCT d.id FROM d JOIN {reactivation_table} r ON r.contact_id = d.contact_id
    WHERE r.at >= d.scheduled_at AND r.at < d.scheduled_at + {reactivation}
), s AS (
    SELECT d.id, x.reason FROM d JOIN {suppression} x ON x.email = d.to_email
    WHERE x.created_at >= d.sent_at AND x.created_at < d.sent_at + {attribution}
), n AS (
    SELECT d.id, COALESCE(a.mask, 0) AS touches, COALESCE(s.reason, '') AS listed,
           (COALESCE(a.came, FALSE) OR r.id IS NOT NULL) AS came
    FROM d LEFT JOIN a ON a.id = d.id LEFT JOIN r ON r.id = d.id LEFT JOIN s ON s.id = d.id
)
UPDATE {delivery} t SET report_touches = n.touches, report_listed = n.listed, report_came_back = n.came
FROM n WHERE t.id = n.id
  AND (t.report_touches, t.report_listed, t.report_came_back) IS DISTINCT FROM (n.touches, n.listed, n.came)
"""


def _deliveries_joined(models, scope, params):
    """The recompute as one statement on PostgreSQL; rows whose answers do not change are not written."""
    table = models.delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(LEAST(d.sent_at, d.scheduled_at)), MAX(GREATEST(d.sent_at, d.scheduled_at)) "  # noqa: S608
                       f"FROM {table} d WHERE {scope}", params)
        low, high = cursor.fetchone()
        if low is None:
            return 0
        case, case_params = bits_case(rules.TOUCH_BITS)
        kinds = sorted(set(rules.TOUCH_KINDS) | set(rules.REACTIVATION_KINDS))
        sql = _DELIVERIES_JOINED.format(
            delivery=table, scope=scope, case=case, event=models.event._meta.db_table,
            reactivation_table=models.reactivation._meta.db_table, suppression=models.suppression._meta.db_table,
            attribution=_interval(rules.ATTRIBUTION_DAYS), reactivation=_interval(rules.REACTIVATION_DAYS),
            comeback=", ".join(["%s"] * len(rules.REACTIVATION_KINDS)), kinds=", ".join(["%s"] * len(kinds)))
        days = max(rules.ATTRIBUTION_DAYS, rules.REACTIVATION_DAYS)
        cursor.execute(sql, [*params, *case_params, *rules.REACTIVATION_KINDS, *kinds, low,
                             high + timedelta(days=days)])
        return cursor.rowcount


_ENROLLMENTS_JOINED = """
WITH u AS MATERIALIZED (
    SELECT d.id, d.contact_id, d.entered_at FROM {enrollment} d WHERE {scope}
), c AS (
    SELECT u.id FROM u JOIN {event} e ON e.contact_id = u.contact_id
    WHERE e.kind IN ({kinds}) AND e.flagged_as_bot = FALSE AND e.occurred_at > %s AND e.occurred_at < %s
      AND e.occurred_at > u.entered_at AND e.occurred_at < u.entered_at + {reactivation}
    UNION
    SELECT u.id FROM u JOIN {reactivation_table} r ON r.contact_id = u.contact_id
    WHERE r.at >= u.entered_at AND r.at < u.entered_at + {reactivation}
), n AS (
    SELECT u.id, (c.id IS NOT NULL) AS came FROM u LEFT JOIN c ON c.id = u.id
)
UPDATE {enrollment} t SET report_came_back = n.came
FROM n WHERE t.id = n.id AND t.report_came_back IS DISTINCT FROM n.came
"""


def _enrollments_joined(models, scope, params):
    table = models.enrollment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(d.entered_at), MAX(d.entered_at) FROM {table} d WHERE {scope}", params)  # noqa: S608
        low, high = cursor.fetchone()
        if low is None:
            return 0
        sql = _ENROLLMENTS_JOINED.format(
            enrollment=table, scope=scope, event=models.event._meta.db_table,
            reactivation_table=models.reactivation._meta.db_table, reactivation=_interval(rules.REACTIVATION_DAYS),
            kinds=", ".join(["%s"] * len(rules.REACTIVATION_KINDS)))
        cursor.execute(sql, [*params, *rules.REACTIVATION_KINDS, low,
                             high + timedelta(days=rules.REACTIVATION_DAYS)])
        return cursor.rowcount
