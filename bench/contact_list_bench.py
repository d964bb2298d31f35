"""Time the contact list (and a contact page) against whatever DATABASE_URL points at.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_bench \
        .venv/bin/python bench/contact_list_bench.py [--runs 20]

Needs data and the demo users (`manage.py seed_demo --contacts N`). Each
scenario is loaded once to warm up, then `--runs` times through Django's test
client, logged in; prints p50/p95/max in milliseconds and the query count.
Figures only, no assertions.

Seeding speed is printed by seed_demo itself (contacts/s and events/s per
chunk, then the summary rebuild); see the module docstring of contacts.demo.
"""
import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from contacts.models import Contact  # noqa: E402

SCENARIOS = [
    ("marketer", "plain list (latest touch first)", {}),
    ("marketer", "search kanji family name 佐藤", {"q": "佐藤"}),
    ("marketer", "search kana + company (たなか 精機)", {"q": "たなか 精機"}),
    ("marketer", "search email fragment", {"q": "yamamoto@"}),
    ("marketer", "filter status=lost", {"status": "lost"}),
    ("marketer", "filter industry + silent 180+", {"industry": "製造業", "silent": "180"}),
    ("marketer", "filter contract lapsing in 30 days", {"lapsing": "30"}),
    ("marketer", "sort by company", {"sort": "company"}),
    ("marketer", "sort by name, page 100", {"sort": "name", "page": "100"}),
    ("marketer", "sort oldest touch first", {"sort": "last_touch"}),
    ("rep", "rep: my contacts (default)", {}),
]


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_page(client, url, params, runs):
    client.get(url, params)  # warm caches and the connection
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    query_count = len(queries)  # read now: the next request clears the log
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} {params}: HTTP {response.status_code}")
    return samples, query_count, response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment()
    clients = {}
    for username in ("marketer", "rep"):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise SystemExit("demo users missing: run manage.py seed_demo first")
        clients[username] = Client()
        clients[username].force_login(user)

    vendor = connection.vendor
    print(f"database: {vendor} {connection.settings_dict['NAME']}, contacts: {Contact.objects.count():,}, "
          f"runs per scenario: {args.runs}")
    print(f"{'scenario':45s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'queries':>8s}  shown")
    url = reverse("contacts:list")
    for username, label, params in SCENARIOS:
        samples, queries, response = time_page(clients[username], url, params, args.runs)
        paginator = response.context["paginator"] if response.context else None
        shown = f"{paginator.count:,}{'+' if paginator.capped else ''}" if paginator else "?"
        print(f"{label:45s} {statistics.median(samples):8.1f} {percentile(samples, 0.95):8.1f} "
              f"{max(samples):8.1f} {queries:8d}  {shown}")

    busiest = Contact.objects.order_by("-last_touch_at").values_list("pk", flat=True).first()
    if busiest:
        samples, queries, _response = time_page(clients["marketer"], reverse("contacts:detail", args=[busiest]),
                                                {}, args.runs)
        print(f"{'contact page (most recently touched)':45s} {statistics.median(samples):8.1f} "
              f"{percentile(samples, 0.95):8.1f} {max(samples):8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
