"""Dormancy report: who is dormant (by reason, industry, company size, owner, length of silence) and how
contacts moved between active and dormant month by month.

Dormant means a member of the chosen dormancy rule (dormancy.rules), as of
the range's last day: today's members read the stored latest touches, an
earlier day replays the events up to it (dormancy.selectors). A rep sees
only the contacts they own (`owner`). (Reading the rule's stored members
instead was measured and dropped: at 100,000 contacts the semi-join took
250–310 ms against 80 ms for the rule's own indexed filter.)

The workspace's monthly flow adds up the daily dormancy snapshots
(reports.snapshots, written by beat every hour): dormant at the start is the
snapshot of the day before the month (or before the range), dormant at the
end the snapshot of the month's last day (the range's last day, today at the
latest), "went dormant" the sum of the days' newly dormant and "left
dormancy" the sum of the days' reactivated (a counted touch, mostly — or a
change of status or deal stage). So every move counts on the day it happened:
a contact that went dormant and came back inside one month counts in both
columns. Today counts as of its latest snapshot (at most an hour old while
beat runs).

A rep's own view reads the same way from the per-owner snapshots written in
the same pass (reports.models.DormancyOwnerDay; the owner as of each day's
computation).

A month is counted live instead, from the rule's members at its two ends
(month-end comparison: a round trip inside the month shows in neither
column), when it cannot be read from snapshots: days without a snapshot (a
fresh install, beat not running, for a rep days stored before per-owner
snapshots; up to MAX_DAYS_COMPUTED missing days are computed with the
snapshot writer's own query and not stored), or snapshots that do not add up
(start + went − left ≠ end: days computed at different times, with an
import, a deletion, a rule change or, for a rep, contacts handed over in
between). Either way start + went − left = end holds for every month, and the
table says how each month was counted.

"Reactivated" counts the contacts a rep marked reactivated that month
(alerts.Reactivation: a meeting booked from an alert).
"""
from datetime import date, timedelta

import pandas as pd
from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    IntegerField,
    Q,
    Value,
    When,
)
from django.utils.translation import gettext as _

from alerts.models import Reactivation
from contacts.models import Contact, LostReason, TouchKind
from contacts.rules import start_of_day, workspace_tz
from contacts.selectors import user_display_name
from dormancy.models import DormancyRule
from dormancy.rules import clean_definition, dormant_as_of_q, dormant_q

from .models import DormancyBreakdownDay, DormancyDay, DormancyOwnerDay
from .snapshots import SIZE_BUCKETS, breakdown_columns, dormancy_day_figures

DEFAULT_RULE = "default"
ONE_DAY = timedelta(days=1)
# Missing snapshot days the flow computes itself (about 0.5 s each at a million contacts); with more missing,
# the months they fall in are counted at their ends instead.
MAX_DAYS_COMPUTED = 3
FROM_SNAPSHOTS, DAYS_COMPUTED, MONTH_ENDS = "snapshots", "days_computed", "month_ends"


def report_rules():
    return list(DormancyRule.objects.filter(is_active=True).order_by("name", "pk"))


def rule_for(slug):
    """The rule a report asks for (?rule=slug), else the default one, else the first active one."""
    rules = DormancyRule.objects.filter(is_active=True)
    return (rules.filter(slug=slug).first() if slug else None) or rules.filter(slug=DEFAULT_RULE).first() \
        or rules.order_by("name", "pk").first()


def _members_q(rule, *, as_of, today):
    """The rule's members on `as_of`.

    Today reads the stored latest touches. A past day replays the events,
    but only for contacts touched after it: when every touch kind counts, a
    contact whose latest touch (last_touch_at, kept from counted touches
    only) is on or before `as_of` stood then exactly where its columns say,
    so the index probes run for the few who moved since (AND short-circuits).
    """
    tz = workspace_tz()
    if as_of >= today:
        return dormant_q(rule, today=as_of, tz=tz)
    replayed = dormant_as_of_q(rule, as_of=as_of, tz=tz)
    if set(clean_definition(rule)["touch_kinds"]) != set(TouchKind.values):
        return replayed
    later = Q(last_touch_at__gte=start_of_day(as_of + timedelta(days=1), tz))
    return (~later & dormant_q(rule, today=as_of, tz=tz)) | (later & replayed)


def _scoped(owner):
    contacts = Contact.objects.all()
    return contacts.filter(owner=owner) if owner is not None else contacts


BREAKDOWN_COLUMNS = ["lost_reason", "industry", "size", "owner_id", "silence", "n"]


def dormant_breakdown(rule, date_range, *, today, owner=None):
    """{"reason", "industry", "size", "owner", "silence"}: DataFrames of member counts on the range's last day
    (today at the latest), and "computed_at": when they were counted (None: now).

    Read from that day's stored breakdown (reports.snapshots, written with the
    daily snapshot: hourly for today), else counted now in one GROUP BY.
    """
    as_of = min(date_range.end, today)
    stored, records = _stored_breakdown(rule, as_of, owner=owner)
    if stored is None:
        records = (_scoped(owner).filter(_members_q(rule, as_of=as_of, today=today))
                   .annotate(**breakdown_columns(as_of, workspace_tz()))
                   .values_list("lost_reason", "industry", "size", "owner_id", "silence").annotate(n=Count("id"))
                   .order_by())
    frame = pd.DataFrame.from_records(list(records), columns=BREAKDOWN_COLUMNS)
    reasons = dict(LostReason.choices)
    owners = _owner_names(frame["owner_id"].dropna().unique())
    silence_labels = {
        "730+": _("2 years or more"), "365–729": _("1–2 years"), "180–364": _("180–364 days"),
        "90–179": _("90–179 days"), "0–89": _("under 90 days"), "never": _("Never touched"),
        "after": _("Touched again since"),
    }
    silence_order = list(silence_labels)
    return {
        "reason": _counted(frame, "lost_reason", _("Reason"),
                           lambda v: str(reasons.get(v, _("No reason recorded"))), order=[*LostReason.values, ""]),
        "industry": _counted(frame, "industry", _("Industry"), lambda v: v or _("Unknown")),
        "size": _counted(frame, "size", _("Company size (employees)"), lambda v: v or _("Unknown"),
                         order=[label for _low, label in SIZE_BUCKETS] + [""]),
        "owner": _counted(frame, "owner_id", _("Owner"),
                          lambda v: owners.get(v, _("No owner")) if not pd.isna(v) else _("No owner")),
        "silence": _counted(frame, "silence", _("Silent for"), lambda v: str(silence_labels.get(v, v)),
                            order=silence_order),
        "as_of": as_of,
        "computed_at": stored,
        "total": int(frame["n"].sum()),
    }


def _stored_breakdown(rule, day, *, owner):
    """(when it was computed, its rows in BREAKDOWN_COLUMNS order) of the day's stored breakdown, or (None, None)."""
    stored = DormancyDay.objects.filter(rule=rule, day=day, details_stored=True).values_list(
        "computed_at", flat=True).first()
    if stored is None:
        return None, None
    rows = DormancyBreakdownDay.objects.filter(rule=rule, day=day)
    if owner is not None:
        rows = rows.filter(owner=owner)
    return stored, rows.values_list("lost_reason", "industry", "size", "owner_id", "silence", "contacts")


def _owner_names(ids):
    users = get_user_model().objects.filter(pk__in=[int(pk) for pk in ids])
    return {pk: user_display_name(u, f, last) for pk, u, f, last
            in users.values_list("pk", "username", "first_name", "last_name")}


def _counted(frame, column, header, label, order=None):
    counts = frame.groupby(column, dropna=False)["n"].sum()
    if order is not None:
        counts = counts.reindex([key for key in order if key in counts.index])
    else:
        counts = counts.sort_values(ascending=False, kind="stable")
    total = counts.sum()
    return pd.DataFrame({
        header: [label(key) for key in counts.index],
        _("Dormant contacts"): counts.to_numpy(dtype=int),
        _("Share (%)"): (counts / total * 100).round(1).to_numpy() if total else [],
    })


def month_ends(date_range):
    """[(month label, first day, last day)] covering the range, the first and last months cut to it."""
    months, day = [], date(date_range.start.year, date_range.start.month, 1)
    while day <= date_range.end:
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        months.append((day.strftime("%Y-%m"), max(day, date_range.start),
                       min(following - timedelta(days=1), date_range.end)))
        day = following
    return months


def dormancy_flow(rule, date_range, *, today, owner=None):
    """Per month: dormant at its start and end, went dormant, left dormancy, reactivated, and how it was counted.

    The workspace and a rep's view read the daily snapshots; a month they
    cannot answer compares the rule's members at the month's ends (see the
    module docstring). `flow.attrs["sources"]` maps each month to
    FROM_SNAPSHOTS, DAYS_COMPUTED or MONTH_ENDS.
    """
    months = month_ends(date_range)
    figures = _flow_from_snapshots(rule, months, today=today, owner=owner)
    live = [month for month in months if month[0] not in figures]
    if live:
        figures.update(_flow_at_month_ends(rule, live, today=today, owner=owner))
    reactivated = _reactivations_by_month(months, owner=owner)
    sources = {FROM_SNAPSHOTS: _("daily snapshots"), DAYS_COMPUTED: _("daily, partly computed now"),
               MONTH_ENDS: _("month ends, computed now")}
    frame = pd.DataFrame([{
        _("Month"): label,
        _("Dormant at the start"): figures[label]["start"],
        _("Went dormant"): figures[label]["went"],
        _("Left dormancy"): figures[label]["left"],
        _("Reactivated (meeting booked)"): reactivated.get(label, 0),
        _("Dormant at the end"): figures[label]["end"],
        _("Counted from"): sources[figures[label]["source"]],
    } for label, _first, _last in months])
    frame.attrs["sources"] = {label: figures[label]["source"] for label, _first, _last in months}
    return frame


def _month_days(first, last, *, today):
    """(the day before the month, the month's days up to today): the snapshot days a month reads."""
    end = min(last, today)
    return min(first - ONE_DAY, today), [first + timedelta(days=n) for n in range((end - first).days + 1)]


def _stored_days(rule, first_day, last_day, *, owner):
    """{day: (dormant, newly dormant, reactivated)} stored for the rule (the workspace's, or `owner`'s)."""
    figures = ("dormant", "newly_dormant", "reactivated")
    days = DormancyDay.objects.filter(rule=rule, day__range=(first_day, last_day))
    if owner is None:
        return {day: tuple(row) for day, *row in days.values_list("day", *figures)}
    # A day stored with per-owner rows where the owner has none: they owned no contact that day.
    own = {day: tuple(row) for day, *row in DormancyOwnerDay.objects.filter(
        rule=rule, owner=owner, day__range=(first_day, last_day)).values_list("day", *figures)}
    return {day: own.get(day, (0, 0, 0)) for day in days.filter(details_stored=True).values_list("day", flat=True)}


def _flow_from_snapshots(rule, months, *, today, owner=None):
    """{month label: figures} for the months the rule's daily snapshots answer (the workspace's, or `owner`'s),
    in one read of them.

    Up to MAX_DAYS_COMPUTED missing days (today before beat's first run, a
    beat that stopped yesterday) are computed with the writer's query; a
    month with more missing, or whose snapshots do not add up (for an owner:
    contacts handed to or from them in it), is left out.
    """
    first_day = min(months[0][1] - ONE_DAY, today)
    last_day = min(months[-1][2], today)
    stored = _stored_days(rule, first_day, last_day, owner=owner)
    missing = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)
               if first_day + timedelta(days=n) not in stored]
    computed = set(missing) if len(missing) <= MAX_DAYS_COMPUTED else set()
    for day in sorted(computed):
        day_figures = dormancy_day_figures(rule, day=day, today=today, owner=owner)
        stored[day] = (day_figures["dormant"], day_figures["newly_dormant"], day_figures["reactivated"])
    figures = {}
    for label, first, last in months:
        before, days = _month_days(first, last, today=today)
        if any(day not in stored for day in [before, *days]):
            continue
        start, end = stored[before][0], stored[days[-1] if days else before][0]
        went, left = sum(stored[day][1] for day in days), sum(stored[day][2] for day in days)
        if start + went - left != end:
            continue
        source = DAYS_COMPUTED if computed.intersection([before, *days]) else FROM_SNAPSHOTS
        figures[label] = {"start": start, "went": went, "left": left, "end": end, "source": source}
    return figures


def _flow_at_month_ends(rule, months, *, today, owner):
    """{month label: figures} from the rule's members at each month's two ends, computed now.

    Each end's membership is one boolean per contact, computed once and
    grouped on (at most 2^(ends) rows); the flows are sums over them.
    """
    ends = sorted({day for _label, first, last in months for day in (min(first - ONE_DAY, today), min(last, today))})
    column = {day: f"s{i}" for i, day in enumerate(ends)}
    states = {column[day]: ExpressionWrapper(_members_q(rule, as_of=day, today=today), output_field=BooleanField())
              for day in ends}
    rows = _scoped(owner).annotate(**states).values(*states).annotate(n=Count("id")).order_by()
    frame = pd.DataFrame.from_records(list(rows), columns=[*states, "n"])
    for name in states:
        frame[name] = frame[name].astype(bool)

    def count(mask):
        return int(frame.loc[mask, "n"].sum())

    figures = {}
    for label, first, last in months:
        before, after = frame[column[min(first - ONE_DAY, today)]], frame[column[min(last, today)]]
        figures[label] = {"start": count(before), "went": count(after & ~before), "left": count(before & ~after),
                          "end": count(after), "source": MONTH_ENDS}
    return figures


def _reactivations_by_month(months, *, owner):
    tz = workspace_tz()
    whens = [When(at__gte=start_of_day(first, tz), at__lt=start_of_day(last + timedelta(days=1), tz),
                  then=Value(i)) for i, (_label, first, last) in enumerate(months)]
    rows = Reactivation.objects.filter(contact__in=_scoped(owner).values("pk")) if owner is not None \
        else Reactivation.objects.all()
    rows = (rows.annotate(month=Case(*whens, default=Value(-1), output_field=IntegerField()))
            .filter(~Q(month=-1)).values("month").annotate(n=Count("contact_id", distinct=True)).order_by())
    return {months[row["month"]][0]: row["n"] for row in rows}


def flow_chart(flow):
    if flow.empty:
        return {"labels": [], "series": []}
    keys = [_("Went dormant"), _("Left dormancy"), _("Reactivated (meeting booked)")]
    return {"labels": list(flow[_("Month")]),
            "series": [{"label": key, "data": [int(v) for v in flow[key]]} for key in keys]}
