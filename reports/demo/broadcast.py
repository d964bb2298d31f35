"""The finished reactivation broadcast: sent about 60 days ago to the default rule's dormant contacts.

The audience is the rule's members as they were on the send day (dormancy
replays the events up to that day); the holdout and the A/B variant come
from campaigns.split's hash, as the INSERT … SELECT that starts a
broadcast computes them. Recipients react (reactions.Rates); the control
group and the unmailed only make the visits anyone makes on their own, so
the campaign report shows a lift.
"""
from datetime import timedelta

from campaigns.models import DeliveryStatus, SendingSettings
from campaigns.policy import next_allowed_slot
from campaigns.split import HOLDOUT_SALT, VARIANT_SALT, bucket, share_threshold
from contacts.rules import workspace_today
from dormancy.models import DormancyRule
from dormancy.selectors import dormant_queryset_as_of

from .common import chance, local_moment, touches_store, weekday_on_or_before
from .mail import MailPlan, contacts_facts, suppressions_add, unsubscribes_record
from .reactions import Rates, mail_reactions, natural_visits
from .setup import campaign_times_set

SENT_DAYS_AGO = 60
RATES = Rates(open=0.34, open_b=0.43, click=0.32, visit=0.05, reply=0.035, download=0.02)
UNSUBSCRIBE_RATE, LATE_BOUNCE_RATE = 0.01, 0.004


def broadcast_run(campaign, *, seed, now, stats):
    """Deliveries, touches, unsubscribes and bounces of the demo broadcast; returns {contact_id: first comeback}."""
    today = workspace_today(now=now)
    send_day = weekday_on_or_before(today - timedelta(days=SENT_DAYS_AGO))
    due = next_allowed_slot(local_moment(send_day, 10), SendingSettings.load())
    rule = DormancyRule.objects.filter(slug="default").first()
    if rule is None:
        return {}
    audience = list(dormant_queryset_as_of(rule, as_of=send_day, today=today).order_by("email")
                    .values_list("id", flat=True))
    facts = contacts_facts(audience)
    step = campaign.steps.get(position=1)
    holdout, variant_b = share_threshold(campaign.holdout_percent), share_threshold(campaign.variant_b_percent)
    plan, assigned = MailPlan(seed=seed, now=now), []
    for position, contact_id in enumerate(audience):
        contact = facts[contact_id]
        variant = "B" if bucket(VARIANT_SALT, campaign.pk, contact_id) < variant_b else "A"
        assigned.append({"contact_id": contact_id, "email": contact["email"]})
        if bucket(HOLDOUT_SALT, campaign.pk, contact_id) < holdout:
            plan.holdout(step=step, contact=contact, due=due, variant=variant)
        else:
            plan.mail(step=step, contact=contact, due=due, key=f"broadcast:{contact['email']}", variant=variant,
                      position=position)
    rows = plan.write(stats)
    sent = [{"contact_id": row.contact_id, "email": row.to_email, "sent_at": row.sent_at, "variant": row.variant}
            for row in rows if row.status == DeliveryStatus.SENT]
    touches, comebacks = mail_reactions(sent, rates=RATES, campaign_name=campaign.name, seed=seed, purpose="broadcast")
    touches += natural_visits(assigned, since=due, rate=0.06, seed=seed, purpose="broadcast")
    touches_store(touches, now=now, stats=stats)
    _after_send(sent, seed=seed, stats=stats)
    last = max((row.sent_at for row in rows if row.sent_at), default=due)
    campaign_times_set(campaign, created=due - timedelta(days=2, hours=3), started=due - timedelta(hours=1),
                       finished=last, scheduled_at=due)
    stats.add("broadcast_audience", len(audience))
    return comebacks


def _after_send(sent, *, seed, stats):
    """A few recipients unsubscribe from the mail's link; a provider reports a few late hard bounces."""
    unsubscribed, bounced = {}, {}
    for mail in sent:
        key = f"broadcast:{mail['email']}"
        roll = chance(seed, "after-send", key)
        if roll < UNSUBSCRIBE_RATE:
            unsubscribed[mail["email"]] = mail["sent_at"] + timedelta(hours=2 + 40 * chance(seed, "unsub-at", key))
        elif roll < UNSUBSCRIBE_RATE + LATE_BOUNCE_RATE:
            bounced[mail["email"]] = mail["sent_at"] + timedelta(minutes=5 + 50 * chance(seed, "bounce-at", key))
    stats.add("unsubscribed", unsubscribes_record(unsubscribed))
    stats.add("late_bounces", suppressions_add(bounced, reason="bounced", detail="provider bounce (demo)"))
