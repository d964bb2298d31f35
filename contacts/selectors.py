"""Read-only queries on contacts: the contact list, one contact's page, the overview.

Every query here is set-based and its count per page is fixed, whatever the
number of contacts. Calendar arithmetic is in the workspace time zone:
"silent for 180 days or more" means the last-touch date there is on or
before today − 180, which for a timestamp is `last_touch_at < midnight of
today − 179`, so no per-row date conversion runs and indexes stay usable.
"""
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Concat
from django.db.models.lookups import LessThan
from django.utils.functional import cached_property

from accounts.roles import Role

from .models import Company, Contact, ContactTouchSummary, Contract, ContractStatus, ImportJob, TouchEvent
from .models.contact import ACQUIRED_ORDER, LAST_TOUCH_ORDER
from .rules import known_since_q, last_silent_date, start_of_day

ONE_DAY = timedelta(days=1)
SILENT_DAYS = (90, 180, 365)
LAPSING_DAYS = (30, 60, 90)
MAX_SEARCH_TERMS = 5

# Sort keys users may ask for, and the ordering each one means. User text
# never reaches order_by: an unknown key falls back to DEFAULT_SORT. Every
# ordering ends on the primary key so pages neither overlap nor skip. Last
# touch and acquisition sort on expressions with their own indexes, where a
# missing date counts as the distant past: never-touched contacts come last
# when the latest touch is first, and first when the oldest is.
SORTS = {
    "-last_touch": (LAST_TOUCH_ORDER.desc(), F("id").desc()),
    "last_touch": (LAST_TOUCH_ORDER.asc(), F("id").asc()),
    "name": (F("last_name").asc(), F("first_name").asc(), F("id").asc()),
    "-name": (F("last_name").desc(), F("first_name").desc(), F("id").desc()),
    "company": (F("company__name").asc(nulls_last=True), F("id").asc()),
    "-company": (F("company__name").desc(nulls_last=True), F("id").desc()),
    "status": (F("status").asc(), F("id").asc()),
    "-status": (F("status").desc(), F("id").desc()),
    "acquired": (ACQUIRED_ORDER.asc(), F("id").asc()),
    "-acquired": (ACQUIRED_ORDER.desc(), F("id").desc()),
}
DEFAULT_SORT = "-last_touch"

LIST_COLUMNS = (
    "id", "email", "first_name", "last_name", "first_name_kana", "last_name_kana", "title", "is_decision_maker",
    "status", "lost_reason", "acquired_at", "last_touch_at", "last_touch_kind",
    "company__id", "company__name", "company__industry",
    "owner__id", "owner__username", "owner__first_name", "owner__last_name",
)


@dataclass(frozen=True)
class ContactFilters:
    """What the contact list shows; every field already validated."""

    search: str = ""
    status: str = ""
    owner_id: int | None = None
    unassigned: bool = False
    lost_reason: str = ""
    industry: str = ""
    silent_days: int | None = None
    lapsing_days: int | None = None
    sort: str = DEFAULT_SORT


def contact_list(*, filters, today, tz):
    """Contacts matching `filters`, ordered, with company and owner joined."""
    queryset = Contact.objects.select_related("company", "owner").only(*LIST_COLUMNS)
    if filters.search:
        queryset = queryset.alias(**SEARCH_ALIASES).filter(search_q(filters.search))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.unassigned:
        queryset = queryset.filter(owner__isnull=True)
    elif filters.owner_id is not None:
        queryset = queryset.filter(owner_id=filters.owner_id)
    if filters.lost_reason:
        queryset = queryset.filter(lost_reason=filters.lost_reason)
    if filters.industry:
        queryset = queryset.filter(company__industry=filters.industry)
    if filters.silent_days:
        queryset = queryset.filter(silent_q(days=filters.silent_days, today=today, tz=tz))
    if filters.lapsing_days:
        queryset = queryset.filter(Exists(lapsing_contracts(days=filters.lapsing_days, today=today)
                                          .filter(contact=OuterRef("pk"))))
    sort = filters.sort if filters.sort in SORTS else DEFAULT_SORT
    if sort in ("company", "-company"):
        return CompanyOrdered(queryset, descending=sort.startswith("-"))
    return queryset.order_by(*SORTS[sort])


def capped_count(queryset, cap):
    """min(rows, cap), counting through a LIMITed subquery: bounded work at any size."""
    return queryset.order_by().values("pk")[:cap].count() if cap > 0 else 0


class CompanyOrdered:
    """Contacts by company name, those without a company last: a sliceable sequence.

    One query over the LEFT JOIN that keeps company-less contacts cannot walk
    the company-name index (a full sort: about a second at a million
    contacts). Two can: an INNER JOIN driven by the name index, then the
    company-less contacts by id, each page an index walk of a few ms.
    """

    def __init__(self, queryset, *, descending):
        sign = "-" if descending else ""
        self.named = queryset.filter(company__isnull=False).order_by(f"{sign}company__name", f"{sign}id")
        self.unnamed = queryset.filter(company__isnull=True).order_by(f"{sign}id")
        self._named_count = None

    def capped_count(self, cap):
        self._named_count = capped_count(self.named, cap)
        return self._named_count + capped_count(self.unnamed, cap - self._named_count)

    def __getitem__(self, window):
        if self._named_count is None:
            self.capped_count(window.stop)
        named = self._named_count
        rows = list(self.named[window.start : min(window.stop, named)]) if window.start < named else []
        if window.stop > named:
            rows += list(self.unnamed[max(window.start - named, 0) : window.stop - named])
        return rows


def search_q(text):
    """Every term must match the name (kanji or kana, family and given name
    together), the email or the company name. Needs SEARCH_ALIASES.

    Text is NFKC-folded first (full-width letters, half-width kana), and
    hiragana and katakana find each other. A term is only compared where it
    can match (kana columns hold kana, emails ASCII) and case-folded only if
    it has letters with case: each saves work on every row of a full scan.
    """
    terms = unicodedata.normalize("NFKC", text).split()[:MAX_SEARCH_TERMS]
    condition = Q()
    for term in terms:
        has_case = any(ch.isascii() and ch.isalpha() for ch in term)
        match = Q(**{"search_name__icontains" if has_case else "search_name__contains": term})
        match |= Q(company_id__in=Company.objects.filter(name__icontains=term).values("id"))
        if term.isascii():
            match |= Q(email__contains=term.lower())
        if any(_is_kana(ch) for ch in term):
            for form in sorted({_katakana(term), _hiragana(term)}):
                match |= Q(search_kana__contains=form)
        condition &= match
    return condition


# Family and given name run together, so "佐藤太郎" and "サトウ タロウ" (after
# splitting on the space) both find 佐藤 太郎. alias() keeps them out of SELECT.
SEARCH_ALIASES = {
    "search_name": Concat("last_name", "first_name"),
    "search_kana": Concat("last_name_kana", "first_name_kana"),
}


def _is_kana(ch):
    return "ぁ" <= ch <= "ゖ" or "ァ" <= ch <= "ヺ" or ch == "ー"


def _katakana(text):
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def _hiragana(text):
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def silent_q(*, days, today, tz):
    """No counted touch for `days` days or more (the last-touch date on or before today − days).

    A contact never touched counts its acquisition date, and without one the
    day it was added, as its last touch. The bound is set on the list's
    sort expression (a missing touch is the distant past), so the touch-order
    indexes serve it as a range instead of a scan from the newest touch down.
    """
    last_date = last_silent_date(today, days)
    boundary = start_of_day(last_date + ONE_DAY, tz)
    return Q(LessThan(LAST_TOUCH_ORDER, boundary)) & (Q(last_touch_at__isnull=False) | known_since_q(last_date, tz))


def lapsing_contracts(*, days, today):
    """Active contracts whose lapse date is today or within the next `days` days."""
    return Contract.objects.filter(
        status=ContractStatus.ACTIVE, expires_at__gte=today, expires_at__lte=today + timedelta(days=days)
    )


def owner_choices():
    """Inside-sales reps who can own contacts: (id, display name), by name."""
    users = (get_user_model().objects.filter(groups__name=Role.INSIDE_SALES, is_active=True)
             .order_by("last_name", "first_name", "username").distinct()
             .values_list("id", "username", "first_name", "last_name"))
    return [(pk, user_display_name(username, first, last)) for pk, username, first, last in users]


def user_display_name(username, first_name, last_name):
    full = " ".join(part for part in (first_name, last_name) if part)
    return full or username


def industry_choices():
    return list(Company.objects.exclude(industry="").order_by("industry")
                .values_list("industry", flat=True).distinct())


class CappedPaginator(Paginator):
    """Offset pagination that never counts past `cap` rows.

    An exact COUNT(*) over a million contacts costs as much as the page
    itself, every time. Counting a LIMITed subquery keeps the cost bounded:
    past the cap the page says "10,000+" and offers the first cap/per_page
    pages; narrowing the filters brings the rest into reach. Offsets stay
    small (at most `cap`), so each page is an index walk of at most cap rows.
    """

    def __init__(self, object_list, per_page, *, cap):
        super().__init__(object_list, per_page)
        self.cap = cap
        self.capped = False

    @cached_property
    def count(self):
        rows = self.object_list
        found = rows.capped_count(self.cap + 1) if hasattr(rows, "capped_count") else capped_count(rows, self.cap + 1)
        self.capped = found > self.cap
        return min(found, self.cap)


# -- one contact ------------------------------------------------------------

def contact_for_page(pk):
    """The contact with company, owner and tags (two queries), or None."""
    return (Contact.objects.select_related("company", "owner").prefetch_related("tags")
            .filter(pk=pk).first())


def contact_touch_summaries(contact):
    """Latest counted touch per kind, newest first."""
    return list(ContactTouchSummary.objects.filter(contact=contact).order_by("-last_at", "kind"))


def contact_contracts(contact):
    return list(Contract.objects.filter(contact=contact).order_by("-expires_at", "-id"))


def contact_timeline(contact):
    """All the contact's touches, newest first; bot-flagged ones included (and marked)."""
    return (TouchEvent.objects.filter(contact=contact)
            .only("id", "kind", "occurred_at", "url", "detail", "source", "flagged_as_bot")
            .order_by("-occurred_at", "-id"))


def contact_touch_counts(contact):
    """{"counted": n, "flagged": n}: bot-flagged touches are shown but never counted."""
    return TouchEvent.objects.filter(contact=contact).aggregate(
        counted=Count("id", filter=Q(flagged_as_bot=False)), flagged=Count("id", filter=Q(flagged_as_bot=True))
    )


def days_between(moment, today, tz):
    """Whole calendar days from `moment` (its date in `tz`) to `today`."""
    return (today - moment.astimezone(tz).date()).days


# -- overview ---------------------------------------------------------------

def overview_lapsing(*, today):
    """Active contracts lapsing within 30/60/90 days: count and amount each. One query."""
    windows = {}
    for days in LAPSING_DAYS:
        window = Q(expires_at__lte=today + timedelta(days=days))
        windows[f"count_{days}"] = Count("id", filter=window)
        windows[f"amount_{days}"] = Sum("amount", filter=window)
    totals = lapsing_contracts(days=max(LAPSING_DAYS), today=today).aggregate(**windows)
    return [{"days": days, "count": totals[f"count_{days}"], "amount": totals[f"amount_{days}"] or 0}
            for days in LAPSING_DAYS]


def recent_imports(limit=5):
    return list(ImportJob.objects.select_related("created_by").order_by("-created_at")[:limit])
