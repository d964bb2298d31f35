"""One pass over a file: read, validate and (optionally) write, chunk by chunk.

The same pass serves the preview (write=False) and the import (write=True),
so what the preview promises is exactly what the import checks. Writing
stops at the first bad row unless only the good rows are wanted; the caller
holds the transaction and rolls back when a file with bad rows must import
nothing.
"""
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.services import contact_facts_changed_notify, touch_history_loaded_notify

from .columns import headers_check
from .errors import FileRejected
from .loaders import LOADERS
from .reading import header_read, rows_read
from .validation import ImportContext, rows_validate

PREVIEW_ROWS = 10
PREVIEW_CELL_CHARS = 200
MAX_REPORTED_ERRORS = 200


@dataclass
class FileOutcome:
    encoding: str
    mapping: list = field(default_factory=list)
    preview: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # first MAX_REPORTED_ERRORS (line, column, message)
    error_count: int = 0
    total_rows: int = 0
    bad_rows: int = 0
    counts: Counter = field(default_factory=Counter)
    imported: bool = False

    @property
    def good_rows(self):
        return self.total_rows - self.bad_rows

    def report(self):
        """The JSON stored on ImportJob.report (lists, since jsonb reorders keys)."""
        return {
            "columns": [[column, target] for column, target in self.mapping if not column.startswith("__")],
            "preview": self.preview,
            "errors": [{"line": line, "column": column, "message": message} for line, column, message in self.errors],
            "error_count": self.error_count,
            "file_error": "",
        }

    def result(self):
        return {
            "created": self.counts["created"],
            "updated": self.counts["updated"],
            "unchanged": self.counts["unchanged"],
            "skipped": self.bad_rows if self.imported else 0,
            **{key: value for key, value in self.counts.items() if key not in ("created", "updated", "unchanged")},
        }


def file_process(*, kind, path, encoding, write, good_rows_only=False, source_name="", now=None,
                 max_errors=MAX_REPORTED_ERRORS):
    """Read `path` once; write the good rows when `write` and allowed.

    Raises FileRejected for problems with the file as a whole. The returned
    outcome says whether anything was written (`imported`).
    """
    raw_header, header_lines = header_read(path, encoding)
    names, mapping = headers_check(kind, raw_header)
    ctx = ImportContext(
        kind=kind, mapping=mapping, tz=timezone.get_default_timezone(), now=now or timezone.now(),
        source_name=source_name,
    )
    outcome = FileOutcome(encoding=encoding, mapping=mapping)
    shown = [column for column, _target in mapping if not column.startswith("__")]
    load = LOADERS[kind]
    for rows in rows_read(path, encoding, names, header_lines):
        for row in rows[: PREVIEW_ROWS - len(outcome.preview)]:
            outcome.preview.append([row.line] + [row.values[column][:PREVIEW_CELL_CHARS] for column in shown])
        good, errors, bad = rows_validate(rows, ctx)
        outcome.total_rows += len(rows)
        outcome.bad_rows += bad
        outcome.error_count += len(errors)
        outcome.errors.extend(errors[: max(max_errors - len(outcome.errors), 0)] if max_errors else errors)
        if write and good and (good_rows_only or not outcome.bad_rows):
            outcome.counts.update(load(good, ctx))
    if not outcome.total_rows:
        raise FileRejected(_("The file has a header row but no data rows."))
    if write and (good_rows_only or not outcome.bad_rows):
        contact_facts_changed_notify(ctx.changed_contact_ids | ctx.touched_contact_ids,
                                     touches_only=not ctx.changed_contact_ids)
        touch_history_loaded_notify(ctx.touched_contact_ids)
        outcome.imported = outcome.good_rows > 0
    return outcome


def default_source_name(path):
    return str(path).replace("\\", "/").rsplit("/", 1)[-1]

