"""Rescue report: per playbook, what each phase and message reached, which options were chosen and when, and
what was renewed, lapsed and kept.

The cohort is the playbook's timelines whose lapse date falls in the range
(one per contract). Definitions:

- Reached by a step: the step's mail was sent for that contract, or, for a
  call step, its call task was created. The phase reached by a timeline is
  the last step that reached it; "not reached" are timelines held out or
  whose phases had all passed when the contract joined.
- Renewed: the contract's status is renewed or its lapse date moved past the
  one the timeline was placed on (the rule the playbook stops on). Lapsed:
  not renewed, and its status is lapsed, or it is still active with the lapse
  date behind us. Cancelled: not renewed and cancelled. Open: the rest.
- Revenue kept: the sum of the renewed contracts' amounts (their amount
  today, so a smaller plan chosen counts at its smaller amount).
- When an option was chosen, relative to the deadline: the deadline day
  (campaigns.flows.rules.rescue_deadline) minus the day it was chosen, in
  the workspace calendar; 0 is the deadline day itself.
"""
import pandas as pd
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from campaigns.flows.rules import rescue_deadline
from campaigns.models import (
    CallTask,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignStep,
    Delivery,
    DeliveryStatus,
    FlowSettings,
    PlaybookPhase,
    PlaybookTimeline,
    RescueChoice,
    RescueOption,
    StepKind,
)
from contacts.models import ContractStatus
from contacts.rules import workspace_tz


def reportable_playbooks():
    return (Campaign.objects.filter(kind=CampaignKind.PLAYBOOK).exclude(status=CampaignStatus.DRAFT)
            .order_by("-started_at", "-id").only("id", "name", "status", "started_at"))


def _renewed_q():
    return Q(contract__status=ContractStatus.RENEWED) | Q(contract__expires_at__gt=F("lapse_date"))


def _flag(q):
    return ExpressionWrapper(q, output_field=BooleanField())


def _reached(step):
    if step.kind == StepKind.CALL_TASK:
        return Exists(CallTask.objects.filter(step=step, enrollment_id=OuterRef("enrollment_id")))
    return Exists(Delivery.objects.filter(step=step, contract_id=OuterRef("contract_id"), status=DeliveryStatus.SENT))


def _timeline_groups(playbook, steps, date_range, *, today):
    """One row per combination of (steps reached, outcome, option chosen) with its contracts and amounts."""
    renewed = _renewed_q()
    reached = {f"r{step.position}": _reached(step) for step in steps}
    choice = RescueChoice.objects.filter(campaign=playbook, contract_id=OuterRef("contract_id")).values("option_id")
    rows = (PlaybookTimeline.objects.filter(campaign=playbook, lapse_date__gte=date_range.start,
                                            lapse_date__lte=date_range.end)
            .annotate(**reached, option=Subquery(choice[:1]), renewed=_flag(renewed),
                      lapsed=_flag(~renewed & (Q(contract__status=ContractStatus.LAPSED)
                                               | Q(contract__status=ContractStatus.ACTIVE, lapse_date__lt=today))),
                      cancelled=_flag(~renewed & Q(contract__status=ContractStatus.CANCELLED)))
            .values(*reached, "option", "renewed", "lapsed", "cancelled")
            .annotate(n=Count("pk"), amount=Sum("contract__amount")).order_by())
    frame = pd.DataFrame.from_records(list(rows), columns=[*reached, "option", "renewed", "lapsed", "cancelled", "n",
                                                           "amount"])
    for column in [*reached, "renewed", "lapsed", "cancelled"]:
        frame[column] = frame[column].astype(bool)
    frame["amount"] = frame["amount"].fillna(0).astype(float)
    frame["chose"] = frame["option"].notna()
    return frame


def _step_label(step):
    phase = dict(PlaybookPhase.choices).get(step.phase, step.phase or "")
    name = step.name or step.get_kind_display()
    return f"{step.position}. {phase} · {name}" if phase else f"{step.position}. {name}"


def _outcomes(part):
    n = int(part["n"].sum())
    renewed = int(part.loc[part["renewed"], "n"].sum())
    return {
        _("Contracts"): n,
        _("Chose an option"): int(part.loc[part["chose"], "n"].sum()),
        _("Renewed"): renewed,
        _("Lapsed"): int(part.loc[part["lapsed"], "n"].sum()),
        _("Cancelled"): int(part.loc[part["cancelled"], "n"].sum()),
        _("Renewal rate (%)"): round(renewed / n * 100, 1) if n else None,
        _("Revenue kept"): round(float(part.loc[part["renewed"], "amount"].sum()), 2),
    }


def rescue_report(playbook, date_range, *, today):
    """{"steps", "phases", "options", "timing", "totals"}: DataFrames (translated headers) and a totals dict."""
    steps = list(CampaignStep.objects.filter(campaign=playbook).order_by("position"))
    options = list(RescueOption.objects.filter(campaign=playbook).order_by("position"))
    frame = _timeline_groups(playbook, steps, date_range, today=today)
    return {
        "steps": _by_step(frame, steps),
        "phases": _by_phase_reached(frame, steps),
        "options": _by_option(frame, options),
        "timing": _option_timing(playbook, steps, options, date_range),
        "totals": _outcomes(frame),
    }


def _by_step(frame, steps):
    rows = []
    for step in steps:
        part = frame[frame[f"r{step.position}"]]
        rows.append({_("Phase and message"): _step_label(step), **_outcomes(part)})
    return pd.DataFrame(rows, columns=[_("Phase and message"), *_outcomes(frame.iloc[0:0])])


def _by_phase_reached(frame, steps):
    furthest = pd.Series("", index=frame.index, dtype=object)
    for step in steps:  # later steps overwrite earlier ones: the last one reached wins
        furthest = furthest.mask(frame[f"r{step.position}"], _step_label(step))
    labels = [_step_label(step) for step in steps] + [_("Not reached")]
    furthest = furthest.replace("", _("Not reached"))
    rows = []
    for label in labels:
        part = frame[furthest == label]
        if not part.empty:
            rows.append({_("Last phase reached"): label, **_outcomes(part)})
    return pd.DataFrame(rows, columns=[_("Last phase reached"), *_outcomes(frame.iloc[0:0])])


def _by_option(frame, options):
    chosen_total = int(frame.loc[frame["chose"], "n"].sum())
    rows = []
    for option in [*options, None]:
        part = frame[frame["option"] == option.pk] if option else frame[~frame["chose"]]
        outcomes = _outcomes(part)
        share = round(outcomes[_("Contracts")] / chosen_total * 100, 1) if option and chosen_total else None
        rows.append({_("Option"): option.label if option else _("No option chosen"),
                     _("Kind"): option.get_kind_display() if option else "",
                     _("Share of choices (%)"): share, **outcomes})
    return pd.DataFrame(rows)


def _timing_bucket(days_left):
    if days_left >= 8:
        return _("8 days or more before the deadline")
    if days_left >= 1:
        return _("1–7 days before the deadline")
    if days_left == 0:
        return _("On the deadline day")
    return _("After the deadline")


def _option_timing(playbook, steps, options, date_range):
    """Choices per option and day-before-deadline bucket (grouped in SQL by option, lapse date and day chosen)."""
    lapse = PlaybookTimeline.objects.filter(campaign=playbook, contract_id=OuterRef("contract_id")).values("lapse_date")
    rows = (RescueChoice.objects.filter(campaign=playbook)
            .annotate(lapse_date=Subquery(lapse[:1]), day=TruncDate("chosen_at", tzinfo=workspace_tz()))
            .filter(lapse_date__gte=date_range.start, lapse_date__lte=date_range.end)
            .values("option_id", "lapse_date", "day").annotate(n=Count("pk")).order_by())
    columns = [_("Option"), _("When"), _("Choices"), _("Average days before the deadline")]
    grouped = pd.DataFrame.from_records(list(rows), columns=["option_id", "lapse_date", "day", "n"])
    if grouped.empty:
        return pd.DataFrame(columns=columns)
    flow = FlowSettings.objects.filter(campaign=playbook).first() or FlowSettings(campaign=playbook)
    notice = next((step.offset_days for step in steps if step.phase == PlaybookPhase.NOTICE), None)
    deadline = grouped["lapse_date"].map(lambda day: rescue_deadline(flow, day, notice))
    grouped["days_left"] = [(d - c).days for d, c in zip(deadline, grouped["day"], strict=True)]
    grouped["bucket"] = grouped["days_left"].map(_timing_bucket)
    grouped["weighted"] = grouped["days_left"] * grouped["n"]
    labels = {option.pk: option.label for option in options}
    order = {label: i for i, label in enumerate(_timing_bucket(d) for d in (8, 1, 0, -1))}
    table = grouped.groupby(["option_id", "bucket"])[["n", "weighted"]].sum().reset_index()
    table["position"] = table["option_id"].map({option.pk: option.position for option in options})
    table["order"] = table["bucket"].map(order)
    table = table.sort_values(["position", "order"])
    return pd.DataFrame({
        columns[0]: table["option_id"].map(labels),
        columns[1]: table["bucket"],
        columns[2]: table["n"],
        columns[3]: (table["weighted"] / table["n"]).round(1),
    }).reset_index(drop=True)


def phase_chart(phases):
    """Chart data: renewal rate by the last phase reached."""
    if phases.empty:
        return {"labels": [], "series": []}
    return {"labels": list(phases[_("Last phase reached")]),
            "series": [{"label": _("Renewal rate (%)"),
                        "data": [0 if pd.isna(v) else float(v) for v in phases[_("Renewal rate (%)")]]}]}


