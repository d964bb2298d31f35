"""Segment pages: list, builder, live preview, members and exports, near-expiry list.

Views validate and delegate; queries live in selectors, changes in services.
"""
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required
from contacts.models import TouchKind
from contacts.selectors import CappedPaginator, owner_choices
from dormancy.models import DormancyRule
from dormancy.selectors import workspace_today, workspace_tz

from . import exports, selectors, services
from .forms import ExpiringForm, SegmentForm
from .models import Segment
from .rules import validate_definition
from .rules.fields import CHOICES, FIELDS, OPERATOR_LABELS, OPERATORS
from .tasks import segment_refresh_enqueue

SEGMENT_ROLES = (Role.ADMIN, Role.MARKETER)
MEMBERS_PAGE_SIZE = 50
MEMBERS_COUNT_CAP = 10_000
MAX_PREVIEW_BYTES = 64 * 1024
SORT_COLUMNS = {"name": "name", "email": "email", "company": "company", "status": "status",
                "last_touch": "-last_touch"}
CONDITION_LABELS = {
    "attribute": gettext_lazy("Attribute"), "behaviour": gettext_lazy("Behaviour"),
    "dormancy": gettext_lazy("Dormancy rule"), "dormant_days": gettext_lazy("Dormant for days"),
    "lapse": gettext_lazy("Contract lapse"), "consent": gettext_lazy("Consent"), "score": gettext_lazy("Score"),
}


@role_required(*SEGMENT_ROLES)
def segment_list(request):
    return render(request, "segments/segment_list.html", {"nav": "segments", "segments": selectors.segment_list()})


def _catalog():
    """What the builder offers: fields and operators from the allow-list, kinds, rules, owners."""
    return {
        "fields": [{"value": key, "label": str(label), "type": kind,
                    "choices": [[v, str(lab)] for v, lab in CHOICES[key].choices] if key in CHOICES else None}
                   for key, (kind, _path, label) in FIELDS.items()],
        "operators": {kind: [{"value": op, "label": str(OPERATOR_LABELS[op]), "shape": shape}
                             for op, shape in ops.items()] for kind, ops in OPERATORS.items()},
        "conditionTypes": [[key, str(label)] for key, label in CONDITION_LABELS.items()],
        "touchKinds": [[v, str(lab)] for v, lab in TouchKind.choices],
        "rules": list(DormancyRule.objects.order_by("name").values_list("slug", "name")),
        "owners": owner_choices(),
    }


@role_required(*SEGMENT_ROLES)
def segment_edit(request, pk=None):
    segment = get_object_or_404(Segment, pk=pk) if pk else None
    form = SegmentForm(request.POST or None, instance=segment)
    if request.method == "POST" and form.is_valid():
        saved = services.segment_save(
            segment=segment, name=form.cleaned_data["name"], description=form.cleaned_data["description"],
            definition=form.cleaned_data["definition"], is_active=form.cleaned_data["is_active"], user=request.user,
        )
        messages.success(request, _("Segment saved."))
        return redirect("segments:members", pk=saved.pk)
    return render(request, "segments/segment_form.html", {
        "nav": "segments", "form": form, "segment": segment, "catalog": _catalog(),
        "definition_errors": form.errors.get("definition", []),
    })


@require_POST
@role_required(*SEGMENT_ROLES)
def segment_preview(request):
    """POST {"definition": tree} → {"count", "sample"}, or 400 {"errors": [...]}."""
    if len(request.body) > MAX_PREVIEW_BYTES:
        return JsonResponse({"errors": [_("The rules are too large.")]}, status=400)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"errors": [_("The request body is not valid JSON.")]}, status=400)
    if not isinstance(payload, dict) or "definition" not in payload:
        return JsonResponse({"errors": [_('Send an object with "definition".')]}, status=400)
    try:
        definition = validate_definition(payload["definition"])
    except ValidationError as error:
        return JsonResponse({"errors": error.messages}, status=400)
    preview = selectors.segment_preview(definition)
    return JsonResponse({"count": preview["count"], "sample": [
        {"name": contact.full_name or contact.email, "company": contact.company.name if contact.company else "",
         "email": contact.email, "link": reverse("contacts:detail", args=[contact.pk])}
        for contact in preview["sample"]
    ]})


def _sort_or_400(request):
    sort = request.GET.get("sort") or selectors.DEFAULT_MEMBER_SORT
    if sort not in selectors.MEMBER_SORTS:
        return None, HttpResponseBadRequest(
            _("Unknown sort key. Use one of: %(keys)s.") % {"keys": ", ".join(selectors.MEMBER_SORTS)},
            content_type="text/plain; charset=utf-8",
        )
    return sort, None


@role_required(*SEGMENT_ROLES)
def segment_members(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    sort, bad = _sort_or_400(request)
    if bad:
        return bad
    if request.GET.get("format") == "csv" or request.GET.get("audience"):
        return segment_export(request, pk, segment=segment)
    members = selectors.segment_member_page_queryset(segment, sort=sort)
    paginator = CappedPaginator(members, MEMBERS_PAGE_SIZE, cap=MEMBERS_COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "segments/segment_members.html", {
        "nav": "segments", "segment": segment, "page": page, "paginator": paginator, "sort": sort,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "sort_next": {column: _next_sort(key, sort) for column, key in SORT_COLUMNS.items()},
    })


def _next_sort(first, current):
    if current == first:
        return first[1:] if first.startswith("-") else "-" + first
    return first


@role_required(*SEGMENT_ROLES)
def segment_export(request, pk, segment=None):
    """CSV of the members (?format=csv) or a hashed audience (?audience=google|meta), streamed."""
    segment = segment or get_object_or_404(Segment, pk=pk)
    audience = request.GET.get("audience")
    if audience and audience not in exports.AUDIENCE_HEADERS:
        return HttpResponseBadRequest(_("Unknown audience. Use google or meta."),
                                      content_type="text/plain; charset=utf-8")
    members = selectors.segment_members(segment.definition)
    if audience:
        rows, filename = exports.audience_rows(members, audience=audience), f"segment-{segment.pk}-{audience}.csv"
    else:
        rows, filename = exports.member_rows(members, tz=workspace_tz()), f"segment-{segment.pk}.csv"
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@role_required(*SEGMENT_ROLES)
def segment_refresh(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    with transaction.atomic():
        segment_refresh_enqueue(segment.pk)
    messages.info(request, _("Refresh queued: the snapshot updates in a moment."))
    return redirect("segments:members", pk=segment.pk)


@role_required(*SEGMENT_ROLES)
def expiring(request):
    form = ExpiringForm(request.GET or None)
    offsets = form.offsets()
    today = workspace_today()
    phases = selectors.expiring_by_phase(offsets=offsets, today=today)
    labels = {"pre_notice": _("Pre-notice"), "notice": _("Notice"), "final_days": _("Final days"),
              "lapsed": _("Lapsed")}
    for phase in phases:
        phase["label"] = labels[phase["phase"]]
        for contract in phase["contracts"]:
            contract.days = contract.days_left(today)
    return render(request, "segments/expiring.html", {
        "nav": "segments", "form": form, "offsets": offsets, "phases": phases, "today": today,
    })
