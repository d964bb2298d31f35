from django.core.management.base import BaseCommand, CommandError

from contacts.demo import demo_data_seed


class Command(BaseCommand):
    help = ("Create demo companies, contacts, two years of touches and contracts (deterministic for a seed; "
            "does nothing if the demo data is already there).")

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=3000, help="number of contacts (default 3000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, contacts, seed, **options):
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
