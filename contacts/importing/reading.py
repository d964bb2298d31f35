"""Stream a CSV file in chunks of rows with bounded memory.

The header row is read with the csv module (so it can be checked before any
data is parsed); data rows go through pandas' C parser in chunks of
CHUNK_ROWS, every cell as text. Line numbers are record numbers with the
header as line 1, which is the row number Excel shows.
"""
import csv
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext as _

from .errors import FileRejected

CHUNK_ROWS = 5000
# Spare columns past the header: a row with a few cells too many (an
# unquoted comma in a company name) becomes one bad row instead of a parser
# failure for the whole file.
OVERFLOW_COLUMNS = 16
_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass
class Row:
    line: int
    values: dict
    extra_cells: int = 0


def header_read(path, encoding):
    """The raw header cells and how many physical lines the header spans."""
    try:
        with open(path, encoding=encoding, newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            lines = reader.line_num
    except csv.Error as exc:
        raise FileRejected(_("The header row can't be read: %(error)s") % {"error": exc}) from None
    if header is None or not any(cell.strip() for cell in header):
        if header is None or _only_blank_lines(path, encoding):
            raise FileRejected(_("The file is empty."))
        raise FileRejected(_("The first line must be the header row with the column names, but it is empty."))
    return header, lines


def _only_blank_lines(path, encoding):
    with open(path, encoding=encoding, newline="") as handle:
        return all(not line.strip(" \t\r\n\ufeff,") for line in handle)


def rows_read(path, encoding, names, header_lines=1):
    """Yield lists of Row, CHUNK_ROWS at a time; blank rows are dropped."""
    width = len(names)
    try:
        yield from _chunks(path, encoding, names, header_lines)
    except pd.errors.ParserWarning:
        raise FileRejected(_(
            "Line 2 has more than %(cells)d cells but the header has %(columns)d columns. Check for commas inside "
            "values that are not enclosed in double quotes."
        ) % {"cells": width + OVERFLOW_COLUMNS, "columns": width}) from None
    except pd.errors.ParserError as exc:
        raise FileRejected(_parser_message(exc, width)) from None
    except pd.errors.EmptyDataError:
        return
    except UnicodeDecodeError as exc:  # detection read the same bytes; only a changed file gets here
        raise FileRejected(_("The file can't be read as %(encoding)s: %(error)s") % {
            "encoding": encoding, "error": exc}) from None


def _chunks(path, encoding, names, header_lines):
    width = len(names)
    first_line = 2  # record numbers: the header is line 1 however many lines it spans
    with _parser_warnings_raise():
        reader = pd.read_csv(
            path,
            encoding=encoding,
            header=None,
            skiprows=header_lines,
            names=list(names) + [f"__overflow_{i}" for i in range(OVERFLOW_COLUMNS)],
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            index_col=False,
            chunksize=CHUNK_ROWS,
        )
    with reader:
        while True:
            with _parser_warnings_raise():
                chunk = next(reader, None)
            if chunk is None:
                return
            rows = []
            for record in chunk.itertuples(index=True, name=None):
                cells = record[1:]
                if not any(cells):
                    continue
                row = Row(line=record[0] + first_line, values=dict(zip(names, cells[:width], strict=True)))
                extra = cells[width:]
                if any(extra):
                    row.extra_cells = max(i for i, cell in enumerate(extra) if cell) + 1
                rows.append(row)
            yield rows


@contextmanager
def _parser_warnings_raise():
    # pandas only warns (and drops cells) when the first data row is wider
    # than the names given; treat that like any too-wide row.
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        yield


def _parser_message(exc, width):
    match = _TOO_MANY_FIELDS.search(str(exc))
    if match:
        return _(
            "Line %(line)s has %(cells)s cells but the header has %(columns)d columns. Check for commas inside "
            "values that are not enclosed in double quotes."
        ) % {"line": match.group(2), "cells": match.group(3), "columns": width}
    if "EOF inside string" in str(exc):
        return _("A double quote (\") opened a value that is never closed. Check the quotes in the file.")
    return _("The file can't be read as CSV: %(error)s") % {"error": exc}
