"""Dormancy benchmark: a rule's member count and first page, beside the bare SQL they run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_bench \\
        .venv/bin/python bench/dormancy_bench.py [--rule default] [--runs 20] [--today YYYY-MM-DD]
        [--as-of-days N] [--python-sample N] [--explain]

Read-only unless --refresh (which first refreshes the rule's stored members,
so the stored count can be timed): on PostgreSQL the timed statements run in
a READ ONLY transaction, so it is safe against a database being seeded. It needs a migrated
database with contacts (seed_demo); it writes nothing and asserts nothing.

For each measurement it prints p50/p95 over --runs runs of the app's call
(query building, compilation, execution, model loading) and of the bare SQL
that call emitted (captured once, then run on a cursor with its parameters).
"""
import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.measure import bare, captured_sql, timed  # noqa: E402
from contacts.models import Contact, ContactTouchSummary  # noqa: E402
from dormancy.models import DormancyRule  # noqa: E402
from dormancy.rules import explain_membership  # noqa: E402
from dormancy.selectors import (  # noqa: E402
    dormant_queryset,
    dormant_queryset_as_of,
    members_are_current,
    rule_member_count,
    workspace_today,
    workspace_tz,
)
from dormancy.services import rule_members_refresh  # noqa: E402

PAGE_SIZE = 50


def report(label, app_call, runs, result):
    statements = captured_sql(app_call)
    app_p50, app_p95 = timed(app_call, runs)
    sql_p50, sql_p95 = timed(bare(statements), runs)
    ratio = app_p50 / sql_p50 if sql_p50 else float("nan")
    print(f"{label:<34} app p50 {app_p50:8.1f} ms  p95 {app_p95:8.1f} ms | "
          f"bare SQL p50 {sql_p50:8.1f} ms  p95 {sql_p95:8.1f} ms | app/SQL {ratio:4.2f} | {result}")
    return statements, app_p50


def explain(statements):
    if connection.vendor != "postgresql":
        print("(EXPLAIN ANALYZE needs PostgreSQL)")
        return
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))


def python_loop_ms(rule, today, sample):
    """Rule evaluated contact by contact, one summary query each, as a naive loop would."""
    tz = workspace_tz()
    contacts = list(Contact.objects.select_related("company").order_by("id")[:sample])
    started = time.perf_counter()
    for contact in contacts:
        touches = dict(ContactTouchSummary.objects.filter(contact=contact).values_list("kind", "last_at"))
        explain_membership(rule, contact, today=today, tz=tz, touches=touches)
    return (time.perf_counter() - started) * 1000, len(contacts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule", default="default", help="rule slug (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--today", type=date.fromisoformat, help="evaluate on this date (default: today)")
    parser.add_argument("--as-of-days", type=int, default=0,
                        help="also time the count as of N days before today (replays events)")
    parser.add_argument("--python-sample", type=int, default=0,
                        help="also time a contact-by-contact Python loop over N contacts and scale it")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each statement")
    parser.add_argument("--refresh", action="store_true",
                        help="first refresh the rule's stored members (writes), timing it, so the stored count "
                             "can be timed too")
    args = parser.parse_args()
    if args.refresh:
        rule = DormancyRule.objects.get(slug=args.rule)
        started = time.perf_counter()
        count = rule_members_refresh(rule_id=rule.pk, run_at=timezone.now())
        print(f"stored members refreshed: {count:,} members in {(time.perf_counter() - started) * 1000:,.0f} ms")

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
        rule = DormancyRule.objects.filter(slug=args.rule).first()
        if rule is None:
            sys.exit(f'No dormancy rule "{args.rule}" in this database (is it migrated?).')
        today = args.today or workspace_today()
        total = Contact.objects.count()
        print(f"{connection.vendor} {connection.settings_dict['NAME']}: {total:,} contacts, "
              f"{ContactTouchSummary.objects.count():,} touch summary rows; rule {rule.slug!r}, today {today}, "
              f"{args.runs} runs")

        members = dormant_queryset(rule, today=today)
        count_sql, count_ms = report("count computed from the facts", members.count, args.runs,
                                     f"{members.count():,} members")
        if members_are_current(rule, today=today):
            stored_sql, _ = report("count (stored members, current)", lambda: rule_member_count(
                DormancyRule.objects.get(pk=rule.pk), today=today), args.runs, f"{rule.member_count:,} members")
            count_sql += stored_sql
        else:
            print("(stored members not current for today: run with --refresh to time the stored count)")
        page_sql, _ = report(
            f"first page ({PAGE_SIZE}, newest first)",
            lambda: list(members.select_related("company").order_by("-id")[:PAGE_SIZE]), args.runs,
            f"{len(list(members.order_by('-id')[:PAGE_SIZE]))} rows",
        )
        statements = count_sql + page_sql
        if args.as_of_days:
            as_of = today - timedelta(days=args.as_of_days)
            then = dormant_queryset_as_of(rule, as_of=as_of, today=today)
            as_of_sql, _ = report(f"count as of {as_of}", then.count, args.runs, f"{then.count():,} members")
            statements += as_of_sql
        if args.python_sample and total:
            loop_ms, sampled = python_loop_ms(rule, today, args.python_sample)
            scaled = loop_ms * total / max(sampled, 1)
            print(f"python loop over {sampled:,} contacts: {loop_ms:,.0f} ms; scaled to {total:,}: "
                  f"{scaled / 1000:,.1f} s = {scaled / count_ms:,.0f}x the app's count")
        if args.explain:
            explain(statements)


if __name__ == "__main__":
    main()
