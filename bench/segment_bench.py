"""Segment engine benchmark: counts, preview, refreshes and the incremental path, beside the bare SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_bench \\
        .venv/bin/python bench/segment_bench.py [--runs 10] [--today YYYY-MM-DD] [--write]
        [--python-sample 10000]

Read part (READ ONLY transaction on PostgreSQL, safe beside a seeding run;
the bench's own dormancy rule is created once first if missing):
- the three-condition segment: company industry is set (attribute) AND viewed
  a URL containing /pricing at least once in the last 30 days (behaviour) AND
  matches a dormancy rule (no call, meeting, reply, card exchange, webinar or
  form for 180 days; lost or stalled); its count and the live preview (count
  + ten members), each beside the bare SQL it emits;
- "has a contract lapsing in the next 30 days", count, app and bare SQL;
- the same three-condition rule evaluated contact by contact in Python (the
  tests' reference evaluator) on a --python-sample contact sample, scaled to
  the whole table, to show what set-based SQL buys.

--write part (one transaction, rolled back at the end, so the database is
left as it was): a first refresh of an unselective segment (~40% of
contacts), a first refresh of ten segments, then 10,000 new page-view events
on random contacts applied to the stored facts (last touch per kind), the
scores, the dormancy rules' stored members and the ten segments' memberships
(once with every event on a different contact, the worst case, and once with
ten events per contact, closer to real traffic). Peak memory is this
process's RSS.
"""
import argparse
import os
import random
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.measure import bare, captured_sql, timed  # noqa: E402
from contacts.models import Contact, TouchEvent, TouchKind, TouchSource  # noqa: E402
from contacts.rules import start_of_day  # noqa: E402
from contacts.services import event_fingerprint, touch_summaries_advance  # noqa: E402
from dormancy.models import DormancyRule  # noqa: E402
from dormancy.selectors import workspace_today, workspace_tz  # noqa: E402
from dormancy.services import dormancy_rule_create  # noqa: E402
from scoring.services import contact_facts_apply  # noqa: E402
from segments.models import Segment  # noqa: E402
from segments.rules import segment_q, validate_definition  # noqa: E402
from segments.selectors import segment_preview  # noqa: E402
from segments.services import segment_refresh  # noqa: E402
from tests.segments.reference import evaluate  # noqa: E402

# The default rule counts page views as touches, so "dormant by it AND viewed
# pricing last month" is empty by construction; the segment uses a rule that
# counts only two-way contact, the kind a "quiet customer came back" list wants.
SALES_SILENT = {
    "name": "Bench: no sales contact for 180 days, lost or stalled", "slug": "bench-sales-silent",
    "inactivity_days": 180,
    "touch_kinds": ["call", "meeting", "reply", "card_exchange", "webinar", "form_submit"],
    "conditions": {"match": "any", "items": [{"type": "lost"}, {"type": "deal_stage_unchanged_days", "days": 90}]},
}
THREE = {"op": "and", "items": [
    {"type": "attribute", "field": "company.industry", "op": "is_not_empty"},
    {"type": "behaviour", "did": True, "kind": "page_view", "url_contains": "/pricing", "within_days": 30},
    {"type": "dormancy", "rule": SALES_SILENT["slug"]},
]}
LAPSING = {"op": "and", "items": [{"type": "lapse", "expiring_within_days": 30}]}
# About 40% of the seeded contacts: no touch for 120 days or more.
UNSELECTIVE = {"op": "and", "items": [{"type": "dormant_days", "min_days": 120}]}
TEN = [
    UNSELECTIVE, THREE, LAPSING,
    {"op": "and", "items": [{"type": "dormancy", "rule": "default"}]},  # the default rule's members
    {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]},
    {"op": "and", "items": [{"type": "consent", "can_receive_marketing": True},
                            {"type": "dormant_days", "min_days": 90}]},
    {"op": "or", "items": [{"type": "score", "op": "gte", "value": 30},
                           {"type": "behaviour", "did": True, "kind": "webinar", "within_days": 90}]},
    {"op": "and", "items": [{"type": "attribute", "field": "company.employee_count", "op": "gt", "value": 300},
                            {"type": "attribute", "field": "is_decision_maker", "op": "is_true"}]},
    {"op": "and", "items": [{"type": "behaviour", "did": True, "kind": "email_open", "within_days": 60},
                            {"type": "attribute", "field": "status", "op": "in",
                             "value": ["customer", "former_customer"]}]},
    {"op": "and", "items": [{"type": "lapse", "lapsed_within_days": 60}]},
]
NEW_EVENTS = 10_000


def once(fn):
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def report(label, p50, p95=None):
    tail = f"   p95 {p95:9.1f} ms" if p95 is not None else ""
    print(f"{label:<52} p50 {p50:9.1f} ms{tail}" if p95 is not None else f"{label:<52}     {p50:9.1f} ms")


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_count(queryset):
    sql, params = queryset.order_by().values("pk").query.get_compiler(connection=connection).as_sql()

    def run():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) q", params)  # noqa: S608 - compiled SQL, bound params
            return cursor.fetchone()[0]

    return run


def sales_silent_rule_ensure():
    """The one write outside --write: the bench's dormancy rule, created once."""
    if not DormancyRule.objects.filter(slug=SALES_SILENT["slug"]).exists():
        dormancy_rule_create(**SALES_SILENT, user=None, note="created by bench/segment_bench.py")
        print(f"created dormancy rule {SALES_SILENT['slug']!r} for the three-condition segment")


def read_part(args, today, tz):
    three = validate_definition(THREE)
    lapsing = validate_definition(LAPSING)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
        members = Contact.objects.filter(segment_q(three, today=today, tz=tz))
        three_count = members.count()
        print(f"three-condition segment: {three_count:,} members")
        report("three-condition count (app)", *timed(lambda: Contact.objects.filter(
            segment_q(three, today=today, tz=tz)).count(), args.runs))
        report("three-condition count (bare SQL)", *timed(bare_count(members), args.runs))
        preview = lambda: segment_preview(three, today=today, tz=tz)  # noqa: E731
        report("live preview: count + 10 members (app)", *timed(preview, args.runs))
        report("live preview (bare SQL)", *timed(bare(captured_sql(preview)), args.runs))
        lapsing_qs = Contact.objects.filter(segment_q(lapsing, today=today, tz=tz))
        print(f"lapsing in 30 days: {lapsing_qs.count():,} contacts")
        report("lapse in 30 days count (app)", *timed(lambda: Contact.objects.filter(
            segment_q(lapsing, today=today, tz=tz)).count(), args.runs))
        report("lapse in 30 days count (bare SQL)", *timed(bare_count(lapsing_qs), args.runs))
        if args.python_sample:
            python_loop(three, three_count, args.python_sample, today, tz)


def python_loop(three, three_count, sample, today, tz):
    """The same rule, one contact at a time in Python, on a sample; scaled to the whole table."""
    total = Contact.objects.count()
    rules = {rule.slug: rule for rule in DormancyRule.objects.all()}
    low = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    ids = list(Contact.objects.filter(pk__gte=low).order_by("pk").values_list("pk", flat=True)[:sample])
    start = time.perf_counter()
    contacts = (Contact.objects.filter(pk__in=ids).select_related("company")
                .prefetch_related("tags", "events", "contracts"))
    matched = 0
    for contact in contacts:
        facts = {"tags": {t.name for t in contact.tags.all()},
                 "events": list(contact.events.all()), "contracts": list(contact.contracts.all())}
        matched += evaluate(three, contact, facts=facts, today=today, tz=tz, rules=rules)
    elapsed = time.perf_counter() - start
    scaled = elapsed * total / len(ids)
    app_ms, _ = timed(lambda: Contact.objects.filter(segment_q(three, today=today, tz=tz)).count(), 3)
    print(f"python loop: {len(ids):,} contacts in {elapsed:.1f} s ({matched} match); scaled to {total:,}: "
          f"{scaled:,.0f} s = {scaled * 1000 / app_ms:,.0f}x the set-based count ({three_count:,} members)")


def write_part(args, today, tz):
    now = start_of_day(today, tz) + timedelta(hours=12)
    with transaction.atomic():
        segments = [Segment.objects.create(name=f"bench {n}", definition=validate_definition(tree))
                    for n, tree in enumerate(TEN)]
        Segment.objects.exclude(pk__in=[s.pk for s in segments]).update(is_active=False)
        ms, result = once(lambda: segment_refresh(segment_id=segments[0].pk, run_at=now))
        total = Contact.objects.count()
        report(f"first refresh, unselective segment ({result.members / total:.0%} = {result.members:,})", ms)
        Segment.objects.filter(pk=segments[0].pk).update(refreshed_at=None, member_count=None)
        segments[0].memberships.all().delete()
        segments[0].changes.all().delete()
        ms, _ = once(lambda: [segment_refresh(segment_id=s.pk, run_at=now) for s in segments])
        report("first refresh of ten segments", ms)
        ms, _ = once(lambda: [segment_refresh(segment_id=s.pk, run_at=now + timedelta(minutes=10))
                              for s in segments])
        report("second refresh of ten segments (nothing changed)", ms)
        for per_contact in (1, 10):
            with transaction.atomic():
                apply_events(now, per_contact)
                transaction.set_rollback(True)
        print(f"peak memory (this process): {peak_rss_mib():.0f} MiB")
        transaction.set_rollback(True)
    print("(write part rolled back)")


def apply_events(now, per_contact):
    """10,000 new page views on random contacts, `per_contact` each (1: worst case, every row a new contact)."""
    wanted = NEW_EVENTS // per_contact
    ids = list(Contact.objects.order_by("?").values_list("pk", flat=True)[:wanted]) \
        if Contact.objects.count() <= 50_000 else _random_ids(wanted)
    rng = random.Random(1)
    urls = ["https://example.co.jp/pricing", "https://example.co.jp/case-studies/1", "https://example.co.jp/blog"]
    events = []
    for n in range(NEW_EVENTS):
        contact_id = ids[n // per_contact % len(ids)]
        url = rng.choice(urls)
        at = now - timedelta(minutes=rng.randint(0, 600))
        events.append(TouchEvent(contact_id=contact_id, kind=TouchKind.PAGE_VIEW, occurred_at=at, url=url,
                                 source=TouchSource.IMPORT, fingerprint=event_fingerprint(
                                     contact_id=contact_id, kind=TouchKind.PAGE_VIEW, occurred_at=at, url=url)))
    touched = sorted({e.contact_id for e in events})
    insert_ms, _ = once(lambda: TouchEvent.objects.bulk_create(events, batch_size=2000, ignore_conflicts=True))
    facts_ms, _ = once(lambda: touch_summaries_advance(events))
    derived_ms, _ = once(lambda: contact_facts_apply(contact_ids=touched, now=now, touches_only=True))
    print(f"10,000 new events on {len(touched):,} contacts ({per_contact} each):")
    report("  insert the events", insert_ms)
    report("  stored facts (last touch per kind and overall)", facts_ms)
    report("  scores, dormancy members, ten segments' members", derived_ms)
    report("  applying to facts and memberships (the two above)", facts_ms + derived_ms)


def _random_ids(n):
    bounds = Contact.objects.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), bounds.last()
    rng = random.Random(2)
    picked = set(rng.sample(range(low, high + 1), min(n * 2, high - low + 1)))
    return list(Contact.objects.filter(pk__in=picked).values_list("pk", flat=True)[:n])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--today", type=date.fromisoformat)
    parser.add_argument("--write", action="store_true", help="also time refreshes and the incremental path "
                                                             "(one transaction, rolled back)")
    parser.add_argument("--python-sample", type=int, default=10_000, help="0 skips the Python loop")
    args = parser.parse_args()
    today, tz = args.today or workspace_today(), workspace_tz()
    if not Contact.objects.exists():
        print("segment_bench: no contacts in this database; load some first "
              "(manage.py seed_demo --contacts 100000) and point DATABASE_URL at it.")
        return
    print(f"database {connection.settings_dict['NAME']} ({connection.vendor}), today {today}, "
          f"{Contact.objects.count():,} contacts, {timezone.now():%Y-%m-%d %H:%M} UTC")
    sales_silent_rule_ensure()
    read_part(args, today, tz)
    if args.write:
        write_part(args, today, tz)


if __name__ == "__main__":
    main()
