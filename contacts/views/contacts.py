"""Contact pages: the list and one contact (the old overview address redirects to the dashboard).

Views validate the query string and delegate; queries live in selectors.
"""
from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from accounts.roles import ALL_ROLES, Role, has_role, role_required

from .. import selectors
from ..models import ContactStatus, LostReason, TouchKind
from ..rules import workspace_today, workspace_tz

LIST_PAGE_SIZE = 50
LIST_COUNT_CAP = 10_000
# A search scans contacts (no index helps a substring match): stop counting sooner.
SEARCH_COUNT_CAP = 1_000
TIMELINE_PAGE_SIZE = 30
MINE, ALL = "mine", "all"
UNASSIGNED = "none"
TOUCH_LABELS = dict(TouchKind.choices)
# Column -> the sort key its header applies first (last touch: newest first).
SORT_COLUMNS = {"name": "name", "company": "company", "status": "status", "last_touch": "-last_touch",
                "acquired": "-acquired"}


class ContactFilterForm(forms.Form):
    """The list's query string. Bad values are dropped quietly, never echoed into a query."""

    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    scope = forms.ChoiceField(required=False, choices=[(MINE, _("My contacts")), (ALL, _("All contacts"))])
    status = forms.ChoiceField(required=False, label=_("Status"))
    owner = forms.ChoiceField(required=False, label=_("Owner"))
    lost_reason = forms.ChoiceField(required=False, label=_("Lost reason"))
    industry = forms.ChoiceField(required=False, label=_("Industry"))
    silent = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("No touch for"))
    lapsing = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Contract lapses within"))
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in selectors.SORTS])

    def __init__(self, data, *, owners, industries):
        super().__init__(data)
        anyone = [("", _("Any"))]
        self.fields["status"].choices = anyone + list(ContactStatus.choices)
        self.fields["owner"].choices = anyone + [(UNASSIGNED, _("Unassigned"))] + [(str(pk), n) for pk, n in owners]
        self.fields["lost_reason"].choices = anyone + list(LostReason.choices)
        self.fields["industry"].choices = anyone + [(name, name) for name in industries]
        self.fields["silent"].choices = anyone + [(str(d), _("%(days)s+ days") % {"days": d})
                                                  for d in selectors.SILENT_DAYS]
        self.fields["lapsing"].choices = anyone + [(str(d), _("%(days)s days") % {"days": d})
                                                   for d in selectors.LAPSING_DAYS]
        for name, field in self.fields.items():
            if name != "q":
                field.widget.attrs["class"] = "form-select form-select-sm"
        self.fields["q"].widget.attrs.update({"class": "form-control form-control-sm", "type": "search",
                                              "placeholder": _("Name, kana, email or company")})

    def value(self, name, default=None):
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value


def _is_rep_only(user):
    return has_role(user, Role.INSIDE_SALES) and not has_role(user, Role.ADMIN, Role.MARKETER)


def _workspace_today():
    return workspace_today(), workspace_tz()


@role_required(*ALL_ROLES)
def contact_list(request):
    today, tz = _workspace_today()
    form = ContactFilterForm(request.GET, owners=selectors.owner_choices(), industries=selectors.industry_choices())
    scope, filters = _list_filters(form, request.user)
    contacts = selectors.contact_list(filters=filters, today=today, tz=tz)
    paginator = selectors.CappedPaginator(contacts, LIST_PAGE_SIZE,
                                          cap=SEARCH_COUNT_CAP if filters.search else LIST_COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    for contact in page.object_list:
        contact.days_since_touch = (selectors.days_between(contact.last_touch_at, today, tz)
                                    if contact.last_touch_at else None)
        contact.last_touch_label = TOUCH_LABELS.get(contact.last_touch_kind, contact.last_touch_kind)
    return render(request, "contacts/contact_list.html", {
        "nav": "contacts",
        "form": form,
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "paginator": paginator,
        "scope": scope,
        "show_scope": _is_rep_only(request.user) or scope == MINE,
        "sort": filters.sort,
        "sort_next": {column: _next_sort(key, filters.sort) for column, key in SORT_COLUMNS.items()},
        "filtered": filters != selectors.ContactFilters(owner_id=filters.owner_id if scope == MINE else None,
                                                        sort=filters.sort),
    })


def _list_filters(form, user):
    """(scope, ContactFilters) from the checked query string.

    A rep starts on "My contacts"; in that scope the owner filter is moot.
    """
    scope = form.value("scope", MINE if _is_rep_only(user) else ALL)
    owner = form.value("owner", "") if scope == ALL else ""
    if scope == MINE:
        owner_id = user.pk
    else:
        owner_id = int(owner) if owner not in ("", UNASSIGNED) else None
    return scope, selectors.ContactFilters(
        search=form.value("q", "").strip(),
        status=form.value("status", ""),
        owner_id=owner_id,
        unassigned=owner == UNASSIGNED,
        lost_reason=form.value("lost_reason", ""),
        industry=form.value("industry", ""),
        silent_days=form.value("silent"),
        lapsing_days=form.value("lapsing"),
        sort=form.value("sort", selectors.DEFAULT_SORT),
    )


def _next_sort(first, current):
    """Clicking a header sorts by it; clicking it again reverses the direction."""
    if current == first:
        return first[1:] if first.startswith("-") else "-" + first
    return first


@role_required(*ALL_ROLES)
def contact_detail(request, pk):
    # Reps sell as a team: any contact is visible to any role.
    contact = selectors.contact_for_page(pk)
    if contact is None:
        raise Http404
    today, tz = _workspace_today()
    summaries = selectors.contact_touch_summaries(contact)
    for summary in summaries:
        summary.label = TOUCH_LABELS.get(summary.kind, summary.kind)
        summary.days_ago = selectors.days_between(summary.last_at, today, tz)
    contracts = selectors.contact_contracts(contact)
    for contract in contracts:
        contract.days_to_lapse = contract.days_left(today)
    timeline = Paginator(selectors.contact_timeline(contact), TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    for event in timeline.object_list:
        event.label = TOUCH_LABELS.get(event.kind, event.kind)
    return render(request, "contacts/contact_detail.html", {
        "nav": "contacts",
        "contact": contact,
        "tags": list(contact.tags.all()),
        "last_touch_label": TOUCH_LABELS.get(contact.last_touch_kind, contact.last_touch_kind),
        "days_since_touch": selectors.days_between(contact.last_touch_at, today, tz) if contact.last_touch_at else None,
        "summaries": summaries,
        "contracts": contracts,
        "timeline": timeline,
        "timeline_range": timeline.paginator.get_elided_page_range(timeline.number, on_each_side=2, on_ends=1),
        "touch_counts": selectors.contact_touch_counts(contact),
        "attributes": sorted(contact.attributes.items()) if isinstance(contact.attributes, dict) else [],
    })


@role_required(*ALL_ROLES)
def overview(request):
    """The old overview's address: the dashboard (reports) replaced it; reps go on from there to their inbox."""
    return redirect("reports:dashboard")
