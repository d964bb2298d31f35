import io

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from contacts.demo import demo_data_seed

# Above this many contacts the default is no backfill: each past day replays events (seconds a day at 1M).
SNAPSHOT_CONTACTS_LIMIT = 20_000


class Command(BaseCommand):
    help = ("Create demo companies, contacts, two years of touches and contracts (deterministic for a seed; "
            "does nothing if the demo data is already there).")

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=3000, help="number of contacts (default 3000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--no-activity", action="store_true",
                            help="leave out the demo activity (campaigns, deliveries, rescue choices, alerts)")
        parser.add_argument("--snapshot-days", type=int, default=None,
                            help="backfill the dashboard's daily snapshots for this many days (default 91, or 0 "
                                 f"above {SNAPSHOT_CONTACTS_LIMIT:,} contacts where it would take minutes)")

    def handle(self, *args, contacts, seed, snapshot_days, no_activity=False, **options):
        if contacts < 1:
            raise CommandError("--contacts must be at least 1")
        stats = demo_data_seed(contacts=contacts, seed=seed, progress=self.stdout.write)
        if stats is None:
            self.stdout.write("demo data already present")
            return
        self.stdout.write(self.style.SUCCESS(
            f"demo data created: {stats.companies:,} companies, {stats.contacts:,} contacts, "
            f"{stats.events:,} touch events, {stats.contracts:,} contracts, {stats.tags:,} tag links "
            f"in {stats.seconds['total']:.1f}s"
        ))
        small = contacts <= SNAPSHOT_CONTACTS_LIMIT
        if small and not no_activity:
            # By command name, like the snapshots below, and before them: the funnels include the activity.
            call_command("seed_demo_activity", "--seed", str(seed), stdout=self.stdout)
        elif not no_activity:
            self.stdout.write("demo activity not added: run `manage.py seed_demo_activity`")
        if snapshot_days is None:
            # 91: the reports' default range (the last 90 days) and the day before it, where its first month starts.
            snapshot_days = 91 if small else 0
        if snapshot_days > 0:
            # By command name, not an import: contacts (the data layer) imports no higher app.
            call_command("reports_snapshot", "--backfill", str(snapshot_days), stdout=io.StringIO())
            self.stdout.write(f"dashboard snapshots backfilled for {snapshot_days} days")
        else:
            self.stdout.write("dashboard snapshots not backfilled: run `manage.py reports_snapshot --backfill 91`")
