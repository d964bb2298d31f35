"""Refresh segment membership snapshots now and print what changed."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from segments.models import Segment
from segments.services import segment_refresh, segments_to_refresh


class Command(BaseCommand):
    help = "Recompute every active segment (or one) and print members, entered and left per segment."

    def add_arguments(self, parser):
        parser.add_argument("--segment", type=int, metavar="ID", help="only this segment (active or not)")

    def handle(self, *args, **options):
        if options["segment"] is not None:
            if not Segment.objects.filter(pk=options["segment"]).exists():
                raise CommandError(f"No segment with id {options['segment']}.")
            ids = [options["segment"]]
        else:
            ids = segments_to_refresh()
        run_at = timezone.now()
        names = dict(Segment.objects.filter(pk__in=ids).values_list("id", "name"))
        for segment_id in ids:
            result = segment_refresh(segment_id=segment_id, run_at=run_at)
            self.stdout.write(f"{segment_id} {names[segment_id]}: members {result.members}, "
                              f"entered {result.entered}, left {result.left}")
