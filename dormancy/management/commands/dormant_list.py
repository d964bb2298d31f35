"""Print a dormancy rule's members: emails one per line, or their count."""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dormancy.models import DormancyRule
from dormancy.selectors import dormant_queryset_as_of, workspace_today


def _iso_date(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f'--as-of wants a date as YYYY-MM-DD, not "{text}".') from None


class Command(BaseCommand):
    help = (
        "List the contacts a dormancy rule picks out today, or as of an earlier date counting only "
        "touches on or before it. Dates are in the workspace time zone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rule", default="default", metavar="SLUG", help="rule slug (default: %(default)s)")
        parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", help="the day to evaluate (default: today)")
        parser.add_argument(
            "--format", choices=["csv", "count"], default="csv",
            help="csv: one email per line (default); count: the number of contacts",
        )

    def handle(self, *args, **options):
        rule, as_of, output = options["rule"], options["as_of"], options["format"]
        found = DormancyRule.objects.filter(slug=rule).first()
        if found is None:
            known = ", ".join(DormancyRule.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f'No dormancy rule with the slug "{rule}". Known rules: {known}.')
        if not found.is_active:
            self.stderr.write(f'Note: rule "{rule}" is inactive; listing its members anyway.')
        today = workspace_today()
        day = _iso_date(as_of) if as_of else today
        members = dormant_queryset_as_of(found, as_of=day, today=today)
        if output == "count":
            self.stdout.write(str(members.count()))
            return
        for email in members.order_by("email").values_list("email", flat=True).iterator(chunk_size=5000):
            self.stdout.write(email)
