"""Recurring newsletter pages: the form, the page (next runs, past occurrences, preflight) and Start.

Views validate and delegate to campaigns.recurring. Pause, resume and cancel
are the shared campaigns:pause/resume/cancel.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import role_required

from . import recurring, recurring_changes, selectors
from . import schedule as cron
from .forms_recurring import RecurringForm, StartedRecurringForm, recurring_fields
from .models import Campaign, CampaignKind, CampaignStatus, SkipReason
from .sending.preflight import campaign_preflight
from .views import CAMPAIGN_ROLES


@role_required(*CAMPAIGN_ROLES)
def recurring_edit(request, pk=None):
    campaign = get_object_or_404(Campaign, pk=pk, kind=CampaignKind.RECURRING) if pk else None
    if campaign is not None and campaign.status in recurring_changes.CHANGEABLE:
        return _started_edit(request, campaign)
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("campaigns:recurring_detail", campaign.pk)
    # The saved values as initial also on a POST: the topic list keeps the campaign's topic if it was retired.
    form = RecurringForm(request.POST or None, initial=RecurringForm.initial_for(campaign) if campaign else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = recurring.recurring_save(campaign=campaign, user=request.user, **recurring_fields(form))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved as a draft. Check below whom it would reach, then start it."))
            return redirect("campaigns:recurring_detail", campaign.pk)
    return render(request, "campaigns/recurring_form.html", {"nav": "campaigns", "form": form, "campaign": campaign})


def _started_edit(request, campaign):
    """A running or paused newsletter: the schedule, name and message change from now on (recurring_changes)."""
    form = StartedRecurringForm(request.POST or None, initial=RecurringForm.initial_for(campaign))
    if request.method == "POST" and form.is_valid():
        fields = recurring_fields(form)
        try:
            changed = recurring_changes.recurring_change(campaign=campaign, now=timezone.now(), user=request.user,
                                                         **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _changed_message(campaign, changed))
            return redirect("campaigns:recurring_detail", campaign.pk)
    return render(request, "campaigns/recurring_form.html",
                  {"nav": "campaigns", "form": form, "campaign": campaign, "started": True})


def _changed_message(campaign, changed):
    if not changed:
        return _("Nothing changed.")
    if "schedule" not in changed:
        return _("Saved. The changes apply from the next run.")
    if campaign.status == CampaignStatus.PAUSED:
        return _("Saved. The new schedule applies from now on; while the newsletter is paused, its runs are skipped.")
    return _("Saved. The new schedule applies from now on: the next run is at %(when)s (workspace time). Past runs "
             "are neither repeated nor made up.") % {
        "when": timezone.localtime(campaign.next_run_at).strftime("%Y-%m-%d %H:%M")}


@role_required(*CAMPAIGN_ROLES)
def recurring_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("segment", "sender", "topic", "created_by"), pk=pk,
                                 kind=CampaignKind.RECURRING)
    now = timezone.now()
    preflight = None
    if campaign.status == CampaignStatus.DRAFT:
        preflight = campaign_preflight(campaign, now=now)
    _by_status, by_reason = selectors.delivery_counts(campaign)
    return render(request, "campaigns/recurring_detail.html", {
        "nav": "campaigns", "campaign": campaign, "preflight": preflight,
        "steps": list(campaign.steps.select_related("template", "template_b").order_by("position")),
        "description": cron.describe(campaign.schedule),
        "upcoming": recurring.upcoming_runs(campaign, now=now),
        "occurrences": recurring.occurrence_counts(campaign),
        "by_reason": [(SkipReason(reason).label, n) for reason, n in sorted(by_reason.items())],
        "sender_missing": campaign.sender.missing(),
        "last_change": recurring_changes.last_change(campaign) if campaign.status != CampaignStatus.DRAFT else None,
    })


@require_POST
@role_required(*CAMPAIGN_ROLES)
def recurring_start(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk, kind=CampaignKind.RECURRING)
    try:
        recurring.recurring_start(campaign, now=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Started. The first issue goes out at %(when)s (workspace time).")
                         % {"when": timezone.localtime(campaign.next_run_at).strftime("%Y-%m-%d %H:%M")})
    return redirect("campaigns:recurring_detail", campaign.pk)
