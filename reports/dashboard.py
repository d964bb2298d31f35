"""Read-only queries behind the dashboard: headline tiles and chart series.

Trends read the daily snapshots (`reports.models`, written by beat); the
"now" figures are a few indexed live counts (contacts per status, stored
dormancy member counts, open alerts, contracts by lapse date). Nothing here
scans events. Chart series are plain lists the template hands to the page
with `json_script`.
"""
from collections import defaultdict
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Sum

from alerts.models import Alert
from alerts.selectors import ACTIVE as ACTIVE_ALERTS
from campaigns.models import Campaign, RescueChoice
from contacts.models import Contact, ContactStatus, Contract, ContractStatus
from contacts.selectors import overview_lapsing, recent_imports
from dormancy.models import DormancyRule
from dormancy.selectors import rule_member_counts
from segments.selectors import PhaseOffsets

from .models import AlertResponseDay, CampaignFunnelDay, DormancyDay

DEFAULT_RULE_SLUG = "default"
TREND_DAYS = 90
FUNNEL_DAYS = 90
FUNNEL_CAMPAIGNS = 6
RESPONSE_DAYS = 30
PIPELINE_WEEKS = 13  # the week just lapsed and the next twelve
FUNNEL_STAGES = ("sent", "delivered", "opened", "clicked", "revisited", "meetings", "renewals")
PIPELINE_PHASES = ("lapsed", "final_days", "notice", "pre_notice", "later")
DEFAULT_OFFSETS = PhaseOffsets()


def quarter_start(today):
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def active_rules():
    """Active dormancy rules, the default rule first (it answers the single-figure tiles)."""
    rules = list(DormancyRule.objects.filter(is_active=True).order_by("name", "pk"))
    return sorted(rules, key=lambda rule: rule.slug != DEFAULT_RULE_SLUG)


def status_counts():
    """{status: contacts}, one GROUP BY that the status index answers alone (COUNT(*), not of a column)."""
    rows = Contact.objects.order_by().values_list("status").annotate(n=Count("*"))
    found = dict(rows)
    return {value: found.get(value, 0) for value in ContactStatus.values}


def dormancy_moves(rules, *, today):
    """{rule id: {"week": newly dormant in the last 7 days, "month": reactivated since the 1st}}, one query."""
    week_start, month_start = today - timedelta(days=6), today.replace(day=1)
    rows = (DormancyDay.objects.filter(rule__in=rules, day__gte=min(week_start, month_start), day__lte=today)
            .values("rule").annotate(week=Sum("newly_dormant", filter=Q(day__gte=week_start)),
                                     month=Sum("reactivated", filter=Q(day__gte=month_start)))
            .order_by())
    moves = {row["rule"]: {"week": row["week"] or 0, "month": row["month"] or 0} for row in rows}
    return {rule.pk: moves.get(rule.pk, {"week": 0, "month": 0}) for rule in rules}


def open_alert_count():
    return Alert.objects.filter(status__in=ACTIVE_ALERTS).count()


def rescue_rate(*, today):
    """Contracts whose lapse date fell this quarter up to today: how many were rescued (renewed, or a rescue
    option chosen). Returns {"total", "rescued", "rate" (0–100 or None), "since"}."""
    since = quarter_start(today)
    chosen = RescueChoice.objects.filter(contract=OuterRef("pk"))
    counts = Contract.objects.filter(expires_at__gte=since, expires_at__lte=today).aggregate(
        total=Count("id"), rescued=Count("id", filter=Q(status=ContractStatus.RENEWED) | Q(Exists(chosen))))
    rate = round(100 * counts["rescued"] / counts["total"], 1) if counts["total"] else None
    return {**counts, "rate": rate, "since": since}


def snapshot_freshness(*, today):
    """The latest day with dormancy snapshots (None when beat has never run)."""
    return DormancyDay.objects.filter(day__lte=today).order_by("-day").values_list("day", flat=True).first()


def dashboard_tiles(*, today):
    rules = active_rules()
    counts = rule_member_counts(rules, today=today) if rules else {}
    moves = dormancy_moves(rules, today=today) if rules else {}
    by_status = status_counts()
    return {
        "contacts": sum(by_status.values()),
        "by_status": by_status,
        "rules": [{"rule": rule, "dormant": counts.get(rule.pk), **moves[rule.pk]} for rule in rules],
        "alerts_open": open_alert_count(),
        "lapsing": overview_lapsing(today=today),
        "rescue": rescue_rate(today=today),
        "imports": recent_imports(),
        "snapshot_day": snapshot_freshness(today=today),
    }


# -- charts -------------------------------------------------------------------

def _days(first, last):
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def dormancy_trend(rules, *, today, days=TREND_DAYS):
    """Dormant members per rule per day over the last `days` days (None where no snapshot), and the default
    rule's newly dormant and reactivated per day."""
    first = today - timedelta(days=days - 1)
    rows = DormancyDay.objects.filter(rule__in=rules, day__range=(first, today)).values_list(
        "rule", "day", "dormant", "newly_dormant", "reactivated")
    table = {(rule, day): (dormant, newly, back) for rule, day, dormant, newly, back in rows}
    labels = _days(first, today)
    series = [{"label": rule.name, "data": [table.get((rule.pk, day), (None,))[0] for day in labels]}
              for rule in rules]
    main = rules[0].pk if rules else None
    moves = {"newly": [table.get((main, day), (0, 0, 0))[1] for day in labels],
             "reactivated": [table.get((main, day), (0, 0, 0))[2] for day in labels]}
    return {"labels": [day.isoformat() for day in labels], "series": series, "moves": moves}


def campaign_funnels(*, today, days=FUNNEL_DAYS, limit=FUNNEL_CAMPAIGNS):
    """The campaigns with the most messages sent in the last `days` days, each stage summed."""
    first = today - timedelta(days=days - 1)
    rows = list(CampaignFunnelDay.objects.filter(day__range=(first, today)).values("campaign")
                .annotate(**{stage: Sum(stage) for stage in FUNNEL_STAGES}).order_by("-sent", "campaign")[:limit])
    names = dict(Campaign.objects.filter(pk__in=[row["campaign"] for row in rows]).values_list("pk", "name"))
    for row in rows:
        row["name"] = names.get(row["campaign"], "")
        row["cells"] = [{"stage": stage, "value": row[stage],
                         "rate": round(100 * row[stage] / row["sent"], 1) if row["sent"] and stage != "sent" else None}
                        for stage in FUNNEL_STAGES]
    return rows


def _phase(days_left, offsets):
    if days_left < 0:
        return "lapsed"
    if days_left <= offsets.final_days:
        return "final_days"
    if days_left <= offsets.notice:
        return "notice"
    if days_left <= offsets.pre_notice:
        return "pre_notice"
    return "later"


def lapse_pipeline(*, today, weeks=PIPELINE_WEEKS, offsets=DEFAULT_OFFSETS):
    """Open contracts by lapse week (the last 7 days, then the next weeks) and phase: count and amount.

    One GROUP BY lapse date on the (status, expires_at) index; bucketed here (a few dozen rows).
    """
    first = today - timedelta(days=offsets.lapsed)
    last = first + timedelta(days=7 * weeks - 1)
    rows = (Contract.objects.filter(Q(status=ContractStatus.ACTIVE, expires_at__gte=today)
                                    | Q(status__in=[ContractStatus.ACTIVE, ContractStatus.LAPSED],
                                        expires_at__lt=today), expires_at__range=(first, last))
            .values("expires_at").annotate(n=Count("id"), amount=Sum("amount")).order_by())
    counts = defaultdict(lambda: [0] * weeks)
    amounts = defaultdict(lambda: [0] * weeks)
    for row in rows:
        week = (row["expires_at"] - first).days // 7
        phase = _phase((row["expires_at"] - today).days, offsets)
        counts[phase][week] += row["n"]
        amounts[phase][week] += float(row["amount"] or 0)
    labels = [(first + timedelta(days=7 * week)).isoformat() for week in range(weeks)]
    return {"labels": labels, "phases": [{"phase": phase, "counts": counts[phase], "amounts": amounts[phase]}
                                         for phase in PIPELINE_PHASES]}


def alert_response_by_rep(*, today, days=RESPONSE_DAYS):
    """Per rep over the last `days` days: alerts claimed, average wait (minutes), share claimed within an hour."""
    first = today - timedelta(days=days - 1)
    rows = list(AlertResponseDay.objects.filter(day__range=(first, today)).values("rep")
                .annotate(claimed=Sum("claimed"), seconds=Sum("total_seconds"), within=Sum("within_hour"))
                .order_by("rep"))
    users = get_user_model().objects.in_bulk([row["rep"] for row in rows])
    result = []
    for row in rows:
        user = users.get(row["rep"])
        result.append({
            "rep": (user.get_full_name() or user.username) if user else str(row["rep"]),
            "claimed": row["claimed"],
            "avg_minutes": round(row["seconds"] / row["claimed"] / 60, 1) if row["claimed"] else None,
            "within_hour": round(100 * row["within"] / row["claimed"], 1) if row["claimed"] else None,
        })
    return sorted(result, key=lambda row: (row["avg_minutes"] is None, row["avg_minutes"] or 0, row["rep"]))

