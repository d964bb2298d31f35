"""Stored sets of contacts (segment snapshots, dormancy rule members), kept current by set-based differences.

An owner (a segment, a dormancy rule) has member rows (owner, contact,
since); optionally a change table records who entered and who left in each
run. `match_sql` is a compiled Django query returning one `member_id` column:
the contacts that belong now. Nothing passes through Python but ids of the
contacts a partial run is restricted to.

Table and column names come from model metadata, `match_sql` from Django's
own compiler with its values in `match_params`: every value is bound.
Differences are NOT EXISTS, which PostgreSQL runs as hash anti-joins (a NOT
IN over a large subquery can fall back to a rescan per row).
"""
from dataclasses import dataclass

from django.db import connection
from django.db.models import F


@dataclass(frozen=True)
class MemberTable:
    model: type  # rows (owner, contact, since)
    owner_column: str  # e.g. "segment_id"
    since_column: str  # when the contact entered
    change_model: type | None = None  # rows (owner, contact, kind, at, run_id); kinds "enter" / "leave"

    def sql_names(self):
        quote = connection.ops.quote_name
        change = quote(self.change_model._meta.db_table) if self.change_model else None
        return quote(self.model._meta.db_table), quote(self.owner_column), quote(self.since_column), change


def baseline_insert(table, *, owner_id, match_sql, match_params, run_at):
    """A first snapshot: insert the members, each since `run_at`, and record no changes.

    Rows already there (a repeated run) are kept. Returns the rows inserted.
    """
    members, owner, since, _change = table.sql_names()
    sql = (
        f"INSERT INTO {members} ({owner}, contact_id, {since}) SELECT %s, m.member_id, %s "  # noqa: S608
        f"FROM ({match_sql}) m WHERE NOT EXISTS "
        f"(SELECT 1 FROM {members} x WHERE x.{owner} = %s AND x.contact_id = m.member_id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [owner_id, _at(run_at), *match_params, owner_id])
        return cursor.rowcount


def difference_apply(table, *, owner_id, match_sql, match_params, run_at, run_id=None, contact_ids=None):
    """Make the stored members equal the match; returns (entered, left).

    With `contact_ids`, only those contacts may enter or leave (the match
    must already be restricted to them). With a change table, entries and
    exits are recorded under `run_id` first and applied from there.
    """
    if contact_ids is not None and not contact_ids:
        return 0, 0
    scope = list(contact_ids or ())
    if table.change_model is None:
        return _apply_direct(table, owner_id, match_sql, match_params, run_at, scope)
    return _apply_recorded(table, owner_id, match_sql, match_params, run_at, run_id, scope)


def _at(run_at):
    return connection.ops.adapt_datetimefield_value(run_at)


def _scope_sql(scope):
    return f" AND x.contact_id IN ({', '.join(['%s'] * len(scope))})" if scope else ""


def _apply_direct(table, owner_id, match_sql, match_params, run_at, scope):
    members, owner, since, _change = table.sql_names()
    leave_sql = (
        f"DELETE FROM {members} WHERE id IN (SELECT x.id FROM {members} x WHERE x.{owner} = %s"  # noqa: S608
        f"{_scope_sql(scope)} AND NOT EXISTS (SELECT 1 FROM ({match_sql}) m WHERE m.member_id = x.contact_id))"
    )
    with connection.cursor() as cursor:
        cursor.execute(leave_sql, [owner_id, *scope, *match_params])
        left = cursor.rowcount
    entered = baseline_insert(table, owner_id=owner_id, match_sql=match_sql, match_params=match_params,
                              run_at=run_at)
    return entered, left


def _apply_recorded(table, owner_id, match_sql, match_params, run_at, run_id, scope):
    members, owner, since, change = table.sql_names()
    at = _at(run_at)
    run = table.change_model._meta.get_field("run_id").get_db_prep_value(run_id, connection)
    enter_sql = (
        f"INSERT INTO {change} ({owner}, contact_id, kind, at, run_id) SELECT %s, m.member_id, %s, %s, %s "  # noqa: S608
        f"FROM ({match_sql}) m WHERE NOT EXISTS "
        f"(SELECT 1 FROM {members} x WHERE x.{owner} = %s AND x.contact_id = m.member_id)"
    )
    leave_sql = (
        f"INSERT INTO {change} ({owner}, contact_id, kind, at, run_id) SELECT %s, x.contact_id, %s, %s, %s "  # noqa: S608
        f"FROM {members} x WHERE x.{owner} = %s{_scope_sql(scope)} "
        f"AND NOT EXISTS (SELECT 1 FROM ({match_sql}) m WHERE m.member_id = x.contact_id)"
    )
    delete_sql = (
        f"DELETE FROM {members} WHERE {owner} = %s AND contact_id IN "  # noqa: S608
        f"(SELECT contact_id FROM {change} WHERE run_id = %s AND kind = %s)"
    )
    insert_sql = (
        f"INSERT INTO {members} ({owner}, contact_id, {since}) "  # noqa: S608
        f"SELECT {owner}, contact_id, at FROM {change} WHERE run_id = %s AND kind = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(enter_sql, [owner_id, "enter", at, run, *match_params, owner_id])
        entered = cursor.rowcount
        cursor.execute(leave_sql, [owner_id, "leave", at, run, owner_id, *scope, *match_params])
        left = cursor.rowcount
        if left:
            cursor.execute(delete_sql, [owner_id, run, "leave"])
        if entered:
            cursor.execute(insert_sql, [run, "enter"])
    return entered, left


def compiled_members(queryset):
    """(sql, params) of `queryset` as the one `member_id` column the functions above expect."""
    query = queryset.order_by().values(member_id=F("pk")).query
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)
