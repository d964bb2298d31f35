"""Pure rules of sequences and playbooks: reproducible splits, exit reasons, playbook dates."""
from datetime import datetime, time, timedelta

from django.utils.translation import gettext_lazy as _

# The holdout is the broadcasts' (one hash, in Python here and in SQL on the preview); enrolment imports it here.
from ..split import VARIANT_SALT, bucket, share_threshold
from ..split import is_held_out as is_held_out

# A playbook step falls due at this hour (workspace time) on its day; quiet hours still apply when sending.
PLAYBOOK_HOUR = time(10, 0)

# Touch kinds that do not count as "active again": reactions to our own mails must not end the
# sequence that caused them.
NOT_ACTIVITY = ("email_open", "email_click")


class ExitReason:
    REPLY = "reply"
    MEETING = "meeting"
    ACTIVE = "active"
    LEFT_SEGMENT = "left_segment"
    UNSUBSCRIBED = "unsubscribed"
    CONDITION_NOT_MET = "condition_not_met"
    HOLDOUT = "holdout"
    RENEWED = "renewed"
    CONTRACT_ENDED = "contract_ended"
    OPTION_CHOSEN = "option_chosen"


EXIT_LABELS = {
    ExitReason.REPLY: _("replied"),
    ExitReason.MEETING: _("booked a meeting"),
    ExitReason.ACTIVE: _("became active again"),
    ExitReason.LEFT_SEGMENT: _("left the segment"),
    ExitReason.UNSUBSCRIBED: _("unsubscribed or no longer reachable"),
    ExitReason.CONDITION_NOT_MET: _("the wait condition never held"),
    ExitReason.HOLDOUT: _("held out (control group)"),
    ExitReason.RENEWED: _("contract renewed"),
    ExitReason.CONTRACT_ENDED: _("contract cancelled"),
    ExitReason.OPTION_CHOSEN: _("chose a rescue option"),
}
# What a marketer can tick on a sequence, in the order the page shows them.
SEQUENCE_EXITS = (ExitReason.REPLY, ExitReason.MEETING, ExitReason.ACTIVE, ExitReason.LEFT_SEGMENT,
                  ExitReason.UNSUBSCRIBED)


def variant_for(campaign, step, contact_id):
    """"B" for the variant-B share of a step that has a variant B: each step splits on its own salt."""
    if step.template_b_id and (bucket(f"{VARIANT_SALT}{step.pk}", campaign.pk, contact_id)
                               < share_threshold(campaign.variant_b_percent)):
        return "B"
    return "A"


def step_wait(step):
    return timedelta(days=step.wait_days, hours=step.wait_hours)


def playbook_due_at(lapse_date, offset_days, tz):
    """When a playbook step falls due: its day relative to the lapse date, at PLAYBOOK_HOUR."""
    return datetime.combine(lapse_date + timedelta(days=offset_days), PLAYBOOK_HOUR, tzinfo=tz)


def first_reachable(steps, lapse_date, today):
    """The first step whose day is today or later (phases already past when enrolled are skipped), or None."""
    for step in steps:
        if lapse_date + timedelta(days=step.offset_days or 0) >= today:
            return step
    return None


def rescue_deadline(flow, lapse_date, notice_offset):
    """The last day an option can be chosen."""
    if flow.deadline_rule == "after_notice" and notice_offset is not None:
        return lapse_date + timedelta(days=notice_offset + flow.deadline_days)
    return lapse_date - timedelta(days=flow.deadline_days)
