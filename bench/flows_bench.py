"""Flows benchmark: beat's pass over running sequences and playbooks at scale (issue #4: ≤ 5 s at 1M contacts).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_bench \\
        .venv/bin/python bench/flows_bench.py [--passes 3] [--limit N] [--max-passes 400]

On a seeded database (seed_demo) it creates, inside one transaction that is
rolled back at the end (the database is left as it was): a sequence entered
on a segment (status lost, its snapshot taken first, then every member
"entering" now) with three email steps, and a playbook over every active
contract with the four default phases. Then it times beat's pass
(`campaigns.flows.run.flows_run`), a minute apart each:

- the enrolment burst: passes until no campaign reports work left over
  (each pass enrols and moves on at most --limit per campaign, default
  settings.FLOWS_PASS_LIMIT; a huge --limit shows the old unbounded pass);
- --passes steady passes (finding what is due among everything enrolled);
- the due burst: seven days after the last enrolment pass every second
  sequence step is due at once (and the playbook phases of that week);
  passes until drained, then --passes steady passes again.

Before each pass (outside its time) the engine's tables are analysed, as
autovacuum would between passes in production; it cannot see the rows of
this uncommitted transaction, and with the statistics of empty tables the
planner picks plans no production pass would (--no-analyze to see them).

Prints each pass's time, its work per campaign ("+": a limit was reached,
work left for the next pass), its split (exits, enrolment, steps) and the
machine's 1-minute load average (other work skews the figures), how many
passes each burst took and the slowest pass; asserts nothing.
"""
import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.flows import run as run_module  # noqa: E402
from campaigns.flows import selectors, services  # noqa: E402
from campaigns.flows.run import flows_run  # noqa: E402
from campaigns.models import (  # noqa: E402
    CallTask,
    Delivery,
    Enrollment,
    MessageTemplate,
    RescueOptionKind,
    SenderProfile,
    StepKind,
)
from contacts.models import Contact, Contract, ContractStatus  # noqa: E402
from segments.models import Segment, SegmentChange  # noqa: E402
from segments.services import segment_refresh  # noqa: E402

LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}


def timed(label, call):
    started = time.perf_counter()
    result = call()
    print(f"{label:<58} {(time.perf_counter() - started) * 1000:10,.0f} ms")
    return result


def build(now):
    sender = SenderProfile.objects.create(name="bench", from_name="Bench", from_email="bench@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    template = MessageTemplate.objects.create(name="bench", subject="Hi", body_text="Hello")
    segment = Segment.objects.create(name="bench lost", definition=LOST)
    timed("segment snapshot (status lost)", lambda: segment_refresh(segment_id=segment.pk, run_at=now))
    sequence = services.sequence_save(
        name="bench drip", sender=sender, segment=segment, trigger={"type": "segment_enter"},
        exit_on=["reply", "meeting", "active", "left_segment", "unsubscribed"], allow_reentry=False,
        holdout_percent=10, variant_b_percent=50,
        steps=[{"kind": StepKind.EMAIL, "template": template},
               {"kind": StepKind.EMAIL, "template": template, "wait_days": 7},
               {"kind": StepKind.EMAIL, "template": template, "wait_days": 14}])
    playbook = services.playbook_save(
        name="bench rescue", sender=sender, segment=None, all_active_contracts=True, lapse_text="", holdout_percent=0,
        deadline_rule="before_lapse", deadline_days=1,
        phases=[{"kind": StepKind.EMAIL, "phase": "pre_notice", "offset_days": -60, "template": template},
                {"kind": StepKind.EMAIL, "phase": "notice", "offset_days": -30, "template": template},
                {"kind": StepKind.CALL_TASK, "phase": "final", "offset_days": -7, "purpose": "call",
                 "owner_role": "inside_sales"},
                {"kind": StepKind.EMAIL, "phase": "after_lapse", "offset_days": 7, "template": template}],
        options=[{"kind": RescueOptionKind.RENEW, "label": "Renew", "description": ""},
                 {"kind": RescueOptionKind.EXTENSION, "label": "Extend", "description": ""}])
    for campaign in (sequence, playbook):
        services.flow_start(campaign=campaign, now=now - timedelta(minutes=1))
    members = list(segment.memberships.values_list("contact_id", flat=True))
    run = uuid.uuid4()
    timed(f"{len(members):,} segment entries recorded", lambda: SegmentChange.objects.bulk_create(
        [SegmentChange(segment=segment, contact_id=pk, kind="enter", at=now, run_id=run) for pk in members],
        batch_size=10_000))
    return sequence, playbook


SPENT = {}


def _clocked(part, call):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            SPENT[part] = SPENT.get(part, 0) + time.perf_counter() - started
    return wrapper


for _part, _name in (("exits", "campaign_exits"), ("enrol", "sequence_enrol"), ("enrol", "playbook_enrol"),
                     ("steps", "campaign_advance")):
    setattr(run_module, _name, _clocked(_part, getattr(run_module, _name)))


OPTIONS = {"analyze": True}
ENGINE_TABLES = "campaigns_enrollment, campaigns_playbooktimeline, campaigns_delivery, campaigns_calltask"


def one_pass(label, when, limit, ids):
    if OPTIONS["analyze"] and connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # autovacuum's part: it cannot see this transaction's rows
            cursor.execute(f"ANALYZE {ENGINE_TABLES}")
    SPENT.clear()
    started = time.perf_counter()
    summary = flows_run(now=when, limit=limit)
    elapsed = time.perf_counter() - started
    if summary is None:
        raise SystemExit("another pass holds the flows lock (is a beat worker running on this database?)")
    work = " | ".join(f"{name} enrolled {summary[pk]['enrolled']:>6,} moved {summary[pk]['moved']:>6,}"
                      f"{' +' if summary[pk]['more'] else '  '}" for name, pk in ids if pk in summary)
    split = " ".join(f"{part} {SPENT.get(part, 0) * 1000:,.0f}" for part in ("exits", "enrol", "steps"))
    print(f"{label:<32} {elapsed * 1000:8,.0f} ms  {work}  ({split} ms; load {os.getloadavg()[0]:.1f})")
    return elapsed, any(row["more"] for row in summary.values())


def burst(name, start, limit, ids, max_passes):
    """Passes a minute apart from `start` until nothing is left over; returns (times, time of the last pass)."""
    times, when = [], start
    for n in range(1, max_passes + 1):
        elapsed, more = one_pass(f"{name} pass {n}", when, limit, ids)
        times.append(elapsed)
        if not more:
            break
        when += timedelta(minutes=1)
    tail = "" if not more else f" (stopped after --max-passes {max_passes}, work left)"
    print(f"  -> {name}: {len(times)} passes{tail}, slowest {max(times) * 1000:,.0f} ms, "
          f"median {statistics.median(times) * 1000:,.0f} ms, total {sum(times):,.1f} s")
    return times, when


def steady(start, passes, limit, ids):
    times = [one_pass(f"steady pass {n}", start + timedelta(minutes=n), limit, ids)[0] for n in range(1, passes + 1)]
    if times:
        print(f"  -> steady: {min(times) * 1000:,.0f}–{max(times) * 1000:,.0f} ms")
    return start + timedelta(minutes=passes)


def page_counts(when, *campaigns):
    """What the flow page adds to show the backlog: due counts per step and entries waiting to be enrolled."""
    for campaign in campaigns:
        campaign.refresh_from_db()
        timed(f"page: {campaign.kind} counts (due per step, waiting entries)",
              lambda campaign=campaign: (selectors.enrollment_summary(campaign, now=when),
                                         selectors.entries_waiting(campaign, now=when)))


def counts(sequence, playbook):
    print(f"  enrolled {Enrollment.objects.filter(campaign__in=[sequence, playbook]).count():,}; "
          f"deliveries {Delivery.objects.filter(step__campaign__in=[sequence, playbook]).count():,}; "
          f"call tasks {CallTask.objects.filter(step__campaign=playbook).count():,}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--limit", type=int, default=settings.FLOWS_PASS_LIMIT)
    parser.add_argument("--max-passes", type=int, default=400)
    parser.add_argument("--no-analyze", action="store_true", help="keep the statistics from before the run")
    args = parser.parse_args()
    OPTIONS["analyze"] = not args.no_analyze
    now = timezone.now()
    print(f"database {connection.settings_dict['NAME']} ({connection.vendor}): {Contact.objects.count():,} contacts, "
          f"{Contract.objects.filter(status=ContractStatus.ACTIVE).count():,} active contracts; "
          f"limit {args.limit:,} per campaign and pass; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with transaction.atomic():
        sequence, playbook = build(now)
        ids = (("sequence", sequence.pk), ("playbook", playbook.pk))
        page_counts(now, sequence, playbook)
        _times, last = burst("enrolment burst", now, args.limit, ids, args.max_passes)
        counts(sequence, playbook)
        last = steady(last, args.passes, args.limit, ids)
        page_counts(last + timedelta(days=7), sequence, playbook)
        _times, last = burst("7 days later: due burst", last + timedelta(days=7), args.limit, ids, args.max_passes)
        counts(sequence, playbook)
        page_counts(last, sequence, playbook)
        steady(last, args.passes, args.limit, ids)
        transaction.set_rollback(True)
    print("(rolled back)")


if __name__ == "__main__":
    main()
