"""Report downloads: CSV and xlsx carry the same cells, open in pandas and openpyxl, and never a live formula."""
import io
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd

from reports.exports import table_download

HOSTILE = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "plain 株式会社"]


def frame():
    return pd.DataFrame({"name": HOSTILE, "sent": [10, 0, 3, 4, 5, 6], "rate": [0.5, None, 0.25, 1.0, 0.0, 0.1],
                         "day": [date(2026, 11, 1)] * 6,
                         "at": [datetime(2026, 11, 1, 1, 0, tzinfo=UTC)] * 6})


def test_xlsx_opens_with_no_formula_and_shows_the_text_as_typed(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    response = table_download(frame(), filename="campaigns", fmt="xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="campaigns.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 8)] == HOSTILE
    assert all(sheet.cell(row=r, column=1).quotePrefix for r in range(2, 7))
    assert [sheet.cell(row=r, column=2).value for r in range(2, 8)] == [10, 0, 3, 4, 5, 6]  # numbers stay numbers
    assert sheet.cell(row=3, column=3).value is None  # missing stays empty
    assert sheet.cell(row=2, column=5).value == datetime(2026, 11, 1, 10, 0)  # local time (Tokyo)
    read = pd.read_excel(io.BytesIO(response.content))
    assert list(read.columns) == ["name", "sent", "rate", "day", "at"] and len(read) == 6


def test_csv_neutralises_formula_cells_and_keeps_numbers():
    response = table_download(frame(), filename="campaigns", fmt="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    read = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    assert list(read["name"]) == ["'" + text for text in HOSTILE[:5]] + ["plain 株式会社"]
    assert list(read["sent"]) == [10, 0, 3, 4, 5, 6]
    assert str(read["at"][0]) == "2026-11-01 10:00:00"
