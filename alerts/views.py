"""Alert pages: the rep's live inbox and its actions, the team view, triggers and webhooks.

Views validate and delegate: queries in selectors, changes in services.
"""
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required

from . import notify, routing, selectors, services
from .describe import context_lines, visit_lines, why_text
from .forms import OutcomeForm, SnoozeForm, TriggerForm, WebhookForm
from .models import Alert, AlertStatus, Notification, Trigger, WebhookEndpoint

ALL_ROLES = (Role.ADMIN, Role.MARKETER, Role.INSIDE_SALES)
MANAGER_ROLES = (Role.ADMIN, Role.MARKETER)
SNOOZE = {"30m": timedelta(minutes=30), "2h": timedelta(hours=2), "1d": timedelta(days=1)}
# Colours on the team page: an open alert older than these many minutes is late / very late.
SLA_WARN_MINUTES, SLA_LATE_MINUTES = 15, 60


def _decorate(alerts):
    for alert in alerts:
        alert.why = why_text(alert.context.get("why", {}))
        alert.lines = context_lines(alert.context)
        alert.visit = visit_lines(alert.context)
    return alerts


def _inbox_context(request):
    now = timezone.now()
    # The version first, then the rows: an alert committed in between makes the rows newer than the version, so
    # the next poll fetches again. The other order could pair an old list with a new version, and the page would
    # then wait for some later change to show that alert.
    version = selectors.inbox_version(request.user, now=now)
    rows = selectors.inbox(request.user, now=now)
    _decorate(rows["active"])
    _decorate(rows["done"])
    return {"rows": rows, "version": version, "outcome_form": OutcomeForm(), "snooze_form": SnoozeForm(), "now": now}


@role_required(*ALL_ROLES)
def inbox(request):
    return render(request, "alerts/inbox.html", {
        **_inbox_context(request), "nav": "alerts", "on_duty": selectors.is_on_duty(request.user)})


@never_cache
@role_required(*ALL_ROLES)
def feed(request):
    """The live poll: 204 while the inbox is unchanged, else the new list and the open alerts' titles."""
    now = timezone.now()
    version = selectors.inbox_version(request.user, now=now)
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    context = _inbox_context(request)
    html = render_to_string("alerts/_inbox_list.html", context, request=request)
    opened = [{"id": alert.pk, "title": alert.context.get("contact", {}).get("name", ""), "body": alert.why}
              for alert in context["rows"]["active"] if alert.status == AlertStatus.OPEN]
    return JsonResponse({"v": context["version"], "html": html, "open": opened})


def _alert_for(request, pk):
    return get_object_or_404(Alert.objects.filter(selectors.visible_q(request.user)), pk=pk)


@require_POST
@role_required(*ALL_ROLES)
def claim(request, pk):
    try:
        services.alert_claim(alert=_alert_for(request, pk), user=request.user, now=timezone.now())
    except services.AlertActionRefused as refused:
        messages.error(request, str(refused))
    return redirect("alerts:inbox")


@require_POST
@role_required(*ALL_ROLES)
def outcome(request, pk):
    alert = _alert_for(request, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return redirect("alerts:inbox")
    try:
        services.alert_outcome_log(alert=alert, user=request.user, outcome=form.cleaned_data["outcome"],
                                   note=form.cleaned_data["note"], now=timezone.now())
        messages.success(request, _("Outcome saved and added to the contact's timeline as a call."))
    except services.AlertActionRefused as refused:
        messages.error(request, str(refused))
    return redirect("alerts:inbox")


@require_POST
@role_required(*ALL_ROLES)
def snooze(request, pk):
    alert = _alert_for(request, pk)
    form = SnoozeForm(request.POST)
    if form.is_valid():
        now = timezone.now()
        try:
            services.alert_snooze(alert=alert, user=request.user, until=now + SNOOZE[form.cleaned_data["duration"]],
                                  now=now)
        except services.AlertActionRefused as refused:
            messages.error(request, str(refused))
    return redirect("alerts:inbox")


@require_POST
@role_required(*ALL_ROLES)
def duty(request):
    on_duty = request.POST.get("on_duty") == "1"
    routing.rep_duty_set(user=request.user, on_duty=on_duty)
    messages.success(request, _("You are on duty: you get alerts for contacts without an owner.") if on_duty
                     else _("You are off duty: only alerts for your own contacts reach you."))
    return redirect("alerts:inbox")


@role_required(*MANAGER_ROLES)
def team(request):
    now = timezone.now()
    alerts = selectors.open_alerts_by_age()
    for alert in alerts:
        minutes = (now - alert.fired_at).total_seconds() / 60
        alert.age_minutes = int(minutes)
        alert.sla = "late" if minutes >= SLA_LATE_MINUTES else "warn" if minutes >= SLA_WARN_MINUTES else "ok"
    _decorate(alerts)
    return render(request, "alerts/team.html", {
        "nav": "alerts", "alerts": alerts, "reps": selectors.rep_response_times(since=now - timedelta(days=7)),
        "failing": selectors.notifications_failing(), "duty": selectors.reps_with_duty(),
        "sla_warn": SLA_WARN_MINUTES, "sla_late": SLA_LATE_MINUTES,
    })


@require_POST
@role_required(*MANAGER_ROLES)
def notification_retry(request, pk):
    notification = get_object_or_404(Notification, pk=pk)
    if notify.notification_retry_now(notification=notification, now=timezone.now()):
        messages.success(request, _("The notification will be sent again within a few seconds."))
    return redirect("alerts:team")


@role_required(*MANAGER_ROLES)
def trigger_list(request):
    return render(request, "alerts/triggers.html", {
        "nav": "alerts", "triggers": Trigger.objects.select_related("dormancy_rule"),
        "webhooks": WebhookEndpoint.objects.select_related("user"),
    })


@role_required(*MANAGER_ROLES)
def trigger_edit(request, pk=None):
    trigger = get_object_or_404(Trigger, pk=pk) if pk else None
    form = TriggerForm(request.POST or None, instance=trigger)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Trigger saved."))
        return redirect("alerts:trigger_list")
    return render(request, "alerts/form.html", {"nav": "alerts", "form": form, "title": (
        _("Edit trigger") if trigger else _("New trigger"))})


def _reps():
    return get_user_model().objects.filter(is_active=True, groups__name=Role.INSIDE_SALES).order_by("username")


@role_required(*MANAGER_ROLES)
def webhook_edit(request, pk=None):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk) if pk else None
    form = WebhookForm(request.POST or None, instance=endpoint, reps=_reps())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Webhook saved."))
        return redirect("alerts:trigger_list")
    return render(request, "alerts/form.html", {"nav": "alerts", "form": form, "title": (
        _("Edit webhook") if endpoint else _("New webhook"))})


@require_POST
@role_required(*MANAGER_ROLES)
def webhook_delete(request, pk):
    get_object_or_404(WebhookEndpoint, pk=pk).delete()
    messages.success(request, _("Webhook removed."))
    return redirect("alerts:trigger_list")
