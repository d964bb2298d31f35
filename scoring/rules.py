"""The score as SQL: one INSERT … SELECT … ON CONFLICT statement over the events window.

score = Σ touch rule points × 0.5^(age in days / half-life), over counted
(not bot-flagged) events in the window, + Σ attribute rule points.

Everything user-entered (URL fragments, statuses, tag names, points) stays in
the scoring_scoringrule table and is joined, never spliced into SQL; the only
variable SQL here is the per-vendor age expression and the optional "one
contact" restriction. Both PostgreSQL and SQLite (≥ 3.30 for FILTER, 3.25 for
window functions) run it; POWER() is built into PostgreSQL and registered by
Django on every SQLite connection.
"""
import json
from datetime import timedelta

# Events older than this many half-lives add less than 1/16 of their points.
WINDOW_HALF_LIVES = 4
TOP_REASONS = 3

_AGE_DAYS = {
    "postgresql": "(CAST(EXTRACT(EPOCH FROM (%(now)s - e.occurred_at)) AS double precision) / 86400.0)",
    "sqlite": "(julianday(%(now)s) - julianday(e.occurred_at))",
}
_CONTAINS = {
    "postgresql": "STRPOS(LOWER(e.url), LOWER(r.url_contains)) > 0",
    "sqlite": "INSTR(LOWER(e.url), LOWER(r.url_contains)) > 0",
}
_REASON = {
    "postgresql": "jsonb_build_object('rule', rule_id, 'name', name, 'points', ROUND(CAST(pts AS numeric), 2))",
    "sqlite": "json_object('rule', rule_id, 'name', name, 'points', ROUND(pts, 2))",
}
_REASONS_AGG = {"postgresql": "jsonb_agg", "sqlite": "json_group_array"}
_EMPTY = {"postgresql": "CAST('[]' AS jsonb)", "sqlite": "json_array()"}

_UPSERT = """
WITH touch AS (
  SELECT e.contact_id AS contact_id, r.id AS rule_id, r.name AS name,
         SUM(r.points * POWER(0.5, {age} / %(half_life)s)) AS pts
  FROM contacts_touchevent e
  JOIN scoring_scoringrule r
    ON r.kind = 'touch' AND r.is_active = %(true)s AND r.touch_kind = e.kind
   AND (r.url_contains = '' OR {contains})
  WHERE e.flagged_as_bot = %(false)s AND e.occurred_at >= %(since)s AND e.occurred_at <= %(now)s{event_scope}
  GROUP BY e.contact_id, r.id, r.name
), attr AS (
  SELECT c.id AS contact_id, r.id AS rule_id, r.name AS name, r.points * 1.0 AS pts
  FROM contacts_contact c
  LEFT JOIN contacts_company co ON co.id = c.company_id
  JOIN scoring_scoringrule r ON r.kind = 'attribute' AND r.is_active = %(true)s
  WHERE ((r.attribute = 'is_decision_maker' AND c.is_decision_maker = %(true)s)
      OR (r.attribute = 'status' AND c.status = r.value)
      OR (r.attribute = 'employees_at_least' AND co.employee_count >= r.min_employees)
      OR (r.attribute = 'tag' AND EXISTS (
            SELECT 1 FROM contacts_contact_tags ct JOIN contacts_tag t ON t.id = ct.tag_id
            WHERE ct.contact_id = c.id AND t.name = r.value))){contact_scope}
), parts AS (
  SELECT contact_id, rule_id, name, pts FROM touch
  UNION ALL
  SELECT contact_id, rule_id, name, pts FROM attr
  UNION ALL
  -- Every stored score takes part, so one that fell to nothing is rewritten as 0.
  SELECT s.contact_id, NULL, NULL, 0.0 FROM scoring_contactscore s WHERE 1 = 1{score_scope}
), ranked AS (
  SELECT contact_id, rule_id, name, pts,
         ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY (rule_id IS NULL), pts DESC, rule_id) AS rn
  FROM parts
)
INSERT INTO scoring_contactscore (contact_id, score, computed_at, is_hot, reasons)
SELECT contact_id, SUM(pts), %(now)s, %(false)s,
       COALESCE({agg}({reason}) FILTER (WHERE rn <= {top} AND rule_id IS NOT NULL), {empty})
FROM ranked
WHERE 1 = 1
GROUP BY contact_id
ON CONFLICT (contact_id) DO UPDATE
  SET score = excluded.score, computed_at = excluded.computed_at, reasons = excluded.reasons
"""


# The contacts a partial run covers, as one bound parameter: an array on
# PostgreSQL, a JSON list on SQLite (see `contacts_param`).
_IN_CONTACTS = {
    "postgresql": "{column} = ANY(%(contacts)s)",
    "sqlite": "{column} IN (SELECT value FROM json_each(%(contacts)s))",
}

# After the upsert: a score of 0 is stored as no row.
DELETE_ZERO_SQL = "DELETE FROM scoring_contactscore WHERE score = 0"


def score_window_start(now, half_life_days):
    return now - timedelta(days=half_life_days * WINDOW_HALF_LIVES)


def _vendor_check(vendor):
    if vendor not in _AGE_DAYS:
        raise NotImplementedError(f"scoring has no SQL for the {vendor} database")


def score_upsert_sql(vendor, *, some_contacts=False):
    """The upsert for every contact, or (some_contacts) for those in %(contacts)s."""
    _vendor_check(vendor)

    def scope(column):
        return " AND " + _IN_CONTACTS[vendor].format(column=column) if some_contacts else ""

    return _UPSERT.format(
        age=_AGE_DAYS[vendor], contains=_CONTAINS[vendor], agg=_REASONS_AGG[vendor], reason=_REASON[vendor],
        empty=_EMPTY[vendor],
        top=TOP_REASONS,
        event_scope=scope("e.contact_id"), contact_scope=scope("c.id"), score_scope=scope("s.contact_id"),
    )


def delete_zero_sql(vendor, *, some_contacts=False):
    _vendor_check(vendor)
    if not some_contacts:
        return DELETE_ZERO_SQL
    return DELETE_ZERO_SQL + " AND " + _IN_CONTACTS[vendor].format(column="contact_id")


def contacts_param(vendor, contact_ids):
    """`contact_ids` as the single %(contacts)s parameter the partial SQL expects."""
    ids = sorted({int(pk) for pk in contact_ids})
    return ids if vendor == "postgresql" else json.dumps(ids)
