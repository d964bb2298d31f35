"""Hostile CSV files: a clear message, and nothing half-imported.

Both ways in are tried: the upload check the browser runs (`import_job_create`: the job is refused with a
message, or checked with its bad rows listed) and the import itself (`import_file_run`, one transaction:
refused, or bad rows stop it, or only good rows land). A file that makes the reader fail in a way nobody
anticipated shows up as the generic "could not be checked" message or an exception: both fail these tests.
"""
import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.importing.errors import FileRejected
from contacts.importing.services import import_file_run, import_job_create
from contacts.models import Company, Contact, Contract, ImportStatus, Tag, TouchEvent
from tests.contacts.test_import_helpers import english  # noqa: F401 (autouse: messages in English)

pytestmark = pytest.mark.django_db
FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
KINDS = ("contacts", "events", "contracts")
GENERIC = "The file could not be checked"
MB = 1024 * 1024

HOSTILE_FILES = {
    "wrong header": b"foo,bar\r\n1,2\r\n",
    "binary garbage": bytes(range(1, 256)) * 400,
    "undecodable bytes": b"email,last_name\r\na@example.com,\x80\xff\xfe\xfd\r\n",
    "a 10 MB single line": b"email," + b"x" * (10 * MB),
    "a 10 MB data line": b"email,last_name\r\na@example.com," + b"y" * (10 * MB) + b"\r\n",
    "a 10 MB quoted cell": b'email,last_name\r\na@example.com,"' + b"z" * (10 * MB) + b'"\r\n',
    "embedded NUL": b"email,last_name\r\na@example.com,Ya\x00mada\r\n",
    "quote never closed": b'email,last_name\r\na@example.com,"Yamada\r\nb@example.com,Suzuki\r\n',
    "quote never closed in the header": b'"email,last_name\r\na@example.com,Yamada\r\n',
    "thousands of columns": (",".join(f"c{i}" for i in range(10_000)) + "\r\n" + ",".join("v" * 10_000) + "\r\n")
    .encode(),
    "thousands of cells in a row": b"email,last_name\r\na@example.com," + b"x," * 10_000 + b"\r\n",
    "header only": b"email,last_name\r\n",
    "only a BOM": b"\xef\xbb\xbf",
    "blank lines": b"\r\n\r\n,,,\r\n",
    "an Excel workbook": b"PK\x03\x04" + b"\x00" * 100,
    "UTF-16": "email\r\na@example.com\r\n".encode("utf-16"),
    "a lone CR line ending": b"email,last_name\ra@example.com,Yamada\r",
    "duplicate columns": b"email,email,last_name\r\na@example.com,b@example.com,Yamada\r\n",
}


def counts():
    return (Contact.objects.count(), Company.objects.count(), Tag.objects.count(), TouchEvent.objects.count(),
            Contract.objects.count())


@pytest.fixture
def upload(settings, tmp_path, marketer):
    """upload(kind, path) -> the import job the browser's upload would create."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"

    def create(kind, path):
        return import_job_create(kind=kind, user=marketer, path=path)

    return create


def check_and_import(kind, path, upload):
    """Run the upload check and the import; return the import's outcome (None when refused). Asserts that a
    refusal carries a specific message and that a stopped import wrote nothing."""
    before = counts()
    job = upload(kind, path)
    assert job.status in (ImportStatus.REJECTED, ImportStatus.VALIDATED)
    if job.status == ImportStatus.REJECTED:
        assert job.error and not job.error.startswith(GENERIC), job.error
    try:
        outcome = import_file_run(kind=kind, path=path)
    except FileRejected as rejected:
        assert rejected.message and job.status == ImportStatus.REJECTED and job.error == rejected.message
        assert counts() == before
        return None
    assert job.status == ImportStatus.VALIDATED
    if not outcome.imported:
        assert counts() == before
        assert outcome.bad_rows and outcome.errors and all(message for _line, _column, message in outcome.errors)
    return outcome


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_hostile_file_gets_a_clear_answer_and_nothing_half_imported(tmp_path, upload, name):
    path = tmp_path / "hostile.csv"
    path.write_bytes(HOSTILE_FILES[name])
    for kind in KINDS:
        check_and_import(kind, path, upload)


def test_formula_cells_are_stored_as_plain_text(tmp_path, upload):
    """Imported as the text they are (exports neutralise them); never evaluated, never a refusal."""
    path = tmp_path / "formulas.csv"
    rows = [["email", "last_name", "first_name", "company", "title"],
            ["a@example.com", "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)"],
            ["b@example.com", "\t=1+1", "\r=1", "=cmd|' /C calc'!A0", "=1"]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    outcome = check_and_import("contacts", path, upload)
    assert outcome.imported is True
    stored = Contact.objects.get(email="a@example.com")
    assert (stored.last_name, stored.first_name, stored.company.name, stored.title) == (
        '=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)")


@FUZZ
@given(raw=st.binary(max_size=3000))
def test_random_bytes_never_crash_the_importer(tmp_path_factory, upload, raw):
    path = tmp_path_factory.mktemp("fuzz") / "random.csv"
    path.write_bytes(raw)
    check_and_import("contacts", path, upload)


PIECES = [*'ab@.,"\r\n\x00 =+-é山\ufeff\t;', "a@example.com", "opt_in"]
CELL = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@FUZZ
@given(header=st.lists(st.sampled_from(["email", "last_name", "first_name", "company", "consent", "tags", "status",
                                        "x", "", "email "]), min_size=1, max_size=6),
       rows=st.lists(st.lists(CELL, max_size=8), max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
def test_csv_shaped_text_never_crashes_the_importer(tmp_path_factory, upload, header, rows, encoding):
    """Almost-CSV: quotes, separators, NULs and line breaks wherever they fall, in each accepted encoding."""
    text = "\r\n".join(",".join(row) for row in [header, *rows])
    path = tmp_path_factory.mktemp("fuzz") / "shaped.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    check_and_import("contacts", path, upload)
