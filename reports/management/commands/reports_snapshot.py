"""Recompute the dashboard's daily snapshots: one day, the last N days, or (default) yesterday and today."""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from contacts.rules import workspace_today
from reports import snapshots


def _iso_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f'--day wants a date as YYYY-MM-DD, not "{text}".') from None


class Command(BaseCommand):
    help = ("Recompute the dashboard's daily aggregates (dormancy, campaign funnel, alert response) set-based. "
            "Without options: yesterday and today, as beat does. Days are in the workspace time zone.")

    def add_arguments(self, parser):
        parser.add_argument("--day", metavar="YYYY-MM-DD", help="recompute this one day")
        parser.add_argument("--backfill", type=int, metavar="N", help="recompute the last N days up to today")

    def handle(self, *args, day=None, backfill=None, **options):
        today = workspace_today()
        if day and backfill:
            raise CommandError("Give --day or --backfill, not both.")
        if day:
            wanted = _iso_date(day)
            if wanted > today:
                raise CommandError(f"{wanted} is in the future (today is {today}).")
            written = {wanted: snapshots.day_snapshot_compute(day=wanted, today=today)}
        elif backfill is not None:
            if backfill < 1:
                raise CommandError("--backfill must be at least 1")
            written = snapshots.backfill_snapshots_compute(days=backfill, today=today)
        else:
            written = snapshots.daily_snapshots_compute(today=today)
        for moment, rows in written.items():
            self.stdout.write(f"{moment.isoformat()} " + " ".join(f"{k}={v}" for k, v in rows.items()))
