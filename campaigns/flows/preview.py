"""What a sequence or playbook would do if started now: whom it would reach, who is left out of its mails and why.

Read-only and set-based: the exclusion breakdown is the broadcast preflight's
one aggregate (campaigns.sending.preflight.exclusion_counts: the claim-time
rules of campaigns.policy and the holdout hash of campaigns.split, which the
engine also uses), run over the rows that stand for the flow's audience:

- a sequence entered on joining a segment: the segment's members now. They
  do not enter (the snapshot at the start is the baseline; only later joiners
  enter), but they are the audience the joiners will resemble;
- a sequence entered on a touch: the contacts with such a touch
  (enrol.entry_touches) in the last WINDOW_DAYS days, a hint of the entry rate;
- a playbook: the contracts that would get a timeline now
  (enrol.playbook_contracts), counted per contract, and in one more aggregate
  how many timelines each phase would fire in the next WINDOW_DAYS days.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from contacts.models import Contact
from contacts.rules import workspace_today

from ..models import CampaignKind, SendingSettings
from ..policy import is_quiet, next_allowed_slot
from ..sending.preflight import Preflight, exclusion_counts, members_now
from ..split import HOLDOUT_SALT, bucket_expression, share_threshold
from .enrol import entry_touches, playbook_contracts

WINDOW_DAYS = 30
SEGMENT, TOUCH, PLAYBOOK = "segment", "touch", "playbook"


@dataclass(frozen=True)
class PhaseDue:
    step: object  # the CampaignStep
    timelines: int  # timelines (holdout left aside) whose day for this phase falls in the next WINDOW_DAYS days


@dataclass(frozen=True)
class FlowPreview:
    entry: str  # SEGMENT, TOUCH or PLAYBOOK
    audience: Preflight  # members are contacts (sequences) or contracts (playbooks); reach and reasons per row
    contacts: int = 0  # playbook: the distinct contacts behind the contracts
    phases: list = field(default_factory=list)  # playbook: [PhaseDue], in step order
    window_days: int = WINDOW_DAYS

    @property
    def note(self):
        if self.audience.waits_until is None:
            return ""
        when = localtime(self.audience.waits_until).strftime("%Y-%m-%d %H:%M")
        return _("Quiet hours now: a mail that falls due now would leave at %(when)s.") % {"when": when}


def flow_preview(campaign, steps, *, now):
    """The preview for a sequence's or playbook's page, or None while it lacks what it needs (the page says what)."""
    settings = SendingSettings.load()
    waits = next_allowed_slot(now, settings) if is_quiet(now, settings) else None
    if campaign.kind == CampaignKind.PLAYBOOK:
        return _playbook(campaign, steps, settings=settings, now=now, waits=waits) if steps else None
    trigger = campaign.trigger or {}
    if trigger.get("type") == "touch":
        touched = entry_touches(trigger, since=now - timedelta(days=WINDOW_DAYS)).filter(
            occurred_at__lte=now, contact=OuterRef("pk"))
        rows, entry = Contact.objects.filter(Exists(touched)), TOUCH
    elif campaign.segment_id is not None:
        rows, entry = members_now(campaign), SEGMENT
    else:
        return None
    audience, _extra = _audience(rows, campaign, settings=settings, now=now, waits=waits)
    return FlowPreview(entry=entry, audience=audience)


def _audience(rows, campaign, *, settings, now, waits, contact="", **extra):
    excluded, counts = exclusion_counts(rows, campaign=campaign, settings=settings, now=now, contact=contact, **extra)
    members = counts.pop("members")
    return Preflight(members=members, reach=members - sum(excluded.values()), by_reason=excluded,
                     waits_until=waits), counts


def _playbook(campaign, steps, *, settings, now, waits):
    today = workspace_today(now=now)
    contracts = playbook_contracts(campaign, steps, today=today)
    audience, extra = _audience(contracts, campaign, settings=settings, now=now, waits=waits, contact="contact__",
                                contacts=Count("contact", distinct=True))
    return FlowPreview(entry=PLAYBOOK, audience=audience, contacts=extra["contacts"],
                       phases=_phases_due(contracts, campaign, steps, today=today))


def _phases_due(contracts, campaign, steps, *, today):
    """How many timelines each phase would fire in the next WINDOW_DAYS days (one aggregate; held-out ones fire none).

    A phase fires on lapse date + its offset; enrolment skips phases already
    past, so a phase counts when that day is today or one of the days after.
    """
    if campaign.holdout_percent:
        contracts = contracts.annotate(_bucket=bucket_expression(HOLDOUT_SALT, campaign.pk, "contact_id")).exclude(
            _bucket__lt=share_threshold(campaign.holdout_percent))
    windows = {}
    for step in steps:
        offset = timedelta(days=step.offset_days or 0)
        windows[f"step_{step.pk}"] = Count("pk", filter=Q(expires_at__gte=today - offset,
                                                          expires_at__lt=today + timedelta(days=WINDOW_DAYS) - offset))
    counts = contracts.aggregate(**windows)
    return [PhaseDue(step=step, timelines=counts[f"step_{step.pk}"]) for step in steps]

