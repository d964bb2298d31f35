"""Seeding the demo workspace: plan, generate in a background thread, write.

The run is one transaction. A generator thread prepares chunk k+1 (numpy,
hashing, COPY text) while the main thread sends chunk k to the database,
so on PostgreSQL the database rather than Python sets the pace.
"""
import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from accounts.services import demo_reps, demo_users_ensure
from contacts.models import Company, Tag
from contacts.services import touch_summaries_rebuild_all

from . import people as people_mod
from . import vocab
from .clock import Clock
from .rows import TAG_TYPES, chunk_rows
from .sink import sink_for

# Fixed so that a seed gives the same data whatever the run size.
CHUNK_SIZE = 10_000
CONTACTS_PER_COMPANY = 8
# From this size on, a PostgreSQL superuser load skips the per-row FK triggers.
BULK_LOAD_CONTACTS = 50_000
DEMO_DOMAIN = vocab.DEMO_DOMAIN
_LOCK_KEY = 0x5EED_DE30
COMPANY_TYPES = {"id": "int", "name": "str", "industry": "str", "employee_count": "int", "domain": "str",
                 "created_at": "ts"}
ANALYZE_TABLES = ("contacts_company", "contacts_contact", "contacts_touchevent", "contacts_contract",
                  "contacts_contacttouchsummary", "contacts_contact_tags")


@dataclass
class SeedStats:
    companies: int = 0
    contacts: int = 0
    events: int = 0
    contracts: int = 0
    tags: int = 0
    seconds: dict = field(default_factory=dict)


def demo_data_present():
    return Company.objects.filter(domain__endswith="." + DEMO_DOMAIN).exists()


def demo_data_seed(*, contacts=3000, seed=1, now=None, progress=None, prefer_copy=True):
    """Create the demo workspace; returns SeedStats, or None if it already exists.

    One transaction: a crash leaves nothing behind, and the next run starts
    clean instead of finding a half-seeded marker.
    """
    if contacts < 1:
        raise ValueError("contacts must be at least 1")
    now = (now or timezone.now()).replace(microsecond=0)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Web and worker starting at once: the second waits here, then finds the data.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        if demo_data_present():
            return None
        if contacts >= BULK_LOAD_CONTACTS:
            _foreign_key_checks_skip()
        demo_users_ensure()
        rep_ids = [user.pk for user in demo_reps()]
        sink = sink_for(connection, prefer_copy=prefer_copy)
        stats = _seed(sink, contacts, seed, now, rep_ids, progress or (lambda message: None))
    if contacts >= BULK_LOAD_CONTACTS:
        _contacts_vacuum()
    return stats


def _contacts_vacuum():
    """Reclaim the contact row versions left by the summary rebuild's UPDATE.

    Rebuilding last_touch_at rewrites every contact once, doubling the table
    until autovacuum gets to it; until then index-only counts visit the heap.
    VACUUM cannot run in a transaction, so only outside one (not in tests).
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) contacts_contact")


def _seed(sink, total, seed, now, rep_ids, report):
    stats = SeedStats()
    started = time.perf_counter()
    clock = Clock(now, timezone.get_default_timezone())
    rng = np.random.default_rng([seed, 0])
    company_count = min(people_mod.max_companies(), max(1, total // CONTACTS_PER_COMPANY))
    companies = _companies_plan(rng, company_count, len(rep_ids))
    company_ids = sink.reserve_ids("contacts_company", len(companies))
    sink.write("contacts_company", {
        "id": company_ids, "name": companies.name, "industry": companies.industry,
        "employee_count": companies.employees, "domain": companies.domain,
        "created_at": np.full(len(companies), np.datetime64(clock.now, "s")),
    }, COMPANY_TYPES)
    stats.companies = len(companies)
    people = people_mod.people_plan(rng, total, companies)
    contact_ids = sink.reserve_ids("contacts_contact", total)
    stats.seconds["plan"] = time.perf_counter() - started
    report(f"planned {stats.companies:,} companies and {total:,} contacts in {stats.seconds['plan']:.1f}s")

    def generate():
        for chunk_no, start in enumerate(range(0, total, CHUNK_SIZE)):
            rows = slice(start, min(start + CHUNK_SIZE, total))
            chunk_rng = np.random.default_rng([seed, 1, chunk_no])
            yield chunk_rows(sink, chunk_rng, clock, people, companies, rows, contact_ids, company_ids, rep_ids)

    tag_ids = {}
    for prepared in _ahead(generate()):
        for batch in prepared.batches:
            sink.send(batch)
        tag_ids = _tag_ids(tag_ids, prepared.tag_names)
        tag_column = np.array([tag_ids[name] for name in prepared.tag_names], dtype=np.int64)
        sink.write("contacts_contact_tags", {"contact_id": prepared.tag_contacts, "tag_id": tag_column}, TAG_TYPES)
        for name, value in prepared.counts.items():
            setattr(stats, name, getattr(stats, name) + value)
        elapsed = time.perf_counter() - started
        report(f"{stats.contacts:,}/{total:,} contacts, {stats.events:,} events "
               f"({stats.contacts / elapsed:,.0f} contacts/s, {stats.events / elapsed:,.0f} events/s)")
    stats.seconds["rows"] = time.perf_counter() - started

    touch_summaries_rebuild_all()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ANALYZE_TABLES:
                cursor.execute(f"ANALYZE {table}")
    stats.seconds["total"] = time.perf_counter() - started
    report(f"touch summaries rebuilt in {stats.seconds['total'] - stats.seconds['rows']:.1f}s; "
           f"done in {stats.seconds['total']:.1f}s")
    return stats


def _foreign_key_checks_skip():
    """Skip the per-row foreign-key triggers for this transaction (PostgreSQL superusers only).

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so every COPYed
    event queues a check that runs at commit: a fifth of the time of a
    20-million-event load. The generator references only rows it wrote
    itself in this transaction (reserved ids), which the seed tests verify
    with the checks on; this is what pg_restore --disable-triggers does too.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")


def _companies_plan(rng, count, rep_count):
    companies = people_mod.companies_plan(rng, count, rep_count)
    # A real company imported before the demo may share a generated name
    # (Company.name is unique): leave those names out.
    taken = set()
    for start in range(0, len(companies.name), 5000):
        batch = companies.name[start : start + 5000]
        taken.update(Company.objects.filter(name__in=batch).values_list("name", flat=True))
    if not taken:
        return companies
    return people_mod.companies_plan(np.random.default_rng(rng.integers(1 << 62)), count, rep_count, taken)


def _tag_ids(known, names):
    """Tag ids by name, creating the missing tags (year tags appear as needed)."""
    missing = set(names) - set(known)
    if missing:
        Tag.objects.bulk_create([Tag(name=n) for n in sorted(missing)], ignore_conflicts=True)
        known.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
    return known


def _ahead(items, depth=2):
    """Iterate `items` in a background thread, up to `depth` items ahead."""
    pipe = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item):
        while not stop.is_set():
            try:
                pipe.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run():
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as exc:  # handed to the consumer, which re-raises
            put((end, exc))

    worker = threading.Thread(target=run, name="demo-generator", daemon=True)
    worker.start()
    try:
        while True:
            item, error = pipe.get()
            if item is end:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        worker.join()
