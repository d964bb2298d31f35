"""Import benchmark: a 100,000-row touch-events CSV through the import_csv command.

    .venv/bin/python bench/import_bench.py [--rows 100000] [--contacts 5000]

Uses DATABASE_URL when set (e.g. postgres://postgres@127.0.0.1:5432/rekindle_bench,
migrated here first); otherwise a throwaway SQLite file under var/. Bench rows
live under the bench.example domain and are removed before and after the run.
Prints figures only; nothing is asserted.
"""
import argparse
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
BENCH_SQLITE = ROOT / "var" / "import_bench.sqlite3"


def bench_sqlite_remove():
    for suffix in ("", "-wal", "-shm"):
        Path(f"{BENCH_SQLITE}{suffix}").unlink(missing_ok=True)


OWN_DATABASE = "DATABASE_URL" not in os.environ
if OWN_DATABASE:
    bench_sqlite_remove()
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_SQLITE}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from contacts.models import Contact, TouchEvent  # noqa: E402

DOMAIN = "bench.example"
KINDS = ["email_open", "email_click", "page_view", "download", "webinar", "form_submit"]


def peak_rss_mb():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_data_remove():
    TouchEvent.objects.filter(contact__email__endswith="@" + DOMAIN).delete()
    Contact.objects.filter(email__endswith="@" + DOMAIN).delete()


def contacts_create(count):
    Contact.objects.bulk_create(
        [Contact(email=f"user{n}@{DOMAIN}", last_name="ベンチ") for n in range(count)], batch_size=5000
    )


def events_file_write(path, rows, contacts):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("email,kind,occurred_at,url,detail\r\n")
        for n in range(rows):
            minute = n % 1440
            handle.write(
                f"user{n % contacts}@{DOMAIN},{KINDS[(n // contacts) % len(KINDS)]},"
                f"2024-{1 + n % 12:02d}-{1 + n % 28:02d} {minute // 60:02d}:{minute % 60:02d},"
                f"https://www.example.com/page/{n % 500},\r\n"
            )


def timed_import(path):
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_csv", "events", str(path), stdout=out)
    return time.perf_counter() - started, out.getvalue().strip().splitlines()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=5_000)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    bench_data_remove()
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    try:
        started = time.perf_counter()
        contacts_create(args.contacts)
        print(f"contacts created set-based: {args.contacts} in {time.perf_counter() - started:.2f}s")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "events.csv"
            events_file_write(path, args.rows, args.contacts)
            print(f"events file: {args.rows} rows, {path.stat().st_size / 1024 / 1024:.1f} MB")
            baseline = peak_rss_mb()

            elapsed, output = timed_import(path)
            print("first import:", " | ".join(output))
            print(f"  {elapsed:.2f}s, {args.rows / elapsed:,.0f} rows/s")

            again, output = timed_import(path)
            print("re-import (all unchanged):", " | ".join(output))
            print(f"  {again:.2f}s, {args.rows / again:,.0f} rows/s")

        stored = TouchEvent.objects.filter(contact__email__endswith="@" + DOMAIN).count()
        print(f"events stored: {stored}")
        print(f"peak RSS: {peak_rss_mb():.0f} MB (before the imports: {baseline:.0f} MB)")
    finally:
        bench_data_remove()
        if OWN_DATABASE:
            connection.close()
            bench_sqlite_remove()


if __name__ == "__main__":
    main()
