"""Add ~90 days of demo activity (campaigns, deliveries, touches, rescue choices, alerts) to the demo data."""
from django.core.management.base import BaseCommand

from reports.demo import demo_activity_seed


class Command(BaseCommand):
    help = ("Add about 90 days of demo activity on top of seed_demo's data: a finished reactivation broadcast with "
            "a holdout, a running sequence, a rescue playbook with choices and renewals, the recipients' touches and "
            "alerts worked by the reps (deterministic for a seed; does nothing if it is already there).")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, seed, **options):
        stats = demo_activity_seed(seed=seed, progress=self.stdout.write)
        if stats is None:
            self.stdout.write("demo activity already present (or no contacts yet)")
            return
        counts = ", ".join(f"{name} {value:,}" for name, value in sorted(stats.counts.items()))
        self.stdout.write(self.style.SUCCESS(f"demo activity created in {stats.seconds:.1f}s: {counts}"))
