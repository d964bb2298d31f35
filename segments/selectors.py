"""Read-only queries on segments: members, counts and samples, and the near-expiry list."""
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, Q

from contacts.models import Contact, Contract, ContractStatus
from contacts.models.contact import LAST_TOUCH_ORDER
from dormancy.selectors import workspace_today, workspace_tz

from .models import Segment
from .rules import segment_q

SAMPLE_SIZE = 10
MEMBER_COLUMNS = ("id", "email", "first_name", "last_name", "title", "status", "last_touch_at",
                  "company__id", "company__name")

# Sort keys users may ask for: user text never reaches order_by. Every
# ordering ends on the primary key so pages neither overlap nor skip.
MEMBER_SORTS = {
    "-last_touch": (LAST_TOUCH_ORDER.desc(), F("id").desc()),
    "last_touch": (LAST_TOUCH_ORDER.asc(), F("id").asc()),
    "name": (F("last_name").asc(), F("first_name").asc(), F("id").asc()),
    "-name": (F("last_name").desc(), F("first_name").desc(), F("id").desc()),
    "email": (F("email").asc(), F("id").asc()),
    "-email": (F("email").desc(), F("id").desc()),
    "company": (F("company__name").asc(nulls_last=True), F("id").asc()),
    "-company": (F("company__name").desc(nulls_last=True), F("id").desc()),
    "status": (F("status").asc(), F("id").asc()),
    "-status": (F("status").desc(), F("id").desc()),
}
DEFAULT_MEMBER_SORT = "-last_touch"


def segment_members(definition, *, today=None, tz=None):
    """Contacts matching a validated rule tree on `today` (default: today in the workspace)."""
    tz = tz or workspace_tz()
    today = today or workspace_today()
    return Contact.objects.filter(segment_q(definition, today=today, tz=tz))


def segment_preview(definition, *, today=None, tz=None):
    """{"count", "sample"}: the number of members and up to ten of them, most recently touched first."""
    members = segment_members(definition, today=today, tz=tz)
    sample = list(members.select_related("company").only(*MEMBER_COLUMNS)
                  .order_by(*MEMBER_SORTS[DEFAULT_MEMBER_SORT])[:SAMPLE_SIZE])
    return {"count": members.count(), "sample": sample}


def segment_member_page_queryset(segment, *, sort, today=None, tz=None):
    return (segment_members(segment.definition, today=today, tz=tz).select_related("company")
            .only(*MEMBER_COLUMNS).order_by(*MEMBER_SORTS[sort]))


def segment_list():
    return list(Segment.objects.select_related("created_by").order_by("name", "id"))


# -- near-expiry list -------------------------------------------------------

PHASES = ("pre_notice", "notice", "final_days", "lapsed")


@dataclass(frozen=True)
class PhaseOffsets:
    """Days before (pre_notice, notice, final_days) and after (lapsed) the lapse date each phase starts."""

    pre_notice: int = 60
    notice: int = 30
    final_days: int = 7
    lapsed: int = 7

    def windows(self, today):
        """Phase → (first, last) lapse dates, inclusive."""
        day = timedelta(days=1)
        return {
            "pre_notice": (today + timedelta(days=self.notice) + day, today + timedelta(days=self.pre_notice)),
            "notice": (today + timedelta(days=self.final_days) + day, today + timedelta(days=self.notice)),
            "final_days": (today, today + timedelta(days=self.final_days)),
            "lapsed": (today - timedelta(days=self.lapsed), today - day),
        }


PHASE_ROW_LIMIT = 200


def expiring_by_phase(*, offsets, today):
    """[{"phase", "first", "last", "count", "contracts"}] for contracts still open (not renewed or cancelled).

    One aggregate query for the counts, one per phase for up to PHASE_ROW_LIMIT rows.
    """
    windows = offsets.windows(today)
    open_contracts = Contract.objects.filter(status__in=[ContractStatus.ACTIVE, ContractStatus.LAPSED])
    upcoming = {phase: Q(status=ContractStatus.ACTIVE, expires_at__range=window)
                for phase, window in windows.items() if phase != "lapsed"}
    upcoming["lapsed"] = Q(expires_at__range=windows["lapsed"])
    counts = open_contracts.aggregate(**{phase: Count("id", filter=q) for phase, q in upcoming.items()})
    result = []
    for phase in PHASES:
        rows = (open_contracts.filter(upcoming[phase]).select_related("contact", "contact__company")
                .order_by("expires_at", "id")[:PHASE_ROW_LIMIT]) if counts[phase] else []
        first, last = windows[phase]
        result.append({"phase": phase, "first": first, "last": last, "count": counts[phase],
                       "contracts": list(rows)})
    return result


def expiring_contracts(*, as_of, within_days):
    """Active contracts lapsing on a date from `as_of` through `as_of + within_days`, by date."""
    return (Contract.objects.filter(status=ContractStatus.ACTIVE, expires_at__gte=as_of,
                                    expires_at__lte=as_of + timedelta(days=within_days))
            .order_by("expires_at", "id"))
