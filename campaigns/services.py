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
    return single_email_campaign_save(
        campaign=campaign, kind=CampaignKind.BROADCAST, user=user, template=template, template_b=template_b,
        fields={"name": name, "segment": segment, "sender": sender, "topic": topic, "scheduled_at": scheduled_at,
                "holdout_percent": holdout_percent, "variant_b_percent": variant_b_percent if template_b else 0})


def single_email_campaign_save(*, campaign, kind, user, template, template_b, fields):
    """Create or change a draft campaign of `kind` (`fields` set on it) with its one email step (position 1).

    Broadcasts and recurring newsletters share this; a campaign past its draft is refused.
    """
    if campaign is not None and campaign.status not in EDITABLE:
        raise ValidationError(_("Only a draft can be changed; this campaign is %(status)s.")
                              % {"status": campaign.get_status_display()})
    with transaction.atomic():
        campaign = campaign or Campaign(kind=kind, created_by=user)
        for name, value in fields.items():
            setattr(campaign, name, value)
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
