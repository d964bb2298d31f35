"""Builders for sequence and playbook tests: a complete sender, templates, segments and their changes."""
import uuid
from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from campaigns.flows import services
from campaigns.flows.run import flows_run
from campaigns.models import MessageTemplate, RescueOptionKind, SenderProfile, StepKind
from contacts.models import Contact, Contract
from segments.models import Segment, SegmentChange, SegmentMembership

LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}
CUSTOMER = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "customer"}]}
# 2026-03-02 is a Monday; 01:00 UTC is 10:00 in Tokyo.
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sender(db):
    return SenderProfile.objects.create(name="Main", from_name="Rekindle", from_email="sales@example.co.jp",
                                        postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")


@pytest.fixture
def templates(db):
    a = MessageTemplate.objects.create(name="Check-in", subject="Hello", body_text="Hi")
    b = MessageTemplate.objects.create(name="Check-in B", subject="Hi", body_text="Hello")
    return a, b


@pytest.fixture
def segment(db):
    return Segment.objects.create(name="Lost deals", definition=LOST)


def make_contacts(n, *, owner=None, prefix="c", **fields):
    Contact.objects.bulk_create([Contact(email=f"{prefix}{i}@example.jp", last_name=f"山田{i}", owner=owner,
                                         consent="opt_in", **fields) for i in range(n)])
    return list(Contact.objects.filter(email__startswith=prefix).order_by("id"))


def enter(segment, contacts, at, kind="enter"):
    run = uuid.uuid4()
    SegmentChange.objects.bulk_create([SegmentChange(segment=segment, contact=c, kind=kind, at=at, run_id=run)
                                       for c in contacts])


def sequence(sender, segment, steps, *, start=T0, **overrides):
    fields = {"name": "Drip", "sender": sender, "segment": segment, "trigger": {"type": "segment_enter"},
              "exit_on": ["reply", "meeting", "active", "left_segment", "unsubscribed"], "allow_reentry": False,
              "holdout_percent": 0, "variant_b_percent": 50, "steps": steps}
    fields.update(overrides)
    campaign = services.sequence_save(**fields)
    if start:
        services.flow_start(campaign=campaign, now=start)
    return campaign


def email_step(template, **extra):
    return {"kind": StepKind.EMAIL, "template": template, **extra}


def playbook(sender, template, *, segment=None, all_active=True, start=T0, phases=None, **overrides):
    phases = phases or [
        {"kind": StepKind.EMAIL, "phase": "pre_notice", "offset_days": -60, "template": template},
        {"kind": StepKind.EMAIL, "phase": "notice", "offset_days": -30, "template": template},
        {"kind": StepKind.CALL_TASK, "phase": "final", "offset_days": -7, "purpose": "Call before lapse",
         "owner_role": "inside_sales"},
        {"kind": StepKind.EMAIL, "phase": "after_lapse", "offset_days": 7, "template": template},
    ]
    fields = {"name": "Rescue", "sender": sender, "segment": segment, "all_active_contracts": all_active,
              "lapse_text": "配信履歴と分析レポート", "deadline_rule": "before_lapse", "deadline_days": 1,
              "holdout_percent": 0, "phases": phases,
              "options": [{"kind": RescueOptionKind.RENEW, "label": "Renew", "description": ""},
                          {"kind": RescueOptionKind.REDUCED, "label": "Smaller plan", "description": ""},
                          {"kind": RescueOptionKind.EXTENSION, "label": "One more month", "description": ""}]}
    fields.update(overrides)
    campaign = services.playbook_save(**fields)
    if start:
        services.flow_start(campaign=campaign, now=start)
    return campaign


def contract(contact, expires_at, external_id="K1", **extra):
    return Contract.objects.create(contact=contact, external_id=external_id, plan="Standard", expires_at=expires_at,
                                   **extra)


def member(segment, contact, at=T0):
    SegmentMembership.objects.create(segment=segment, contact=contact, entered_at=at)


run = flows_run
