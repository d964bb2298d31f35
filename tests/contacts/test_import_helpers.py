"""Helpers shared by the import tests (no tests in here)."""
import csv
import io

import pytest
from django.utils import translation

from contacts.importing.services import import_file_run


def csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_csv(path, rows, *, encoding="utf-8"):
    """Write rows (header first) as Excel would; encoding "utf-8-sig" adds a BOM."""
    path.write_bytes(csv_text(rows).encode(encoding))
    return path


def run(kind, path, **options):
    return import_file_run(kind=kind, path=path, **options)


def error_lines(outcome):
    return [(line, column) for line, column, _message in outcome.errors]


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    return settings.IMPORT_UPLOAD_DIR


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever translations exist; import
    this fixture into a test module to apply it there."""
    with translation.override("en"):
        yield
