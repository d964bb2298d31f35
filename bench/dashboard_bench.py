"""Dashboard bench: p50/p95 of the dashboard over 20 warm loads, and the time to recompute one day's aggregates.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_bench   # e.g. seed_demo --contacts 1000000
    .venv/bin/python bench/dashboard_bench.py [--runs 20] [--day YYYY-MM-DD] [--backfill N]

Writes only the snapshot tables (reports_*day): it recomputes yesterday and
today (and --backfill N earlier days, so the trend has rows to read), then
renders the dashboard as the demo marketer through the view itself (a
RequestFactory request: no session row is written). The dormant-now tile reads
each rule's stored member count when beat refreshed it today; if the bench
database's counts are stale the view counts members live, so the load is timed
both ways: as found, and with the stored counts taken as current (what a
running beat gives).
"""
import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from accounts.roles import Role  # noqa: E402
from bench.measure import timed  # noqa: E402
from contacts.models import Contact, TouchEvent  # noqa: E402
from contacts.rules import workspace_today  # noqa: E402
from dormancy.models import DormancyRule  # noqa: E402
from dormancy.selectors import members_are_current  # noqa: E402
from reports import snapshots  # noqa: E402
from reports.views_dashboard import dashboard_view  # noqa: E402


def _recompute(day, today):
    figures = {}
    for metric in snapshots.METRICS:
        started = time.perf_counter()
        snapshots.day_snapshot_compute(day=day, today=today, metrics=(metric,))
        figures[metric] = time.perf_counter() - started
    started = time.perf_counter()
    snapshots.day_snapshot_compute(day=day, today=today)
    figures["total (one transaction)"] = time.perf_counter() - started
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--day", type=date.fromisoformat, help="the day to recompute (default: yesterday)")
    parser.add_argument("--backfill", type=int, default=0, help="also compute this many earlier days first")
    args = parser.parse_args()
    today = workspace_today()
    day = args.day or today - timedelta(days=1)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"contacts: {Contact.objects.count():,}  events: {TouchEvent.objects.count():,}  "
          f"active rules: {DormancyRule.objects.filter(is_active=True).count()}")
    for offset in range(args.backfill, 1, -1):
        snapshots.day_snapshot_compute(day=today - timedelta(days=offset), today=today)
    for label, moment in (("past day " + day.isoformat(), day), ("today " + today.isoformat(), today)):
        figures = _recompute(moment, today)
        print(f"recompute {label}: " + ", ".join(f"{k} {v:.2f}s" for k, v in figures.items()))

    user = (User.objects.filter(username="marketer").first()
            or User.objects.filter(groups__name=Role.MARKETER).first()
            or User.objects.filter(is_superuser=True).first())
    if user is None:
        sys.exit("no marketer or superuser to render the dashboard as")
    factory = RequestFactory()

    def load():
        request = factory.get("/reports/")
        request.user = user
        response = dashboard_view(request)
        assert response.status_code == 200, response.status_code

    current = {rule.name: members_are_current(rule, today=today)
               for rule in DormancyRule.objects.filter(is_active=True)}
    p50, p95 = timed(load, args.runs)
    print(f"dashboard as found (stored member counts current: {current}): p50 {p50:.0f} ms, p95 {p95:.0f} ms "
          f"over {args.runs} warm loads")
    with mock.patch("dormancy.selectors.members_are_current", return_value=True):
        p50, p95 = timed(load, args.runs)
    print(f"dashboard with stored member counts current (beat running): p50 {p50:.0f} ms, p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
