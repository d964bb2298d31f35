"""Scoring pages (rules and settings for admins, read-only for marketers) and the call list.

Views validate and delegate; queries live in selectors, changes in services.
"""
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role, role_required
from contacts.selectors import CappedPaginator
from dormancy.selectors import workspace_today, workspace_tz

from . import selectors, services
from .forms import ScoringRuleForm, ScoringSettingsForm
from .models import ScoringRule, ScoringSettings
from .tasks import scores_recompute_enqueue

VIEW_ROLES = (Role.ADMIN, Role.MARKETER)
CALL_LIST_ROLES = (Role.ADMIN, Role.MARKETER, Role.INSIDE_SALES)
CALL_LIST_PAGE_SIZE = 50
CALL_LIST_COUNT_CAP = 10_000
MINE, ALL = "mine", "all"


@role_required(*VIEW_ROLES)
def scoring_home(request):
    return render(request, "scoring/scoring_home.html", {
        "nav": "scoring", "rules": ScoringRule.objects.all(), "settings": ScoringSettings.load(),
        "totals": selectors.score_totals(), "can_edit": has_role(request.user, Role.ADMIN),
    })


@role_required(Role.ADMIN)
def rule_edit(request, pk=None):
    rule = get_object_or_404(ScoringRule, pk=pk) if pk else None
    form = ScoringRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Scoring rule saved. Scores change at the next recompute."))
        return redirect("scoring:home")
    return render(request, "scoring/rule_form.html", {"nav": "scoring", "form": form, "rule": rule})


@role_required(Role.ADMIN)
def rule_delete(request, pk):
    rule = get_object_or_404(ScoringRule, pk=pk)
    if request.method == "POST":
        rule.delete()
        messages.success(request, _("Scoring rule deleted. Scores change at the next recompute."))
        return redirect("scoring:home")
    return render(request, "scoring/rule_confirm_delete.html", {"nav": "scoring", "rule": rule})


@role_required(Role.ADMIN)
def settings_edit(request):
    settings = ScoringSettings.load()
    form = ScoringSettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        services.scoring_settings_save(
            settings=settings, half_life_days=form.cleaned_data["half_life_days"],
            hot_threshold=form.cleaned_data["hot_threshold"], hot_rule=form.cleaned_data["hot_rule"],
        )
        messages.success(request, _("Scoring settings saved. Scores change at the next recompute."))
        return redirect("scoring:home")
    return render(request, "scoring/settings_form.html", {"nav": "scoring", "form": form})


@require_POST
@role_required(Role.ADMIN)
def recompute(request):
    scores_recompute_enqueue()
    messages.info(request, _("Recompute queued: scores update in a moment."))
    return redirect("scoring:home")


class CallListForm(forms.Form):
    scope = forms.ChoiceField(required=False, choices=[(MINE, gettext_lazy("My contacts")),
                                                       (ALL, gettext_lazy("All contacts"))])


def _is_rep_only(user):
    return has_role(user, Role.INSIDE_SALES) and not has_role(user, Role.ADMIN, Role.MARKETER)


@role_required(*CALL_LIST_ROLES)
def call_list(request):
    form = CallListForm(request.GET)
    default = MINE if _is_rep_only(request.user) else ALL
    scope = (form.cleaned_data.get("scope") or default) if form.is_valid() else default
    contacts, rules = selectors.call_list(
        owner_id=request.user.pk if scope == MINE else None, today=workspace_today(), tz=workspace_tz(),
    )
    paginator = CappedPaginator(contacts, CALL_LIST_PAGE_SIZE, cap=CALL_LIST_COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "scoring/call_list.html", {
        "nav": "calls", "page": page, "paginator": paginator, "scope": scope,
        "rows": selectors.call_list_rows(page.object_list, rules),
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    })
