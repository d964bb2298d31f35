"""Segment benchmark: a three-condition segment's count (and optionally a refresh), p50/p95.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_seedbench \\
        .venv/bin/python bench/segment_bench.py [--runs 10] [--today YYYY-MM-DD] [--refresh SEGMENT_ID]

The segment: company industry is set (attribute) AND viewed a URL containing
/pricing at least once in the last 30 days (behaviour) AND matches the
default dormancy rule. The count runs in a READ ONLY transaction on
PostgreSQL, beside the bare SQL it emits. --refresh writes (it refreshes the
given segment's snapshot, saving the tree above into it first): never point
it at a database others are using.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from contacts.models import Contact  # noqa: E402
from dormancy.selectors import workspace_today, workspace_tz  # noqa: E402
from segments.models import Segment  # noqa: E402
from segments.rules import segment_q, validate_definition  # noqa: E402
from segments.services import segment_refresh  # noqa: E402

TREE = {"op": "and", "items": [
    {"type": "attribute", "field": "company.industry", "op": "is_not_empty"},
    {"type": "behaviour", "did": True, "kind": "page_view", "url_contains": "/pricing", "within_days": 30},
    {"type": "dormancy", "rule": "default"},
]}


def timed(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def report(label, p50, p95):
    print(f"{label:<40} p50 {p50:9.1f} ms   p95 {p95:9.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--today", type=date.fromisoformat)
    parser.add_argument("--refresh", type=int, metavar="SEGMENT_ID")
    args = parser.parse_args()
    today, tz = args.today or workspace_today(), workspace_tz()
    definition = validate_definition(TREE)
    print(f"database {connection.settings_dict['NAME']} ({connection.vendor}), today {today}")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")

        def app_count():
            return Contact.objects.filter(segment_q(definition, today=today, tz=tz)).count()

        print("members:", app_count())
        queryset = Contact.objects.filter(segment_q(definition, today=today, tz=tz))
        sql, params = queryset.order_by().values("pk").query.get_compiler(connection=connection).as_sql()

        def bare():
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM ({sql}) q", params)  # noqa: S608 - compiled SQL, bound params
                return cursor.fetchone()[0]

        report("three-condition count (app)", *timed(app_count, args.runs))
        report("three-condition count (bare SQL)", *timed(bare, args.runs))
    if args.refresh:
        Segment.objects.filter(pk=args.refresh).update(definition=definition)
        report("refresh (writes)", *timed(lambda: segment_refresh(segment_id=args.refresh, run_at=timezone.now()),
                                          args.runs))


if __name__ == "__main__":
    main()
