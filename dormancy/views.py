"""Dormancy rule pages: list, detail with history, the editor and its live preview.

Admins and marketers read; only admins change rules. Views validate and
delegate: definitions are checked by the form (through validate_rule_definition),
saved by the services and counted by the selectors.
"""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required
from contacts.models import LostReason
from contacts.selectors import user_display_name

from . import selectors
from .forms import DormancyRuleForm
from .models import DormancyRule
from .rules import clean_definition
from .rules.describe import describe_definition
from .services import dormancy_rule_create, dormancy_rule_restore, dormancy_rule_update

READERS = (Role.ADMIN, Role.MARKETER)
MEMBERS_SHOWN = 50
PREVIEW_EXAMPLES = 5


def _owner_names(definitions):
    ids = {item["value"] for definition in definitions for item in definition.get("scope") or []
           if item.get("field") == "owner" and isinstance(item.get("value"), int)}
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).values_list("id", "username", "first_name", "last_name")
    return {pk: user_display_name(username, first, last) for pk, username, first, last in users}


@role_required(*READERS)
def rule_list(request):
    today = selectors.workspace_today()
    rules = list(DormancyRule.objects.order_by("-is_active", "name", "pk"))
    counts = selectors.rule_member_counts(rules, today=today)
    for rule in rules:
        rule.members_today = counts[rule.pk]
        rule.plain = describe_definition(rule.definition())
    return render(request, "dormancy/rule_list.html", {"nav": "dormancy", "rules": rules, "today": today})


@role_required(*READERS)
def rule_detail(request, pk):
    rule = get_object_or_404(DormancyRule, pk=pk)
    today = selectors.workspace_today()
    versions = list(rule.versions.select_related("created_by").order_by("-number"))
    owner_names = _owner_names([rule.definition(), *(version.snapshot for version in versions)])
    for version in versions:
        version.plain = describe_definition(version.snapshot, owner_names=owner_names)
    reason_labels = dict(LostReason.choices)
    reasons = [{"value": value, "label": reason_labels.get(value, value), "count": count}
               for value, count in selectors.rule_lost_reason_breakdown(rule, today=today)]
    return render(request, "dormancy/rule_detail.html", {
        "nav": "dormancy",
        "rule": rule,
        "today": today,
        "plain": describe_definition(rule.definition(), owner_names=owner_names),
        "member_count": selectors.rule_member_count(rule, today=today),
        "members": selectors.rule_members_page(rule, today=today, limit=MEMBERS_SHOWN),
        "members_shown": MEMBERS_SHOWN,
        "reasons": reasons,
        "versions": versions,
        "latest_number": versions[0].number if versions else None,
    })


@role_required(Role.ADMIN)
def rule_create(request):
    form = DormancyRuleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        definition = form.definition
        try:
            rule = dormancy_rule_create(**definition, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_definition_errors(exc)
        else:
            messages.success(request, _("The rule was created as version 1."))
            return redirect("dormancy:detail", pk=rule.pk)
    return _editor(request, form, rule=None)


@role_required(Role.ADMIN)
def rule_edit(request, pk):
    rule = get_object_or_404(DormancyRule, pk=pk)
    form = DormancyRuleForm(request.POST if request.method == "POST" else None, rule=rule)
    if request.method == "POST" and form.is_valid():
        before = rule.versions.count()
        try:
            rule = dormancy_rule_update(rule=rule, changes=form.changes(), user=request.user,
                                        note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_definition_errors(exc)
        else:
            after = rule.versions.count()
            if after > before:
                messages.success(request, _("Saved as version %(number)d.") % {"number": after})
            else:
                messages.info(request, _("Nothing changed, so no new version was saved."))
            return redirect("dormancy:detail", pk=rule.pk)
    return _editor(request, form, rule=rule)


def _editor(request, form, *, rule):
    preview_url = reverse("dormancy:preview")
    if rule is not None:
        preview_url += f"?rule={rule.pk}"
    kept = describe_definition(
        {"inactivity_days": 0, "conditions": {"items": form.extra_conditions}, "scope": form.extra_scope},
        owner_names=_owner_names([{"scope": form.extra_scope}]),
    )
    return render(request, "dormancy/rule_form.html", {
        "nav": "dormancy",
        "form": form,
        "rule": rule,
        "preview_url": preview_url,
        "kept_conditions": kept["conditions"],
        "kept_scope": kept["scope"],
    })


@require_POST
@role_required(Role.ADMIN)
def rule_preview(request):
    """JSON: who the edited rule would add and remove compared with the saved one. Saves nothing."""
    rule = None
    if "rule" in request.GET:
        rule_id = request.GET["rule"]
        rule = DormancyRule.objects.filter(pk=rule_id).first() if rule_id.isdigit() else None
        if rule is None:
            return JsonResponse({"errors": {"__all__": [{"message": _("Unknown rule.")}]}}, status=400)
    form = DormancyRuleForm(request.POST, rule=rule, preview=True)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    if rule is not None:
        # A stored rule that no longer validates compares as nobody, like a new one.
        try:
            clean_definition(rule)
        except ValidationError:
            rule = None
    impact = selectors.rule_change_impact(rule, form.definition, today=selectors.workspace_today(),
                                          sample=PREVIEW_EXAMPLES)
    return JsonResponse({
        "added": impact["added"],
        "removed": impact["removed"],
        "total": impact["total"],
        "added_examples": [_example(contact) for contact in impact["added_examples"]],
        "removed_examples": [_example(contact) for contact in impact["removed_examples"]],
    })


def _example(contact):
    return {"name": contact.full_name or contact.email, "email": contact.email,
            "url": reverse("contacts:detail", kwargs={"pk": contact.pk})}


@require_POST
@role_required(Role.ADMIN)
def rule_restore(request, pk, number):
    rule = get_object_or_404(DormancyRule, pk=pk)
    get_object_or_404(rule.versions, number=number)
    rule = dormancy_rule_restore(rule=rule, version_number=number, user=request.user)
    latest = rule.versions.order_by("-number").values_list("number", flat=True).first()
    messages.success(request, _("Version %(old)d was restored as version %(new)d.") % {"old": number, "new": latest})
    return redirect("dormancy:detail", pk=rule.pk)
