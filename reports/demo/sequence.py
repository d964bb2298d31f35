"""The running step sequence: contacts who viewed the pricing page in the last ~45 days get a personal follow-up,
a call from inside sales and a case-study mail.

Entries are what the engine reads (campaigns.flows.enrol.entry_touches:
counted pricing views since the start, in id order, the first per contact);
the holdout is the engine's hash. A reply or a meeting after entry ends the
walk (the sequence's exits), so no later step reaches those contacts.
"""
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import translation

from campaigns.flows.advance import call_note
from campaigns.flows.enrol import entry_touches
from campaigns.flows.rules import ExitReason, is_held_out, step_wait
from campaigns.models import (
    CallTask,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    FlowSettings,
    StepKind,
)
from contacts.models import TouchEvent, TouchKind
from contacts.rules import workspace_today

from .common import call_task_settle, local_moment, touches_store
from .mail import MailPlan, contacts_facts
from .reactions import Rates, mail_reactions
from .setup import flow_started

STARTED_DAYS_AGO = 45
RATES = Rates(open=0.45, open_b=0.45, click=0.25, visit=0.06, reply=0.07, meeting=0.5, download=0.02)
EXITS = {TouchKind.REPLY: ExitReason.REPLY, TouchKind.MEETING: ExitReason.MEETING}
CALL_OUTCOMES = [("reached", 4), ("no_answer", 4), ("meeting_booked", 1), ("not_interested", 1)]


def sequence_run(campaign, *, seed, now, stats):
    today = workspace_today(now=now)
    started = local_moment(today - timedelta(days=STARTED_DAYS_AGO), 9, 0)
    flow_started(campaign, created=started - timedelta(days=1, hours=2), started=started)
    steps = list(campaign.steps.order_by("position"))
    entries = {}
    for _id, contact_id, at in entry_touches(campaign.trigger, since=started).order_by("id").values_list(
            "id", "contact_id", "occurred_at"):
        entries.setdefault(contact_id, at)
    facts = contacts_facts(list(entries))
    held = {cid for cid in entries if is_held_out(campaign, cid)}
    walking = {cid: at for cid, at in entries.items() if cid not in held}
    exits = _exits_before(walking)
    dues, performed, calls = dict(walking), {cid: 0 for cid in walking}, []
    for step in steps:
        plan = MailPlan(seed=seed, now=now)
        for cid in sorted(walking, key=lambda c: facts[c]["email"]):
            due = dues[cid] + step_wait(step)
            dues[cid] = due
            if due > now or (cid in exits and exits[cid][1] <= due) or performed[cid] != step.position - 1:
                continue
            performed[cid] = step.position
            key = f"seq{step.position}:{facts[cid]['email']}"
            if step.kind == StepKind.CALL_TASK:
                calls.append((step, cid, due, key))
            else:
                plan.mail(step=step, contact=facts[cid], due=due, key=key)
        rows = plan.write(stats)
        sent = [{"contact_id": row.contact_id, "email": f"{row.to_email}:{step.position}", "sent_at": row.sent_at}
                for row in rows if row.status == DeliveryStatus.SENT]
        touches = touches_store(mail_reactions(sent, rates=RATES, campaign_name=campaign.name, seed=seed,
                                               purpose="sequence")[0], now=now, stats=stats)
        for event in touches:
            if event.kind in EXITS and not event.flagged_as_bot and event.occurred_at > walking[event.contact_id]:
                if event.contact_id not in exits or event.occurred_at < exits[event.contact_id][1]:
                    exits[event.contact_id] = (EXITS[event.kind], event.occurred_at)
    enrollments = _enrollments_write(campaign, steps, entries, held, exits, performed, now=now)
    _call_tasks_write(campaign, calls, entries, enrollments, facts, seed=seed, now=now, stats=stats)
    stats.add("sequence_enrollments", len(entries))
    return entries


def _exits_before(walking):
    """{contact: (reason, at)}: each entrant's first reply or meeting after it entered, from the stored touches."""
    found = {}
    since = min(walking.values(), default=None)
    if since is None:
        return found
    rows = (TouchEvent.objects.filter(contact_id__in=list(walking), kind__in=list(EXITS), flagged_as_bot=False,
                                      occurred_at__gt=since).order_by("occurred_at")
            .values_list("contact_id", "kind", "occurred_at"))
    for contact_id, kind, at in rows:
        if at > walking[contact_id] and contact_id not in found:
            found[contact_id] = (EXITS[kind], at)
    return found


def _call_tasks_write(campaign, calls, entries, enrollments, facts, *, seed, now, stats):
    tasks = []
    with translation.override(settings.LANGUAGE_CODE):
        for step, cid, due, key in calls:
            row = {"contact__last_touch_at": entries[cid], "contact__last_touch_kind": TouchKind.PAGE_VIEW}
            task = CallTask(step=step, enrollment_id=enrollments[cid], contact_id=cid, due_at=due,
                            assigned_to_id=facts[cid]["owner_id"], note=call_note(campaign, step, row))
            tasks.append(call_task_settle(task, seed=seed, key=key, due=due, now=now, slowest=timedelta(hours=20),
                                          settled_before=timedelta(hours=6), outcomes=CALL_OUTCOMES))
    CallTask.objects.bulk_create(tasks, batch_size=1000)
    stats.add("call_tasks", len(tasks))


def _enrollments_write(campaign, steps, entries, held, exits, performed, *, now):
    rows = []
    for cid, entered in entries.items():
        row = Enrollment(campaign=campaign, contact_id=cid, entered_at=entered, next_position=1)
        done = performed.get(cid, 0)
        if cid in held:
            row.status, row.exit_reason = EnrollmentStatus.EXITED, ExitReason.HOLDOUT
        elif cid in exits and exits[cid][1] <= now and done < len(steps):
            row.status, row.exit_reason, row.next_position = EnrollmentStatus.EXITED, exits[cid][0], done + 1
        elif done == len(steps):
            row.status, row.next_position = EnrollmentStatus.COMPLETED, done + 1
        else:
            due = entered + sum((step_wait(step) for step in steps[:done + 1]), timedelta())
            row.next_position, row.next_at = done + 1, due
        rows.append(row)
    Enrollment.objects.bulk_create(rows, batch_size=1000)
    FlowSettings.objects.filter(campaign=campaign).update(cursor=entry_touches(
        campaign.trigger, since=campaign.started_at).aggregate(top=Max("id"))["top"] or 0)
    return dict(Enrollment.objects.filter(campaign=campaign).values_list("contact_id", "id"))


__all__ = ["sequence_run"]
