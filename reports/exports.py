"""CSV and Excel (xlsx) downloads of a report table: the same cells in both, safe to open in a spreadsheet.

A text cell that a spreadsheet would run as a formula (it starts with =, +,
-, @, a tab or a carriage return) is written as text: with a leading
apostrophe in CSV (segments.exports.neutralise), and in xlsx as a string cell
with Excel's quote prefix, so it shows as typed and never runs. Numbers stay
numbers. CSV is UTF-8 with a BOM, which Excel in Japan opens correctly.
"""
import csv
import io
import math
from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from segments.exports import FORMULA_STARTS, neutralise

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def _plain(value):
    """A cell value as CSV or openpyxl takes it: numbers and dates kept, missing as empty, the rest as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy / pandas scalars
        value = value.item()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    return str(value)


def rows_of(frame):
    """(header, rows) of a DataFrame, values made plain."""
    header = [str(column) for column in frame.columns]
    rows = [[_plain(value) for value in row] for row in frame.itertuples(index=False, name=None)]
    return header, rows


def csv_bytes(header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) if isinstance(cell, str) else _csv_value(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return value


def xlsx_bytes(header, rows, *, sheet):
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    for r, row in enumerate([header, *rows], start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never "f": openpyxl reads a leading "=" as a formula; this is text
                if value.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    for c, title in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(10, min(40, len(title) * 2 + 2))
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_download(frame, *, filename, fmt, sheet="Report"):
    """The table as an attachment: `fmt` "csv" or "xlsx"; `filename` without extension (ASCII)."""
    header, rows = rows_of(frame)
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(header, rows, sheet=sheet), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
        fmt = "csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
