"""Campaign pages: the list, a broadcast's form, and its page (what would happen, then what happened).

Views validate and delegate: campaigns.services changes campaigns,
campaigns.sending starts them (materialises deliveries) and says beforehand
whom they would reach.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required

from . import selectors, services
from .forms import BroadcastForm, broadcast_fields
from .models import Campaign, CampaignKind, CampaignStatus, SkipReason
from .sending.materialize import campaign_start as campaign_start_service
from .sending.preflight import campaign_preflight

CAMPAIGN_ROLES = (Role.ADMIN, Role.MARKETER)


@role_required(*CAMPAIGN_ROLES)
def campaign_list(request):
    return render(request, "campaigns/campaign_list.html",
                  {"nav": "campaigns", "campaigns": selectors.campaign_list()})


@role_required(*CAMPAIGN_ROLES)
def broadcast_edit(request, pk=None):
    campaign = get_object_or_404(Campaign, pk=pk, kind=CampaignKind.BROADCAST) if pk else None
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("campaigns:detail", campaign.pk)
    # The saved values as initial also on a POST: the topic list keeps the campaign's topic if it was retired.
    form = BroadcastForm(request.POST or None, initial=BroadcastForm.initial_for(campaign) if campaign else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.broadcast_save(campaign=campaign, user=request.user, **broadcast_fields(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved. Check below whom it would reach, then start it."))
            return redirect("campaigns:detail", campaign.pk)
    return render(request, "campaigns/broadcast_form.html",
                  {"nav": "campaigns", "form": form, "campaign": campaign})


@role_required(*CAMPAIGN_ROLES)
def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("segment", "sender", "topic", "created_by"), pk=pk)
    if campaign.kind in (CampaignKind.SEQUENCE, CampaignKind.PLAYBOOK):
        return redirect("campaigns:flow_detail", campaign.pk)  # their own page: steps, timeline, exits
    if campaign.kind == CampaignKind.RECURRING:
        return redirect("campaigns:recurring_detail", campaign.pk)  # next runs and past occurrences
    steps = list(campaign.steps.select_related("template", "template_b").order_by("position"))
    by_status, by_reason = selectors.delivery_counts(campaign)
    preflight = None
    if campaign.status == CampaignStatus.DRAFT:
        preflight = campaign_preflight(campaign, now=timezone.now())
    return render(request, "campaigns/campaign_detail.html", {
        "nav": "campaigns", "campaign": campaign, "steps": steps, "by_status": by_status,
        "by_reason": [(SkipReason(reason).label, n) for reason, n in sorted(by_reason.items())],
        "preflight": preflight, "sender_missing": campaign.sender.missing(),
    })


@require_POST
@role_required(*CAMPAIGN_ROLES)
def campaign_start(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        campaign_start_service(campaign, now=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Started. Messages go out as they fall due, outside quiet hours."))
    return redirect("campaigns:detail", campaign.pk)


@require_POST
@role_required(*CAMPAIGN_ROLES)
def campaign_move(request, pk, action):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        services.campaign_move(campaign=campaign, action=action)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("campaigns:detail", campaign.pk)
