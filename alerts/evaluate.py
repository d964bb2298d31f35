"""Evaluating triggers: from stored touches, score crossings and rescue choices to stored alerts.

Entry points take an AlertIntake id (the receivers store one per batch and
ring a Celery doorbell). One transaction per intake: claim the row, decide
per trigger which contacts qualify (set-based over the batch, stored facts
only), pass them through the dedup gate, route, store alerts with their
context and their notifications, mark the intake done. A crash rolls all of
it back and the sweep runs the intake again; a repeated message finds it done.
"""
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from campaigns.rescue import CHOICE_TOUCH_PREFIX
from contacts.models import Contact, ContactTouchSummary, TouchKind
from contacts.rules import workspace_tz
from dormancy.models import DormancyRule
from dormancy.rules.definition import clean_definition

from . import notify, routing
from .context import context_with_reason, contexts_build
from .models import Alert, AlertIntake, IntakeKind, Trigger, TriggerKind
from .rules import PAGE_KINDS, REPLY_KINDS, dormant_before, touches_before, url_matches

TOUCH_TRIGGERS = (TriggerKind.DORMANT_RETURN, TriggerKind.PAGE_VIEW, TriggerKind.REPLY_OR_FORM)


def intake_process(*, intake_id, now):
    """Evaluate one intake; returns the alerts it stored (none when it was already done or is being run)."""
    with transaction.atomic():
        intake = (AlertIntake.objects.select_for_update(skip_locked=True)
                  .filter(pk=intake_id, done_at__isnull=True).first())
        if intake is None:
            return []
        if intake.kind == IntakeKind.TOUCHES:
            candidates, touches = _touch_candidates(intake.payload), _by_contact(intake.payload)
        elif intake.kind == IntakeKind.HOT:
            candidates, touches = _hot_candidates(intake.payload), {}
        else:
            candidates, touches = _rescue_candidates(intake.payload), {}
        alerts = alerts_fire(candidates, touches_by_contact=touches, now=now)
        AlertIntake.objects.filter(pk=intake.pk).update(done_at=now)
    return alerts


def _by_contact(events):
    grouped = defaultdict(list)
    for event in events:
        grouped[event["contact_id"]].append(event)
    return grouped


def _touch_candidates(events):
    """[(trigger, contact_id, why)] for a batch of non-bot touches."""
    triggers = list(Trigger.objects.filter(is_active=True, kind__in=TOUCH_TRIGGERS).order_by("pk"))
    grouped = _by_contact(events)
    candidates = []
    for trigger in triggers:
        if trigger.kind == TriggerKind.PAGE_VIEW:
            patterns = trigger.patterns()
            for contact_id, touches in grouped.items():
                hit = next((t for t in touches if t["kind"] in PAGE_KINDS and url_matches(t["url"], patterns)), None)
                if patterns and hit:
                    candidates.append((trigger, contact_id, {"kind": trigger.kind, "url": hit["url"][:500],
                                                             "at": hit["occurred_at"]}))
        elif trigger.kind == TriggerKind.REPLY_OR_FORM:
            for contact_id, touches in grouped.items():
                hit = next((t for t in touches if t["kind"] in REPLY_KINDS and not _rescue_choice(t)), None)
                if hit:
                    candidates.append((trigger, contact_id, {"kind": trigger.kind, "touch": hit["kind"],
                                                             "detail": hit["detail"][:300], "at": hit["occurred_at"]}))
        else:
            candidates.extend(_dormant_candidates(trigger, grouped))
    return candidates


def _rescue_choice(touch):
    """The form-submit touch a rescue choice records: its own trigger covers it, so it is not a second alert."""
    return touch["kind"] == TouchKind.FORM_SUBMIT and touch["detail"].startswith(CHOICE_TOUCH_PREFIX)


def _dormant_candidates(trigger, grouped):
    """Contacts that were members of the trigger's rule (or any active rule) just before this batch.

    Decided from the rule's own definition applied to the touches as they
    stood before the batch (rules.touches_before: the stored summary and the
    signal's previous_touch_at), on the day of the touch; the stored
    DormancyMembership is not read because the facts chain may already have
    removed the contact from it (tasks run in any order).
    """
    kinds = set(trigger.touch_kinds or [])
    relevant = {cid: [t for t in touches if t["kind"] in kinds] for cid, touches in grouped.items()}
    relevant = {cid: touches for cid, touches in relevant.items() if touches}
    if not relevant:
        return []
    rules = (DormancyRule.objects.filter(pk=trigger.dormancy_rule_id, is_active=True) if trigger.dormancy_rule_id
             else DormancyRule.objects.filter(is_active=True)).order_by("name", "pk")
    rules = list(rules)
    if not rules:
        return []
    definitions = {rule.pk: clean_definition(rule) for rule in rules}  # checked once for the batch
    tz = workspace_tz()
    contacts = Contact.objects.select_related("company").in_bulk(list(relevant))
    summaries = defaultdict(dict)
    for contact_id, kind, last_at in ContactTouchSummary.objects.filter(contact_id__in=list(relevant)).values_list(
            "contact_id", "kind", "last_at"):
        summaries[contact_id][kind] = last_at
    found = []
    for contact_id, touches in sorted(relevant.items()):
        contact = contacts.get(contact_id)
        if contact is None:
            continue
        batch = grouped[contact_id]
        previous = _previous_touch(batch)
        before = touches_before(summaries[contact_id], {t["kind"] for t in batch}, previous)
        first = min(touches, key=lambda t: t["occurred_at"])
        today = datetime.fromisoformat(first["occurred_at"]).astimezone(tz).date()
        matched = [rule for rule in rules if dormant_before(rule, contact, today=today, tz=tz, touches=before,
                                                            definition=definitions[rule.pk])]
        if matched:
            found.append((trigger, contact_id, {
                "kind": trigger.kind, "rules": [rule.name for rule in matched], "touch": first["kind"],
                "url": first["url"][:500], "at": first["occurred_at"],
            }))
    return found


def _previous_touch(batch):
    values = [t["previous_touch_at"] for t in batch]
    if any(value is None for value in values):
        return None
    return min(datetime.fromisoformat(value) for value in values)


def _hot_candidates(payload):
    triggers = list(Trigger.objects.filter(is_active=True, kind=TriggerKind.HOT_SCORE).order_by("pk"))
    return [(trigger, row["contact_id"], {"kind": trigger.kind, "score": row["score"],
                                          "threshold": payload["threshold"]})
            for trigger in triggers for row in payload["contacts"]]


def _rescue_candidates(payload):
    triggers = list(Trigger.objects.filter(is_active=True, kind=TriggerKind.RESCUE_CHOICE).order_by("pk"))
    why = {"kind": TriggerKind.RESCUE_CHOICE, "option": payload["option"], "contract": payload["contract"],
           "expires_at": payload["expires_at"], "at": payload["chosen_at"]}
    return [(trigger, payload["contact_id"], why) for trigger in triggers]


# -- firing ----------------------------------------------------------------------------------

_GATE = """
INSERT INTO alerts_alertgate (trigger_id, contact_id, fired_at, quiet_until) VALUES {rows}
ON CONFLICT (trigger_id, contact_id) DO UPDATE
  SET fired_at = excluded.fired_at, quiet_until = excluded.quiet_until
  WHERE alerts_alertgate.quiet_until <= excluded.fired_at
RETURNING contact_id
"""


def gate_pass(*, trigger, contact_ids, now):
    """The contacts whose quiet period for `trigger` is over (or never began); moves their gate to `now`.

    One upsert for the batch. Concurrent callers for the same (trigger,
    contact) wait on the gate row and then see the new quiet_until, so only
    one of them gets the contact back: no duplicate even with many workers.
    Ids are sorted so two batches lock rows in the same order (no deadlock).
    """
    ids = sorted(set(contact_ids))
    if not ids:
        return set()
    adapt = connection.ops.adapt_datetimefield_value
    at, until = adapt(now), adapt(now + timedelta(hours=max(trigger.dedup_hours, 0)))
    params = [value for contact_id in ids for value in (trigger.pk, contact_id, at, until)]
    with connection.cursor() as cursor:
        cursor.execute(_GATE.format(rows=", ".join(["(%s, %s, %s, %s)"] * len(ids))), params)
        return {row[0] for row in cursor.fetchall()}


def alerts_fire(candidates, *, touches_by_contact, now):
    """Store an alert for every candidate (trigger, contact_id, why) whose dedup window is open.

    Must run inside a transaction (the gate and the alerts commit together).
    The contexts are built once for the batch: a contact that fires two
    triggers at once (a dormant contact viewing the pricing page) gets the
    same context on both alerts, each with its own reason.
    """
    by_trigger = defaultdict(dict)
    for trigger, contact_id, why in candidates:
        by_trigger[trigger].setdefault(contact_id, why)
    passing = []
    for trigger, whys in sorted(by_trigger.items(), key=lambda item: item[0].pk):
        passed = gate_pass(trigger=trigger, contact_ids=list(whys), now=now)
        if passed:
            passing.append((trigger, whys, passed))
    if not passing:
        return []
    contexts = contexts_build(set().union(*(passed for _trigger, _whys, passed in passing)),
                              touches_by_contact=touches_by_contact)
    stored = []
    for trigger, whys, passed in passing:
        assignees = routing.assignees_for(trigger=trigger, contact_ids=passed, now=now)
        alerts = [Alert(trigger=trigger, contact_id=cid, fired_at=now, assignee_id=assignees[cid][0],
                        routed_by=assignees[cid][1], context=context_with_reason(contexts[cid], whys[cid]))
                  for cid in sorted(passed) if cid in contexts]
        stored.extend(Alert.objects.bulk_create(alerts))
    if stored:
        notify.notifications_create(stored, now=now)
    return stored


def intakes_pending(*, older_than, limit=500):
    """Intakes whose doorbell may have been lost: not done, stored before `older_than`."""
    return list(AlertIntake.objects.filter(Q(done_at__isnull=True), created_at__lt=older_than)
                .order_by("created_at").values_list("pk", flat=True)[:limit])


def intakes_prune(*, before, limit=5000):
    """Forget evaluated intakes stored before `before` (bounded per call)."""
    ids = list(AlertIntake.objects.filter(done_at__isnull=False, created_at__lt=before)
               .order_by("pk").values_list("pk", flat=True)[:limit])
    return AlertIntake.objects.filter(pk__in=ids).delete()[0] if ids else 0
