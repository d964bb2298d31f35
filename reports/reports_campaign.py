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

The per-row answers (what a recipient did in its window, whether a unit came
back) are read from columns on Delivery and Enrollment that
reports.campaign_answers keeps as facts arrive and repairs nightly, so a
report only groups rows. The same questions asked live of the touch history
(reports.campaign_rules per row, reports.campaign_sql joined) remain as the
reference: tests check the stored answers against them.
"""
from datetime import timedelta

import pandas as pd
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.utils.translation import gettext as _

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
    SuppressionReason,
)
from contacts.rules import start_of_day, workspace_tz

from . import campaign_rules, campaign_sql
from .campaign_rules import ATTRIBUTION_DAYS, REACTIVATION_DAYS, REACTIVATION_KINDS, TOUCH_BITS
from .stats import holdout_compare

DELIVERY_KINDS = (CampaignKind.BROADCAST, CampaignKind.RECURRING)
FLAGS = ("opened", "clicked", "bot_opened", "bot_clicked", "revisited", "replied", "met", "unsubscribed",
         "bounce_reported")
# Where the per-row answers come from: the columns reports.campaign_answers keeps (what pages and exports read),
# or asked live of the touch history, joined (PostgreSQL) or per row: the reference the stored ones must equal.
STORED, JOINED, PER_ROW = "stored", "joined", "per_row"
FORMS = (STORED, JOINED, PER_ROW)


def range_bounds(date_range):
    """[start, end) as aware datetimes: midnight of the first day to midnight after the last, workspace time."""
    tz = workspace_tz()
    return start_of_day(date_range.start, tz), start_of_day(date_range.end + timedelta(days=1), tz)


def reportable_campaigns():
    """Campaigns that have started (a draft has nothing to report), newest first."""
    return (Campaign.objects.exclude(status=CampaignStatus.DRAFT).order_by("-started_at", "-id")
            .only("id", "name", "kind", "status", "started_at", "holdout_percent"))


def _form(form):
    """The form asked for; None: the stored answers (the live forms are references and tools for repairs)."""
    form = form or STORED
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}")
    if form == JOINED and connection.vendor != "postgresql":
        raise ValueError("the joined form is PostgreSQL's")
    return form


def _delivery_groups(campaign, date_range, *, form=None):
    """One row per (step, variant, status, reason, flags…) with its count: the whole funnel in one GROUP BY."""
    start, end = range_bounds(date_range)
    form = _form(form)
    if form == JOINED:
        rows = campaign_sql.delivery_groups(campaign_id=campaign.pk, start=start, end=end, touch_bits=TOUCH_BITS,
                                            days=ATTRIBUTION_DAYS)
    else:
        deliveries = Delivery.objects.filter(step__campaign=campaign, scheduled_at__gte=start, scheduled_at__lt=end)
        if form == STORED:
            deliveries = deliveries.annotate(touches=F("report_touches"), listed=F("report_listed"))
        else:
            models = campaign_rules.facts()
            deliveries = deliveries.annotate(touches=campaign_rules.touch_mask(models),
                                             listed=campaign_rules.suppression_reason(models))
        rows = (deliveries.values("step_id", "variant", "status", "reason", "touches", "listed")
                .annotate(n=Count("id")).order_by())
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


def campaign_funnel(campaign, date_range, *, form=None):
    """(funnel, suppressions): DataFrames with translated column headers, ready to show and to export.

    `form` picks where the per-row answers come from (FORMS; default: the stored ones); tests compare them."""
    groups = _delivery_groups(campaign, date_range, form=form)
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


def _holdout_units(campaign, date_range, *, form=None):
    start, end = range_bounds(date_range)
    form = _form(form)
    if form == JOINED:
        if campaign.kind in DELIVERY_KINDS:
            first = CampaignStep.objects.filter(campaign=campaign).order_by("position").values_list("pk", flat=True)
            return campaign_sql.holdout_units(
                first_step_id=first.first(), start=start, end=end, kinds=REACTIVATION_KINDS, days=REACTIVATION_DAYS,
                held=("d.status = %s AND d.reason = %s", [DeliveryStatus.SUPPRESSED, SkipReason.HOLDOUT]))
        return campaign_sql.holdout_units(campaign_id=campaign.pk, start=start, end=end, kinds=REACTIVATION_KINDS,
                                          days=REACTIVATION_DAYS, held=("d.exit_reason = %s", [ExitReason.HOLDOUT]))
    models = campaign_rules.facts()
    if campaign.kind in DELIVERY_KINDS:
        first = CampaignStep.objects.filter(campaign=campaign).order_by("position").values("pk")[:1]
        units = Delivery.objects.filter(step_id__in=first, scheduled_at__gte=start, scheduled_at__lt=end).annotate(
            held=ExpressionWrapper(Q(status=DeliveryStatus.SUPPRESSED, reason=SkipReason.HOLDOUT),
                                   output_field=BooleanField()),
            reactivated=(F("report_came_back") if form == STORED
                         else campaign_rules.came_back(models, "scheduled_at")))
    else:
        units = Enrollment.objects.filter(campaign=campaign, entered_at__gte=start, entered_at__lt=end).annotate(
            held=ExpressionWrapper(Q(exit_reason=ExitReason.HOLDOUT), output_field=BooleanField()),
            reactivated=(F("report_came_back") if form == STORED
                         else campaign_rules.came_back(models, "entered_at", strictly_after=True)))
    return list(units.values("held", "reactivated").annotate(n=Count("id")).order_by())


def campaign_holdout(campaign, date_range, *, form=None):
    """The holdout comparison (reports.stats.HoldoutComparison) over the units due in the range; `form`: FORMS."""
    counts = {(bool(row["held"]), bool(row["reactivated"])): row["n"]
              for row in _holdout_units(campaign, date_range, form=form)}
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


__all__ = ["ATTRIBUTION_DAYS", "FORMS", "JOINED", "PER_ROW", "REACTIVATION_DAYS", "REACTIVATION_KINDS", "STORED",
           "TOUCH_BITS", "campaign_funnel", "campaign_holdout", "funnel_chart",
           "holdout_frame", "range_bounds", "reportable_campaigns"]
