"""Builder pages for step sequences and expiry-rescue playbooks, their page, start, and call-task done.

Views validate and delegate: campaigns.flows.services saves and starts,
campaigns.flows.selectors reads. Pause, resume and cancel are the campaign
page's (campaigns.views) and work the same for every kind.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role, role_required

from .flows import selectors, services
from .flows.preview import flow_preview
from .flows.rules import EXIT_LABELS
from .forms_flows import (
    OWNER_ROLES,
    STEP_KINDS,
    OptionFormSet,
    PhaseFormSet,
    PlaybookForm,
    SequenceForm,
    StepFormSet,
    chosen_options,
    option_initial,
    phase_initial,
    step_initial,
)
from .models import CallTask, CallTaskStatus, Campaign, CampaignKind, CampaignStatus

FLOW_ROLES = (Role.ADMIN, Role.MARKETER)


def _editable(request, pk, kind):
    campaign = get_object_or_404(Campaign, pk=pk, kind=kind) if pk else None
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed. Pause or cancel it on its page instead."))
    return campaign


@role_required(*FLOW_ROLES)
def sequence_edit(request, pk=None):
    campaign = _editable(request, pk, CampaignKind.SEQUENCE)
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        return redirect("campaigns:flow_detail", campaign.pk)
    posted = request.POST if request.method == "POST" else None
    form = SequenceForm(posted, initial=SequenceForm.initial_for(campaign) if campaign else None)
    steps = StepFormSet(posted, prefix="steps", initial=step_initial(campaign))
    if posted is not None and form.is_valid() and steps.is_valid():
        chosen = [step.step_fields() for step in steps if step.cleaned_data.get("kind")]
        if not chosen:
            form.add_error(None, _("Add at least one step."))
        else:
            data = form.cleaned_data
            campaign = services.sequence_save(
                campaign=campaign, name=data["name"], sender=data["sender"], segment=data["segment"],
                topic=data["topic"], trigger=form.trigger(), exit_on=data["exit_on"],
                allow_reentry=data["allow_reentry"], holdout_percent=data["holdout_percent"],
                variant_b_percent=data["variant_b_percent"], steps=chosen, user=request.user)
            messages.success(request, _("Saved. Check the steps below, then start it."))
            return redirect("campaigns:flow_detail", campaign.pk)
    return render(request, "campaigns/flows/sequence_form.html",
                  {"nav": "campaigns", "form": form, "steps": steps, "campaign": campaign})


@role_required(*FLOW_ROLES)
def playbook_edit(request, pk=None):
    campaign = _editable(request, pk, CampaignKind.PLAYBOOK)
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        return redirect("campaigns:flow_detail", campaign.pk)
    posted = request.POST if request.method == "POST" else None
    form = PlaybookForm(posted, initial=PlaybookForm.initial_for(campaign) if campaign else None)
    phases = PhaseFormSet(posted, prefix="phases", initial=phase_initial(campaign))
    options = OptionFormSet(posted, prefix="options", initial=option_initial(campaign))
    if posted is not None and form.is_valid() and phases.is_valid() and options.is_valid():
        chosen = [phase.step_fields() for phase in phases if phase.cleaned_data.get("enabled")]
        try:
            offered = chosen_options(options)
            if not chosen:
                raise ValidationError(_("Use at least one phase."))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            data = form.cleaned_data
            campaign = services.playbook_save(
                campaign=campaign, name=data["name"], sender=data["sender"], segment=data["segment"],
                topic=data["topic"], all_active_contracts=data["all_active_contracts"], lapse_text=data["lapse_text"],
                deadline_rule=data["deadline_rule"], deadline_days=data["deadline_days"],
                holdout_percent=data["holdout_percent"], phases=chosen, options=offered, user=request.user)
            messages.success(request, _("Saved. Check the phases below, then start it."))
            return redirect("campaigns:flow_detail", campaign.pk)
    return render(request, "campaigns/flows/playbook_form.html",
                  {"nav": "campaigns", "form": form, "phases": phases, "options": options, "campaign": campaign})


@role_required(*FLOW_ROLES)
def flow_detail(request, pk):
    campaign = get_object_or_404(
        Campaign.objects.select_related("segment", "sender", "topic", "flow"),
        pk=pk, kind__in=(CampaignKind.SEQUENCE, CampaignKind.PLAYBOOK))
    steps = list(campaign.steps.select_related("template", "template_b").order_by("position"))
    now = timezone.now()
    summary = selectors.enrollment_summary(campaign, now=now)
    results = selectors.step_results(campaign)
    kinds, roles = dict(STEP_KINDS), dict(OWNER_ROLES)
    for step in steps:
        step.kind_label, step.role_label = kinds.get(step.kind, step.kind), roles.get(step.owner_role, step.owner_role)
        step.result = results.get(step.pk, {})
        step.waiting, step.due = summary["at_step"].get(step.position, 0), summary["due"].get(step.position, 0)
    options = list(campaign.rescue_options.order_by("position"))
    counts = selectors.option_counts(campaign)
    for option in options:
        option.chosen = counts.get(option.pk, 0)
    return render(request, "campaigns/flows/flow_detail.html", {
        "nav": "campaigns", "campaign": campaign, "steps": steps, "summary": summary, "options": options,
        "problems": services.flow_start_problems(campaign) if campaign.status == CampaignStatus.DRAFT else [],
        "exit_labels": [EXIT_LABELS[reason] for reason in campaign.exit_on or [] if reason in EXIT_LABELS],
        "timelines": selectors.upcoming_timelines(campaign) if campaign.kind == CampaignKind.PLAYBOOK else [],
        "waiting": selectors.entries_waiting(campaign, now=now),
        "preview": flow_preview(campaign, steps, now=timezone.now()) if _previewed(campaign) else None,
    })


def _previewed(campaign):
    """A draft shows what a start would do; a running or paused sequence keeps showing who it takes in (a running
    playbook has placed its timelines, listed on the page instead)."""
    if campaign.status == CampaignStatus.DRAFT:
        return True
    return campaign.kind == CampaignKind.SEQUENCE and campaign.status in (CampaignStatus.RUNNING,
                                                                         CampaignStatus.PAUSED)


@require_POST
@role_required(*FLOW_ROLES)
def flow_start(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk, kind__in=(CampaignKind.SEQUENCE, CampaignKind.PLAYBOOK))
    try:
        services.flow_start(campaign=campaign, now=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Started. Contacts enter from now on; the first steps run within a minute."))
    return redirect("campaigns:flow_detail", campaign.pk)


@require_POST
@role_required(Role.ADMIN, Role.MARKETER, Role.INSIDE_SALES)
def call_task_done(request, pk):
    """Close a call task: the assignee, or a marketer or admin on their behalf."""
    tasks = CallTask.objects.filter(pk=pk, status=CallTaskStatus.OPEN)
    if not has_role(request.user, Role.ADMIN, Role.MARKETER):
        tasks = tasks.filter(assigned_to=request.user)
    tasks.update(status=CallTaskStatus.DONE, done_at=timezone.now(), outcome=request.POST.get("outcome", "")[:50])
    return redirect("scoring:call_list")
