"""Flows benchmark: beat's pass over running sequences and playbooks at scale (issue #4: ≤ 5 s at 1M contacts).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle_bench \\
        .venv/bin/python bench/flows_bench.py [--passes 3]

On a seeded database (seed_demo) it creates, inside one transaction that is
rolled back at the end (the database is left as it was): a sequence entered
on a segment (status lost, its snapshot taken first, then every member
"entering" now) with three email steps, and a playbook over every active
contract with the four default phases. Then it times beat's pass
(`campaigns.flows.run.flows_run`): the first pass (enrols everyone and
queues the first due steps), then --passes more passes a minute apart (the
steady state: finding what is due among everything enrolled). Prints
figures; asserts nothing.
"""
import argparse
import os
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

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.flows import services  # noqa: E402
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    now = timezone.now()
    print(f"database {connection.settings_dict['NAME']} ({connection.vendor}): {Contact.objects.count():,} contacts, "
          f"{Contract.objects.filter(status=ContractStatus.ACTIVE).count():,} active contracts")
    with transaction.atomic():
        sequence, playbook = build(now)
        timed("first pass: enrol everyone, queue what is due", lambda: flows_run(now=now))
        print(f"  enrolled {Enrollment.objects.filter(campaign__in=[sequence, playbook]).count():,}; "
              f"deliveries {Delivery.objects.filter(step__campaign__in=[sequence, playbook]).count():,}; "
              f"call tasks {CallTask.objects.filter(step__campaign=playbook).count():,}")
        for n in range(1, args.passes + 1):
            timed(f"pass {n} a minute later (find what is due)", lambda n=n: flows_run(now=now + timedelta(minutes=n)))
        timed("a pass 7 days later (second sequence step due for all)",
              lambda: flows_run(now=now + timedelta(days=7, minutes=1)))
        transaction.set_rollback(True)
    print("(rolled back)")


if __name__ == "__main__":
    main()
