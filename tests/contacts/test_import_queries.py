"""Set-based: reads per chunk do not grow with its rows, and writes are batched.

SQLite caps statement parameters, so bulk writes split into more batches
there; the reads are the same on every database.
"""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact

from .test_import_helpers import english, run, write_csv  # noqa: F401 (autouse fixture)


def queries_for(kind, path):
    """(reads, all statements) for importing `path`."""
    with CaptureQueriesContext(connection) as captured:
        outcome = run(kind, path)
    assert outcome.imported
    statements = [query["sql"].lstrip().upper() for query in captured.captured_queries]
    return sum(sql.startswith("SELECT") for sql in statements), len(statements)


@pytest.mark.django_db
def test_contacts_upsert_costs_the_same_queries_for_5_or_500_rows(rep, tmp_path):
    def rows(count, prefix):
        return [["email", "company", "industry", "owner", "tags", "consent", "region"]] + [
            [f"{prefix}{n}@example.com", f"{prefix} Co {n % 3}", "IT", "rep1@example.com", f"{prefix}a;{prefix}b",
             "opt_in", "Kanto"]
            for n in range(count)
        ]

    small_reads, _ = queries_for("contacts", write_csv(tmp_path / "s.csv", rows(5, "s")))
    large_reads, large_total = queries_for("contacts", write_csv(tmp_path / "l.csv", rows(500, "l")))
    # Updating the same contacts reads no more.
    again_reads, again_total = queries_for(
        "contacts", write_csv(tmp_path / "l2.csv", [r[:-1] + ["Kansai"] for r in rows(500, "l")])
    )

    assert small_reads == large_reads
    assert again_reads <= large_reads
    assert large_total < 50 and again_total < 50


@pytest.mark.django_db
def test_events_cost_the_same_queries_for_5_or_500_rows(tmp_path):
    Contact.objects.bulk_create([Contact(email=f"u{n}@example.com") for n in range(50)])

    def rows(count, day):
        return [["email", "kind", "occurred_at"]] + [
            [f"u{n % 50}@example.com", "page_view", f"2024-04-{day:02d} 10:{n % 60:02d}:{n // 60:02d}"]
            for n in range(count)
        ]

    small_reads, _ = queries_for("events", write_csv(tmp_path / "s.csv", rows(5, 1)))
    large_reads, large_total = queries_for("events", write_csv(tmp_path / "l.csv", rows(500, 2)))

    assert small_reads == large_reads
    assert large_total < 20
