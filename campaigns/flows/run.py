"""One engine pass over every running sequence and playbook: exits, then enrolment, then due steps.

Exits go first so nobody who replied a minute ago gets the next step.
Queries per pass grow with the number of campaigns and steps and with
contacts / BATCH, never with one query per contact.
"""
from ..models import Campaign, CampaignKind, CampaignStatus
from .advance import campaign_advance
from .enrol import playbook_enrol, sequence_enrol
from .exits import campaign_exits


def running_flows():
    return list(Campaign.objects.filter(status=CampaignStatus.RUNNING, started_at__isnull=False,
                                        kind__in=(CampaignKind.SEQUENCE, CampaignKind.PLAYBOOK))
                .select_related("flow").prefetch_related("steps").order_by("id"))


def flows_run(*, now):
    """Returns a summary {campaign id: {"exited": {...}, "enrolled": n, "moved": n}} for logs and tests."""
    summary = {}
    for campaign in running_flows():
        steps = sorted(campaign.steps.all(), key=lambda step: step.position)
        if not steps:
            continue
        exited = campaign_exits(campaign)
        if campaign.kind == CampaignKind.PLAYBOOK:
            enrolled = playbook_enrol(campaign, steps, now=now)
        else:
            enrolled = sequence_enrol(campaign, steps, now=now)
        summary[campaign.pk] = {"exited": exited, "enrolled": enrolled,
                                "moved": campaign_advance(campaign, steps, now=now)}
    return summary
