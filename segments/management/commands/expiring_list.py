"""Print active contracts lapsing soon: contract_id,email,expires_at per line."""
import csv
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dormancy.selectors import workspace_today
from segments.exports import neutralise
from segments.selectors import expiring_contracts


class Command(BaseCommand):
    help = ("Print contract_id,email,expires_at for each active contract lapsing on a date from the as-of date "
            "(default: today in the workspace zone) through as-of + DAYS.")

    def add_arguments(self, parser):
        parser.add_argument("--within", type=int, required=True, metavar="DAYS")
        parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD")

    def handle(self, *args, **options):
        within = options["within"]
        if within < 0:
            raise CommandError("--within wants a number of days, 0 or more.")
        as_of = workspace_today()
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(f'--as-of wants a date as YYYY-MM-DD, not "{options["as_of"]}".') from None
        writer = csv.writer(self.stdout, lineterminator="\n")
        rows = (expiring_contracts(as_of=as_of, within_days=within)
                .values_list("external_id", "contact__email", "expires_at").iterator(chunk_size=2000))
        for external_id, email, expires_at in rows:
            writer.writerow([neutralise(external_id), email, expires_at.isoformat()])
