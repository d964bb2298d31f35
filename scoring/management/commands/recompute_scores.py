"""Recompute every contact's score now and print how many scored and how many are hot."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from scoring.services import scores_recompute


class Command(BaseCommand):
    help = "Recompute every contact's lead score and hot-lead flag; print the number scored and hot."

    def handle(self, *args, **options):
        result = scores_recompute(now=timezone.now())
        self.stdout.write(f"Scored {result.scored} contacts, {result.hot} hot.")
