"""Hot-lead alerts from the demo's touches, as the active triggers would have fired them, and what reps did.

Candidates per trigger (alerts.models.TriggerKind): the broadcast's dormant
recipients who came back (dormant_return), pricing views (page_view, the
trigger's URL fragments), replies and forms other than rescue choices
(reply_or_form) in the last 45 days, and rescue choices. One alert per
trigger and contact, routed as alerts.routing does (the owner, else the
reps in turn), its context built by alerts.context. Reps claim them after
their own typical delay (next office morning for evening alerts), and log
outcomes the way alert_outcome_log records them: a call touch, and for a
booked meeting a Reactivation (and the meeting itself a few days later).
Recent alerts are still open or being worked.
"""
import math
from collections import defaultdict
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.roles import Role
from alerts.context import contexts_build
from alerts.models import Alert, AlertGate, AlertStatus, Outcome, Reactivation, RepDuty, Trigger, TriggerKind
from alerts.rules import PAGE_KINDS, REPLY_KINDS
from alerts.services import OUTCOME_TEXT
from campaigns.rescue import CHOICE_TOUCH_PREFIX
from contacts.models import Contact, TouchEvent, TouchKind, TouchSource
from contacts.rules import workspace_tz
from dormancy.models import DormancyRule

from .common import between, chance, office_hours, pick, touch, touches_store

WINDOW = timedelta(days=45)
# Per demo rep: median minutes from firing to claim, and how often an evening or weekend alert waits for the next
# office morning (others: DEFAULT_HABIT).
CLAIM_HABITS = {"rep": (9, 0.0), "rep.suzuki": (28, 0.15), "rep.tanaka": (80, 0.3)}
DEFAULT_HABIT = (35, 0.2)
OUTCOMES = [(Outcome.REACHED, 30), (Outcome.NO_ANSWER, 25), (Outcome.MEETING_BOOKED, 18),
            (Outcome.NOT_INTERESTED, 15), (Outcome.WRONG_PERSON, 4)]
RESCUE_OUTCOMES = [(Outcome.REACHED, 6), (Outcome.MEETING_BOOKED, 2), (Outcome.NO_ANSWER, 2)]
MEETING_NOTES = ["オンライン商談（再提案）", "訪問商談（再提案）"]


def alerts_run(*, comebacks, choices, seed, now, stats):
    """Store the demo alerts and what came of them; `comebacks` {contact_id: TouchEvent}, `choices` from rescue."""
    triggers = list(Trigger.objects.filter(is_active=True).order_by("pk"))
    candidates = []  # (trigger, contact_id, at, why, touch dict or None)
    for trigger in triggers:
        candidates += _candidates(trigger, comebacks=comebacks, choices=choices, now=now)
    if not candidates:
        return
    reps = _reps()
    owners = dict(Contact.objects.filter(pk__in={c[1] for c in candidates}, owner__is_active=True)
                  .values_list("pk", "owner_id"))
    previous = _previous_touches({(c[1], c[2]) for c in candidates})
    alerts, follow_ups = [], []
    candidates.sort(key=lambda c: (c[2], c[0].pk, c[1]))
    for turn, (trigger, contact_id, at, why, made) in enumerate(candidates):
        key = f"{trigger.kind}:{contact_id}:{at.isoformat()}"
        fired = (at + between(seed, "fire", key, timedelta(seconds=2), timedelta(seconds=40))).replace(microsecond=0)
        if fired > now:
            continue
        assignee = owners.get(contact_id)
        routed = "owner" if assignee else ""
        if assignee is None and reps:
            assignee, routed = reps[turn % len(reps)].pk, "round_robin"
        alert = Alert(trigger=trigger, contact_id=contact_id, fired_at=fired, assignee_id=assignee, routed_by=routed)
        alert.demo_touches = [] if made is None else [{**made, "previous_touch_at": previous.get((contact_id, at))}]
        alert.demo_why, alert.demo_key = why, key
        alerts.append(alert)
    newest = {}
    for alert in alerts:  # each rep's newest alert is still waiting in their inbox
        newest[alert.assignee_id] = alert
    for alert in alerts:
        if alert is not newest[alert.assignee_id]:
            follow_ups += _work(alert, alert.demo_key, reps, seed=seed, now=now)
    _contexts_add(alerts)
    Alert.objects.bulk_create(alerts, batch_size=500)
    _gates_write(alerts)
    _outcomes_record(alerts, follow_ups, seed=seed, now=now, stats=stats)
    _duty_ensure(reps)
    for alert in alerts:
        stats.add(f"alerts_{alert.status}", 1)


def _candidates(trigger, *, comebacks, choices, now):
    since = now - WINDOW
    if trigger.kind == TriggerKind.DORMANT_RETURN:
        rule = (DormancyRule.objects.filter(pk=trigger.dormancy_rule_id).first() if trigger.dormancy_rule_id
                else DormancyRule.objects.filter(slug="default").first())
        kinds = set(trigger.touch_kinds or [])
        return [(trigger, cid, event.occurred_at, {"kind": trigger.kind, "rules": [rule.name] if rule else [],
                                                   "touch": event.kind, "url": event.url[:500],
                                                   "at": event.occurred_at.isoformat()}, _touch_dict(event))
                for cid, event in sorted(comebacks.items()) if event.kind in kinds and event.occurred_at <= now]
    if trigger.kind == TriggerKind.PAGE_VIEW:
        patterns = trigger.patterns()
        if not patterns:
            return []
        matching = Q()
        for pattern in patterns:
            matching |= Q(url__icontains=pattern)
        events = _latest_per_contact(TouchEvent.objects.filter(matching, kind__in=PAGE_KINDS, flagged_as_bot=False,
                                                              occurred_at__gte=since, occurred_at__lte=now))
        return [(trigger, e.contact_id, e.occurred_at, {"kind": trigger.kind, "url": e.url[:500],
                                                        "at": e.occurred_at.isoformat()}, _touch_dict(e))
                for e in events]
    if trigger.kind == TriggerKind.REPLY_OR_FORM:
        events = _latest_per_contact(TouchEvent.objects.filter(kind__in=REPLY_KINDS, flagged_as_bot=False,
                                                              occurred_at__gte=since, occurred_at__lte=now)
                                    .exclude(kind=TouchKind.FORM_SUBMIT, detail__startswith=CHOICE_TOUCH_PREFIX))
        return [(trigger, e.contact_id, e.occurred_at, {"kind": trigger.kind, "touch": e.kind,
                                                        "detail": e.detail[:300], "at": e.occurred_at.isoformat()},
                 _touch_dict(e)) for e in events]
    if trigger.kind == TriggerKind.RESCUE_CHOICE:
        return [(trigger, c["contact_id"], c["at"], {"kind": trigger.kind, "option": c["option"],
                                                     "contract": c["contract"], "expires_at": c["expires_at"],
                                                     "at": c["at"].isoformat()}, None) for c in choices]
    return []


def _latest_per_contact(events):
    """Each contact's latest matching touch (the alert an older one fired is long done; the window is 45 days)."""
    latest = {}
    for event in events.order_by("-occurred_at", "-id").only("id", "contact_id", "kind", "url", "detail",
                                                              "occurred_at"):
        latest.setdefault(event.contact_id, event)
    return list(latest.values())


def _touch_dict(event):
    return {"contact_id": event.contact_id, "kind": event.kind, "url": event.url or "", "detail": event.detail or "",
            "occurred_at": event.occurred_at.isoformat(), "source": event.source, "flagged_as_bot": False}


def _previous_touches(pairs):
    """{(contact, at): the contact's last counted touch before `at`, ISO}: one query over those contacts' touches."""
    if not pairs:
        return {}
    times = defaultdict(list)
    for contact_id, at in (TouchEvent.objects.filter(contact_id__in={cid for cid, _at in pairs}, flagged_as_bot=False)
                           .values_list("contact_id", "occurred_at")):
        times[contact_id].append(at)
    found = {}
    for contact_id, at in pairs:
        before = [moment for moment in times[contact_id] if moment < at - timedelta(seconds=1)]
        found[(contact_id, at)] = max(before).isoformat() if before else None
    return found


def _reps():
    return list(get_user_model().objects.filter(is_active=True, groups__name=Role.INSIDE_SALES).order_by("id"))


def _claimed_at(fired, username, seed, key):
    median, waits = CLAIM_HABITS.get(username, DEFAULT_HABIT)
    claimed = fired + timedelta(minutes=median * math.exp(1.6 * (chance(seed, "claim", key) - 0.5)))
    if _off_hours(fired) and chance(seed, "off-hours", key) < waits:
        claimed = office_hours(claimed, seed, key)
    return claimed


def _off_hours(moment):
    local = moment.astimezone(workspace_tz())
    return local.weekday() >= 5 or not 8 <= local.hour < 21


def _work(alert, key, reps, *, seed, now):
    """Claim and finish the alert as its rep would have; returns [(alert, outcome touches to add)]."""
    names = {rep.pk: rep.username for rep in reps}
    if alert.assignee_id is None:
        return []
    age = now - alert.fired_at
    if age < timedelta(days=2) and chance(seed, "still-open", key) < 0.5:
        return []
    claimed = _claimed_at(alert.fired_at, names.get(alert.assignee_id, ""), seed, key)
    if claimed > now:
        return []
    alert.status, alert.claimed_at = AlertStatus.CLAIMED, claimed
    if age < timedelta(days=2) and chance(seed, "snooze", key) < 0.15:
        alert.status, alert.snoozed_until = AlertStatus.SNOOZED, now + between(seed, "snooze-until", key,
                                                                                timedelta(hours=4), timedelta(days=2))
        return []
    done = claimed + between(seed, "call", key, timedelta(minutes=4), timedelta(minutes=45))
    if done > now or (age < timedelta(days=2) and chance(seed, "working", key) < 0.4):
        return []
    weights = RESCUE_OUTCOMES if alert.trigger.kind == TriggerKind.RESCUE_CHOICE else OUTCOMES
    alert.status, alert.done_at, alert.outcome = AlertStatus.DONE, done, pick(seed, "outcome", key, weights)
    return [alert]


def _contexts_add(alerts):
    """alerts.context.contexts_build once per trigger (a handful of queries each, whatever the number of alerts)."""
    by_trigger = defaultdict(list)
    for alert in alerts:
        by_trigger[alert.trigger_id].append(alert)
    for group in by_trigger.values():
        built = contexts_build([a.contact_id for a in group],
                               touches_by_contact={a.contact_id: a.demo_touches for a in group},
                               reasons={a.contact_id: a.demo_why for a in group})
        for alert in group:
            alert.context = built.get(alert.contact_id, {})


def _gates_write(alerts):
    """The dedup gate of each (trigger, contact): its last firing and quiet period, as evaluate.gate_pass keeps it."""
    latest = {}
    for alert in alerts:
        pair = (alert.trigger_id, alert.contact_id)
        if pair not in latest or alert.fired_at > latest[pair].fired_at:
            latest[pair] = alert
    AlertGate.objects.bulk_create([
        AlertGate(trigger_id=t, contact_id=c, fired_at=a.fired_at,
                  quiet_until=a.fired_at + timedelta(hours=a.trigger.dedup_hours))
        for (t, c), a in latest.items()], ignore_conflicts=True)


def _outcomes_record(alerts, done, *, seed, now, stats):
    """What alert_outcome_log records for each finished call: a call touch; a booked meeting is a Reactivation."""
    ids = {(a.trigger_id, a.contact_id, a.fired_at): a.pk for a in Alert.objects.filter(
        pk__in=[a.pk for a in alerts if a.pk] or [0]).only("id", "trigger_id", "contact_id", "fired_at")}
    touches, reactivations = [], []
    for alert in done:
        alert_id = alert.pk or ids.get((alert.trigger_id, alert.contact_id, alert.fired_at))
        key = f"outcome:{alert.trigger_id}:{alert.contact_id}:{alert.fired_at.isoformat()}"
        at = alert.done_at.replace(microsecond=0)
        touches.append(touch(alert.contact_id, TouchKind.CALL, at, source=TouchSource.MANUAL,
                             detail=f"call outcome: {OUTCOME_TEXT[alert.outcome]}"))
        if alert.outcome == Outcome.MEETING_BOOKED:
            reactivations.append(Reactivation(contact_id=alert.contact_id, alert_id=alert_id, by_id=alert.assignee_id,
                                              at=alert.done_at))
            met = office_hours(at + between(seed, "met", key, timedelta(days=2), timedelta(days=9)), seed, key)
            touches.append(touch(alert.contact_id, TouchKind.MEETING, met, source=TouchSource.MANUAL,
                                 detail=pick(seed, "met-note", key, [(note, 1) for note in MEETING_NOTES])))
    Reactivation.objects.bulk_create(reactivations, ignore_conflicts=True)
    touches_store(touches, now=now, stats=stats)
    stats.add("reactivations", len(reactivations))


def _duty_ensure(reps):
    """The demo reps take round-robin alerts (on duty) unless they have said otherwise."""
    RepDuty.objects.bulk_create([RepDuty(user=rep, on_duty=True) for rep in reps], ignore_conflicts=True)
