"""Campaign report: the funnel per step and A/B variant, suppressions by reason, and the holdout lift.

Everything is counted in the database (one GROUP BY per table) and shaped
with pandas. Definitions (the report's footnotes say them in words):

- A delivery belongs to the range when it was due (`scheduled_at`) in it;
  held-out rows carry the same due time, so both arms share one clock.
- Opens, clicks, revisits (page views), replies and meetings count for a
  sent delivery when the contact made such a touch within ATTRIBUTION_DAYS
  after it was sent. Each is a count of deliveries (recipients), not of
  events; a click also counts as an open. Bot-flagged touches never count; deliveries whose only opens or
  clicks were bot-flagged are shown in their own columns.
- Unsubscribed: the address was put on the suppression list as unsubscribed
  within the window. Bounced: refused by the mail server when sent, or a
  provider reported a bounce for the address within the window.
- Reactivated (the holdout comparison): within REACTIVATION_DAYS after the
  due time, the contact made a touch that means it came back on its own
  (REACTIVATION_KINDS: a page view, form, download, webinar, reply or a
  meeting) or a rep recorded a reactivation (alerts.Reactivation, a meeting
  booked from an alert). For enrollments the touch must come after the
  entry itself (the touch that entered a contact into a touch-triggered
  sequence is not a return). Opens and clicks of our mail are left out: the
  control group cannot make them, so counting them would manufacture lift.
  The unit is a delivery row of the campaign's first step (one per contact,
  per run for a recurring newsletter) or, for sequences and playbooks, an
  enrollment; the mailed arm is everyone assigned to be mailed, sent or not
  (intention to treat), because the holdout is drawn before suppression.
"""
from datetime import timedelta

import pandas as pd
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from alerts.models import Reactivation
from campaigns.flows.rules import ExitReason
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignStep,
    Delivery,
    DeliveryStatus,
    Enrollment,
    SkipReason,
    Suppression,
    SuppressionReason,
)
from contacts.models import TouchEvent, TouchKind
from contacts.rules import start_of_day, workspace_tz

from . import campaign_sql
from .stats import holdout_compare

ATTRIBUTION_DAYS = 30
REACTIVATION_DAYS = 30
REACTIVATION_KINDS = (TouchKind.PAGE_VIEW, TouchKind.FORM_SUBMIT, TouchKind.DOWNLOAD, TouchKind.WEBINAR,
                      TouchKind.REPLY, TouchKind.MEETING)
DELIVERY_KINDS = (CampaignKind.BROADCAST, CampaignKind.RECURRING)
FLAGS = ("opened", "clicked", "bot_opened", "bot_clicked", "revisited", "replied", "met", "unsubscribed",
         "bounce_reported")


def range_bounds(date_range):
    """[start, end) as aware datetimes: midnight of the first day to midnight after the last, workspace time."""
    tz = workspace_tz()
    return start_of_day(date_range.start, tz), start_of_day(date_range.end + timedelta(days=1), tz)


def _window_end(field, days):
    return ExpressionWrapper(OuterRef(field) + timedelta(days=days), output_field=DateTimeField())


def _touched(kinds, *, bot=False, since="sent_at", days=ATTRIBUTION_DAYS, strictly_after=False):
    start = {"occurred_at__gt" if strictly_after else "occurred_at__gte": OuterRef(since)}
    return Exists(TouchEvent.objects.filter(
        contact_id=OuterRef("contact_id"), kind__in=kinds, flagged_as_bot=bot,
        occurred_at__lt=_window_end(since, days), **start))


# What a sent delivery's recipient did in the window, as powers of two summed over DISTINCT codes (a bit mask
# that PostgreSQL and SQLite both compute): one index probe per delivery instead of one per kind.
TOUCH_BITS = (
    ("opened", TouchKind.EMAIL_OPEN, False), ("any_open_bot", TouchKind.EMAIL_OPEN, True),
    ("clicked", TouchKind.EMAIL_CLICK, False), ("any_click_bot", TouchKind.EMAIL_CLICK, True),
    ("revisited", TouchKind.PAGE_VIEW, False), ("replied", TouchKind.REPLY, False), ("met", TouchKind.MEETING, False),
)


def _touch_mask():
    whens = [When(kind=kind, flagged_as_bot=bot, then=Value(2 ** bit))
             for bit, (_name, kind, bot) in enumerate(TOUCH_BITS)]
    events = (TouchEvent.objects.filter(
        contact_id=OuterRef("contact_id"), kind__in=sorted({kind for _name, kind, _bot in TOUCH_BITS}),
        occurred_at__gte=OuterRef("sent_at"), occurred_at__lt=_window_end("sent_at", ATTRIBUTION_DAYS))
        .order_by().values("contact_id")
        .annotate(mask=Sum(Case(*whens, default=Value(0), output_field=IntegerField()), distinct=True))
        .values("mask"))
    return Subquery(events, output_field=IntegerField())


def _suppression_reason():
    """The reason the address went on the suppression list within the window (one row per address), or NULL."""
    return Subquery(Suppression.objects.filter(
        email=OuterRef("to_email"),
        created_at__gte=OuterRef("sent_at"), created_at__lt=_window_end("sent_at", ATTRIBUTION_DAYS),
    ).values("reason")[:1])


def reportable_campaigns():
    """Campaigns that have started (a draft has nothing to report), newest first."""
    return (Campaign.objects.exclude(status=CampaignStatus.DRAFT).order_by("-started_at", "-id")
            .only("id", "name", "kind", "status", "started_at", "holdout_percent"))


def _joined():
    """PostgreSQL answers the per-delivery questions with one hash join (reports.campaign_sql); SQLite per row."""
    return connection.vendor == "postgresql"


def _delivery_groups(campaign, date_range, *, joined=None):
    """One row per (step, variant, status, reason, flags…) with its count: the whole funnel in one GROUP BY."""
    start, end = range_bounds(date_range)
    if _joined() if joined is None else joined:
        rows = campaign_sql.delivery_groups(campaign_id=campaign.pk, start=start, end=end, touch_bits=TOUCH_BITS,
                                            days=ATTRIBUTION_DAYS)
    else:
        rows = (Delivery.objects.filter(step__campaign=campaign, scheduled_at__gte=start, scheduled_at__lt=end)
                .annotate(touches=_touch_mask(), listed=_suppression_reason())
                .values("step_id", "variant", "status", "reason", "touches", "listed").annotate(n=Count("id"))
                .order_by())
    frame = pd.DataFrame.from_records(list(rows), columns=["step_id", "variant", "status", "reason", "touches",
                                                           "listed", "n"])
    mask = frame["touches"].fillna(0).astype(int)
    for bit, (name, _kind, _bot) in enumerate(TOUCH_BITS):
        frame[name] = (mask & 2 ** bit) > 0
    # A click proves an open (the dashboard's funnel counts it so too): image-blocking mail apps never load the pixel.
    frame["opened"] = frame["opened"] | frame["clicked"]
    frame["bot_opened"] = frame["any_open_bot"] & ~frame["opened"]
    frame["bot_clicked"] = frame["any_click_bot"] & ~frame["clicked"]
    frame["unsubscribed"] = frame["listed"].eq(SuppressionReason.UNSUBSCRIBED)
    frame["bounce_reported"] = frame["listed"].eq(SuppressionReason.BOUNCED)
    return frame


def _steps(campaign):
    return {step.pk: step for step in CampaignStep.objects.filter(campaign=campaign).order_by("position")}


def _step_label(step):
    label = step.name or step.get_kind_display()
    if step.phase:
        label = f"{step.get_phase_display()} · {label}"
    return f"{step.position}. {label}"


def campaign_funnel(campaign, date_range, *, joined=None):
    """(funnel, suppressions): DataFrames with translated column headers, ready to show and to export.

    `joined` picks the query form (default: the joined one on PostgreSQL); tests compare the two."""
    groups = _delivery_groups(campaign, date_range, joined=joined)
    steps = _steps(campaign)
    return _funnel_frame(groups, steps), _suppression_frame(groups, steps)


def _funnel_frame(groups, steps):
    columns = [_("Step"), _("Variant"), _("Targeted"), _("Held out"), _("Not sent (suppressed)"), _("Sent"),
               _("Failed"), _("Waiting"), _("Opened"), _("Clicked"), _("Opened by a bot only"),
               _("Clicked by a bot only"), _("Revisited the site"), _("Replied"), _("Meeting"), _("Unsubscribed"),
               _("Bounced"), _("Open rate (%)"), _("Click rate (%)")]
    if groups.empty:
        return pd.DataFrame(columns=columns)
    g = groups.copy()
    sent = g["status"] == DeliveryStatus.SENT
    for flag in FLAGS:
        g[flag] = g[flag].astype(bool) & sent
    g["held"] = (g["status"] == DeliveryStatus.SUPPRESSED) & (g["reason"] == SkipReason.HOLDOUT)
    g["suppressed"] = (g["status"] == DeliveryStatus.SUPPRESSED) & ~g["held"]
    g["sent"] = sent
    g["failed"] = g["status"] == DeliveryStatus.FAILED
    g["waiting"] = g["status"].isin([DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN])
    g["bounced"] = (g["failed"] & (g["reason"] == SkipReason.SMTP_REJECTED)) | g["bounce_reported"]
    measures = ["held", "suppressed", "sent", "failed", "waiting", "opened", "clicked", "bot_opened", "bot_clicked",
                "revisited", "replied", "met", "unsubscribed", "bounced"]
    for measure in measures:
        g[measure] = g[measure].astype(int) * g["n"]
    table = g.groupby(["step_id", "variant"], sort=True)[["n", *measures]].sum().reset_index()
    table["position"] = table["step_id"].map(lambda pk: steps[pk].position if pk in steps else 0)
    table = table.sort_values(["position", "variant"])
    rates = table["sent"].where(table["sent"] > 0)
    out = pd.DataFrame({
        columns[0]: table["step_id"].map(lambda pk: _step_label(steps[pk]) if pk in steps else str(pk)),
        columns[1]: table["variant"],
        columns[2]: table["n"],
        **{columns[3 + i]: table[m] for i, m in enumerate(measures)},
        columns[17]: (table["opened"] / rates * 100).round(1),
        columns[18]: (table["clicked"] / rates * 100).round(1),
    })
    return out.reset_index(drop=True)


def _suppression_frame(groups, steps):
    columns = [_("Step"), _("Variant"), _("Reason"), _("Contacts")]
    if groups.empty:
        return pd.DataFrame(columns=columns)
    labels = dict(SkipReason.choices)
    kept = groups[(groups["status"] == DeliveryStatus.SUPPRESSED) & (groups["reason"] != SkipReason.HOLDOUT)]
    table = kept.groupby(["step_id", "variant", "reason"])["n"].sum().reset_index()
    table["position"] = table["step_id"].map(lambda pk: steps[pk].position if pk in steps else 0)
    table = table.sort_values(["position", "variant", "n"], ascending=[True, True, False])
    return pd.DataFrame({
        columns[0]: table["step_id"].map(lambda pk: _step_label(steps[pk]) if pk in steps else str(pk)),
        columns[1]: table["variant"],
        columns[2]: table["reason"].map(lambda value: str(labels.get(value, value or _("No reason recorded")))),
        columns[3]: table["n"],
    }).reset_index(drop=True)


def _reactivated(since, *, strictly_after=False):
    came_back = _touched(REACTIVATION_KINDS, since=since, days=REACTIVATION_DAYS, strictly_after=strictly_after)
    marked = Exists(Reactivation.objects.filter(contact_id=OuterRef("contact_id"), at__gte=OuterRef(since),
                                                at__lt=_window_end(since, REACTIVATION_DAYS)))
    return ExpressionWrapper(came_back | marked, output_field=BooleanField())


def _holdout_units(campaign, date_range, *, joined=None):
    start, end = range_bounds(date_range)
    if _joined() if joined is None else joined:
        if campaign.kind in DELIVERY_KINDS:
            first = CampaignStep.objects.filter(campaign=campaign).order_by("position").values_list("pk", flat=True)
            return campaign_sql.holdout_units(
                first_step_id=first.first(), start=start, end=end, kinds=REACTIVATION_KINDS, days=REACTIVATION_DAYS,
                held=("d.status = %s AND d.reason = %s", [DeliveryStatus.SUPPRESSED, SkipReason.HOLDOUT]))
        return campaign_sql.holdout_units(campaign_id=campaign.pk, start=start, end=end, kinds=REACTIVATION_KINDS,
                                          days=REACTIVATION_DAYS, held=("d.exit_reason = %s", [ExitReason.HOLDOUT]))
    if campaign.kind in DELIVERY_KINDS:
        first = CampaignStep.objects.filter(campaign=campaign).order_by("position").values("pk")[:1]
        units = Delivery.objects.filter(step_id__in=first, scheduled_at__gte=start, scheduled_at__lt=end).annotate(
            held=ExpressionWrapper(Q(status=DeliveryStatus.SUPPRESSED, reason=SkipReason.HOLDOUT),
                                   output_field=BooleanField()),
            reactivated=_reactivated("scheduled_at"))
    else:
        units = Enrollment.objects.filter(campaign=campaign, entered_at__gte=start, entered_at__lt=end).annotate(
            held=ExpressionWrapper(Q(exit_reason=ExitReason.HOLDOUT), output_field=BooleanField()),
            # Strictly after entry: a sequence entered on a touch (a pricing view) is entered at that touch's
            # moment, and the touch that let a contact in is not the contact coming back.
            reactivated=_reactivated("entered_at", strictly_after=True))
    return list(units.values("held", "reactivated").annotate(n=Count("id")).order_by())


def campaign_holdout(campaign, date_range, *, joined=None):
    """The holdout comparison (reports.stats.HoldoutComparison) over the units due in the range."""
    counts = {(bool(row["held"]), bool(row["reactivated"])): row["n"]
              for row in _holdout_units(campaign, date_range, joined=joined)}
    mailed_yes, mailed_no = counts.get((False, True), 0), counts.get((False, False), 0)
    held_yes, held_no = counts.get((True, True), 0), counts.get((True, False), 0)
    return holdout_compare(mailed=mailed_yes + mailed_no, mailed_reactivated=mailed_yes,
                           holdout=held_yes + held_no, holdout_reactivated=held_yes)


def holdout_frame(comparison):
    """The comparison as a small table for the export."""
    def pct(value):
        return None if value is None else round(value * 100, 2)

    return pd.DataFrame({
        _("Group"): [_("Mailed"), _("Holdout"), _("Lift (percentage points)")],
        _("Contacts"): [comparison.mailed, comparison.holdout, None],
        _("Reactivated"): [comparison.mailed_reactivated, comparison.holdout_reactivated, None],
        _("Rate (%)"): [pct(comparison.mailed_rate), pct(comparison.holdout_rate), pct(comparison.lift)],
        _("95% interval low"): [None, None, pct(comparison.lift_low)],
        _("95% interval high"): [None, None, pct(comparison.lift_high)],
    })


def funnel_chart(funnel):
    """Chart data: per step and variant, the main funnel stages (labels already translated)."""
    stages = [_("Sent"), _("Opened"), _("Clicked"), _("Revisited the site"), _("Replied"), _("Meeting")]
    if funnel.empty:
        return {"labels": stages, "series": []}
    series = [{"label": f"{row[_('Step')]} · {row[_('Variant')]}", "data": [int(row[s]) for s in stages]}
              for _i, row in funnel.iterrows()]
    return {"labels": stages, "series": series}


__all__ = ["ATTRIBUTION_DAYS", "REACTIVATION_DAYS", "campaign_funnel", "campaign_holdout", "funnel_chart",
           "holdout_frame", "range_bounds", "reportable_campaigns"]
