"""The campaign report's two per-delivery questions as joins, for PostgreSQL: a live reference form.

The report reads stored answers (reports.campaign_answers); this form and
the portable one (reports.campaign_rules) ask the touch history at report
time, for tests and comparisons. The portable form asks them with a correlated subquery
per delivery (what did this recipient do within N days of the send?): an
index probe for each kind of touch, per row, ~15 µs a delivery, so a
200,000-recipient broadcast took seconds. Here the touch events of the whole
window (first send to last send + N days, read from the (kind, occurred_at)
index that carries contact and bot flag) are joined to the deliveries by
contact in one hash join and folded per delivery with BIT_OR. Same rows in,
same counts out: tests run both forms on the same data.
"""
from datetime import timedelta

from django.db import connection

from alerts.models import Reactivation
from campaigns.models import CampaignStep, Delivery, Enrollment, Suppression
from contacts.models import TouchEvent

_DELIVERY, _STEP, _EVENT = Delivery._meta.db_table, CampaignStep._meta.db_table, TouchEvent._meta.db_table
_SUPPRESSION, _REACTIVATION = Suppression._meta.db_table, Reactivation._meta.db_table
_ENROLLMENT = Enrollment._meta.db_table


def bits_case(touch_bits):
    """CASE mapping an event to its bit (0 when its (kind, bot) pair is not one of `touch_bits`), and its params."""
    whens, params = [], []
    for bit, (_name, kind, bot) in enumerate(touch_bits):
        whens.append("WHEN e.kind = %s AND e.flagged_as_bot = %s THEN " + str(2 ** bit))
        params += [kind, bot]
    return f"CASE {' '.join(whens)} ELSE 0 END", params


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _window(table, column, where, params, days):
    """[first, last + days) of `column` over the rows the report reads: the span of events worth joining."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN({column}), MAX({column}) FROM {table} d WHERE {where}", params)  # noqa: S608
        low, high = cursor.fetchone()
    return (None, None) if low is None else (low, high + timedelta(days=days))


def delivery_groups(*, campaign_id, start, end, touch_bits, days):
    """Rows of (step_id, variant, status, reason, touches, listed, n), as reports_campaign._delivery_groups."""
    scope = (f"d.step_id IN (SELECT id FROM {_STEP} WHERE campaign_id = %s) "  # noqa: S608 - constant table names
             "AND d.scheduled_at >= %s AND d.scheduled_at < %s")
    scope_params = [campaign_id, start, end]
    low, high = _window(_DELIVERY, "d.sent_at", scope, scope_params, days)
    case, case_params = bits_case(touch_bits)
    kinds = sorted({kind for _name, kind, _bot in touch_bits})
    marks = ", ".join(["%s"] * len(kinds))
    sql = f"""
        WITH d AS MATERIALIZED (
            SELECT d.id, d.step_id, d.variant, d.status, d.reason, d.contact_id, d.sent_at, d.to_email
            FROM {_DELIVERY} d WHERE {scope}
        ), m AS (
            SELECT d.id, BIT_OR({case}) AS mask
            FROM d JOIN {_EVENT} e ON e.contact_id = d.contact_id
            WHERE e.kind IN ({marks}) AND e.occurred_at >= %s AND e.occurred_at < %s
              AND e.occurred_at >= d.sent_at AND e.occurred_at < d.sent_at + INTERVAL '{int(days)} days'
            GROUP BY d.id
        )
        SELECT d.step_id, d.variant, d.status, d.reason, m.mask AS touches,
               (SELECT x.reason FROM {_SUPPRESSION} x WHERE x.email = d.to_email AND x.created_at >= d.sent_at
                  AND x.created_at < d.sent_at + INTERVAL '{int(days)} days' LIMIT 1) AS listed,
               COUNT(*) AS n
        FROM d LEFT JOIN m ON m.id = d.id
        GROUP BY 1, 2, 3, 4, 5, 6
    """  # noqa: S608 - table names and the CASE are constants; every value is bound
    return _fetch(sql, [*scope_params, *case_params, *kinds, low, high])


def holdout_units(*, first_step_id=None, campaign_id=None, start, end, held, kinds, days):
    """Rows of (held, reactivated, n): deliveries of the first step (first_step_id) or enrollments (campaign_id).

    `held` is (SQL over the unit's row `d`, params): true for the holdout arm.
    """
    if first_step_id is not None:
        table, since, scope, scope_params = (_DELIVERY, "d.scheduled_at",
                                             "d.step_id = %s AND d.scheduled_at >= %s AND d.scheduled_at < %s",
                                             [first_step_id, start, end])
    else:
        table, since, scope, scope_params = (_ENROLLMENT, "d.entered_at",
                                             "d.campaign_id = %s AND d.entered_at >= %s AND d.entered_at < %s",
                                             [campaign_id, start, end])
    low, high = _window(table, since, scope, scope_params, days)
    held_sql, held_params = held
    marks = ", ".join(["%s"] * len(kinds))
    window = f"INTERVAL '{int(days)} days'"
    # Enrollments: strictly after entry (the touch that entered a touch-triggered sequence is not a return).
    after = ">=" if first_step_id is not None else ">"
    sql = f"""
        WITH u AS MATERIALIZED (
            SELECT d.id, d.contact_id, {since} AS since, ({held_sql}) AS held FROM {table} d WHERE {scope}
        ), came AS (
            SELECT DISTINCT u.id FROM u JOIN {_EVENT} e ON e.contact_id = u.contact_id
            WHERE e.kind IN ({marks}) AND e.flagged_as_bot = FALSE AND e.occurred_at >= %s AND e.occurred_at < %s
              AND e.occurred_at {after} u.since AND e.occurred_at < u.since + {window}
            UNION
            SELECT u.id FROM u JOIN {_REACTIVATION} r ON r.contact_id = u.contact_id
            WHERE r.at >= u.since AND r.at < u.since + {window}
        )
        SELECT u.held, (came.id IS NOT NULL) AS reactivated, COUNT(*) AS n
        FROM u LEFT JOIN came ON came.id = u.id
        GROUP BY 1, 2
    """  # noqa: S608 - table names and column names are constants; every value is bound
    return _fetch(sql, [*held_params, *scope_params, *kinds, low, high])
