"""Import a CSV file of contacts, events or contracts from the command line.

Prints the detected encoding, every problem found (line, column, reason) and
what was created, updated or left unchanged. Exits non-zero with nothing
imported when the file can't be read, or has bad rows and --good-rows-only
was not given.
"""
from django.core.management.base import BaseCommand, CommandError, no_translations

from contacts.importing.decoding import detect_encoding, encoding_label
from contacts.importing.errors import FileRejected
from contacts.importing.services import import_file_run
from contacts.models import ImportKind


class Command(BaseCommand):
    help = "Import contacts, touch events or contracts from a CSV file (UTF-8, UTF-8 with BOM or CP932)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("path")
        parser.add_argument(
            "--good-rows-only", action="store_true",
            help="Import the rows without problems and skip the bad ones (default: a bad row stops the import).",
        )
        parser.add_argument("--max-errors", type=int, default=200, help="Problems to list (0: all).")

    @no_translations  # operator output in one language (English), for logs and scripts
    def handle(self, *args, kind, path, good_rows_only, max_errors, **options):
        try:
            encoding = detect_encoding(path)
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror}") from None
        except FileRejected as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Encoding: {encoding_label(encoding)}")
        try:
            outcome = import_file_run(
                kind=kind, path=path, encoding=encoding, good_rows_only=good_rows_only, max_errors=max_errors,
            )
        except FileRejected as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Rows: {outcome.total_rows}, bad rows: {outcome.bad_rows}")
        for line, column, message in outcome.errors:
            self.stdout.write(f"  line {line}, column '{column or '-'}': {message}")
        hidden = outcome.error_count - len(outcome.errors)
        if hidden > 0:
            self.stdout.write(f"  … and {hidden} more problems")
        if outcome.bad_rows and not good_rows_only:
            raise CommandError(
                f"Nothing was imported: {outcome.bad_rows} rows have problems. Fix them, or run again with "
                f"--good-rows-only to import the other {outcome.good_rows} rows."
            )
        if not outcome.imported:
            raise CommandError("Every row has problems; nothing was imported.")
        result = outcome.result()
        self.stdout.write(self.style.SUCCESS(
            f"Created: {result['created']}, updated: {result['updated']}, unchanged: {result['unchanged']}, "
            f"bad rows skipped: {result['skipped']}"
        ))
        main = ("created", "updated", "unchanged", "skipped")
        extras = {key: value for key, value in result.items() if key not in main}
        if extras:
            self.stdout.write(", ".join(f"{key.replace('_', ' ')}: {value}" for key, value in sorted(extras.items())))
