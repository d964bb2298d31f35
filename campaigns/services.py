"""State changes on campaigns made from their pages: create and edit a broadcast, pause, resume, cancel.

Starting a campaign (materialising its deliveries) is campaigns.sending's job.
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Campaign, CampaignKind, CampaignStatus, CampaignStep, StepKind

EDITABLE = (CampaignStatus.DRAFT,)


def broadcast_save(*, campaign=None, name, segment, sender, template, template_b, variant_b_percent,
                   holdout_percent, scheduled_at, topic=None, user=None):
    """Create or change a draft broadcast and its single email step; `topic` None is general marketing mail."""
    if campaign is not None and campaign.status not in EDITABLE:
        raise ValidationError(_("Only a draft can be changed; this campaign is %(status)s.")
                              % {"status": campaign.get_status_display()})
    with transaction.atomic():
        campaign = campaign or Campaign(kind=CampaignKind.BROADCAST, created_by=user)
        campaign.name, campaign.segment, campaign.sender, campaign.topic = name, segment, sender, topic
        campaign.scheduled_at, campaign.holdout_percent = scheduled_at, holdout_percent
        campaign.variant_b_percent = variant_b_percent if template_b else 0
        campaign.save()
        CampaignStep.objects.update_or_create(
            campaign=campaign, position=1,
            defaults={"kind": StepKind.EMAIL, "template": template, "template_b": template_b},
        )
    return campaign


_MOVES = {
    "pause": ({CampaignStatus.SCHEDULED, CampaignStatus.RUNNING}, CampaignStatus.PAUSED),
    "resume": ({CampaignStatus.PAUSED}, CampaignStatus.RUNNING),
    "cancel": ({CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED},
               CampaignStatus.CANCELLED),
}


def campaign_move(*, campaign, action):
    """Pause, resume or cancel with one conditional UPDATE (a concurrent change wins cleanly).

    Paused and cancelled campaigns send nothing more: the sender skips queued
    deliveries of campaigns that are not running.
    """
    allowed, target = _MOVES[action]
    moved = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(status=target)
    if not moved:
        raise ValidationError(_("This campaign cannot be changed that way now (it is %(status)s).")
                              % {"status": campaign.get_status_display()})
    campaign.refresh_from_db()
    return campaign
