"""Saving and starting sequences and playbooks (drafts only; a running flow is paused, not edited)."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignStep,
    FlowSettings,
    RescueOption,
    StepKind,
)

# Playbook phases and their default day relative to the lapse date.
DEFAULT_PHASES = (("pre_notice", -60), ("notice", -30), ("final", -7), ("after_lapse", 7))


def _draft(campaign, kind, user):
    if campaign is None:
        return Campaign(kind=kind, created_by=user)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("Only a draft can be changed; this campaign is %(status)s.")
                              % {"status": campaign.get_status_display()})
    return campaign


def _steps_replace(campaign, steps):
    campaign.steps.all().delete()
    CampaignStep.objects.bulk_create([CampaignStep(campaign=campaign, position=index, **step)
                                      for index, step in enumerate(steps, 1)])


def sequence_save(*, campaign=None, name, sender, segment, trigger, exit_on, allow_reentry, holdout_percent,
                  variant_b_percent, steps, topic=None, user=None):
    """Create or change a draft sequence; `steps` are CampaignStep field dicts in order."""
    with transaction.atomic():
        campaign = _draft(campaign, CampaignKind.SEQUENCE, user)
        campaign.name, campaign.sender, campaign.segment, campaign.trigger = name, sender, segment, trigger
        campaign.topic = topic
        campaign.exit_on, campaign.allow_reentry = list(exit_on), allow_reentry
        campaign.holdout_percent, campaign.variant_b_percent = holdout_percent, variant_b_percent
        campaign.save()
        FlowSettings.objects.get_or_create(campaign=campaign)
        _steps_replace(campaign, steps)
    return campaign


def playbook_save(*, campaign=None, name, sender, segment, all_active_contracts, lapse_text, deadline_rule,
                  deadline_days, holdout_percent, phases, options, topic=None, user=None):
    """Create or change a draft playbook: its phases (sorted by day) and its 2–3 rescue options."""
    with transaction.atomic():
        campaign = _draft(campaign, CampaignKind.PLAYBOOK, user)
        campaign.name, campaign.sender, campaign.segment, campaign.topic = name, sender, segment, topic
        campaign.holdout_percent = holdout_percent
        campaign.save()
        FlowSettings.objects.update_or_create(campaign=campaign, defaults={
            "all_active_contracts": all_active_contracts, "lapse_text": lapse_text,
            "deadline_rule": deadline_rule, "deadline_days": deadline_days})
        _steps_replace(campaign, sorted(phases, key=lambda phase: phase["offset_days"]))
        campaign.rescue_options.all().delete()
        RescueOption.objects.bulk_create([RescueOption(campaign=campaign, position=index, **option)
                                          for index, option in enumerate(options, 1)])
    return campaign


def flow_start_problems(campaign):
    """Why a sequence or playbook cannot start (empty when it can)."""
    problems = []
    missing = campaign.sender.missing()
    if missing:
        problems.append(_("The sender profile lacks: %(fields)s.") % {"fields": ", ".join(missing)})
    steps = list(campaign.steps.all())
    if not steps:
        problems.append(_("Add at least one step."))
    if any(step.kind == StepKind.EMAIL and step.template_id is None for step in steps):
        problems.append(_("Every email step needs a template."))
    flow = FlowSettings.objects.filter(campaign=campaign).first()
    if campaign.kind == CampaignKind.SEQUENCE:
        if (campaign.trigger or {}).get("type") != "touch" and campaign.segment_id is None:
            problems.append(_("Choose the segment whose new members enter the sequence."))
    elif campaign.segment_id is None and not (flow and flow.all_active_contracts):
        problems.append(_("Choose a segment, or all active contracts."))
    if campaign.kind == CampaignKind.PLAYBOOK and not 2 <= campaign.rescue_options.count() <= 3:
        problems.append(_("Offer two or three rescue options."))
    return problems


def flow_start(*, campaign, now):
    """Draft → running with one conditional UPDATE; enrolment counts what happens from `now` on."""
    if campaign.kind not in (CampaignKind.SEQUENCE, CampaignKind.PLAYBOOK):
        raise ValidationError(_("Only sequences and playbooks are started here."))
    problems = flow_start_problems(campaign)
    if problems:
        raise ValidationError(problems)
    FlowSettings.objects.get_or_create(campaign=campaign)
    started = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.DRAFT).update(
        status=CampaignStatus.RUNNING, started_at=now, updated_at=now)
    if not started:
        raise ValidationError(_("This campaign is %(status)s.") % {"status": campaign.get_status_display()})
    campaign.refresh_from_db()
    return campaign
