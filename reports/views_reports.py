"""Report pages: campaigns, rescue playbooks, dormancy. Each takes ?from=&to= and ?format=csv|xlsx (&table=).

Views validate the filter and delegate the figures to reports_campaign,
reports_rescue and reports_dormancy; the same DataFrame feeds the page, the
CSV and the Excel file (reports.exports.table_download).
"""
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role, role_required
from campaigns.models import Campaign, CampaignKind
from contacts.rules import workspace_today

from . import reports_campaign, reports_dormancy, reports_rescue, stats
from .exports import FORMATS, rows_of, table_download
from .forms_reports import date_range_from

ANALYSTS = (Role.ADMIN, Role.MARKETER)
EVERYONE = (Role.ADMIN, Role.MARKETER, Role.INSIDE_SALES)


def _filter(request):
    """(date range, form, today): the requested range, or the default one when the form has errors."""
    today = workspace_today()
    date_range, form = date_range_from(request.GET, today=today)
    return date_range, form, today


def _export(request, form, tables, *, filename):
    """The download asked for by ?format= (and ?table=), or None when the page itself is wanted."""
    fmt = request.GET.get("format")
    if not fmt:
        return None
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown download format: use csv or xlsx."), content_type="text/plain")
    if form.errors:
        return HttpResponseBadRequest(_("The date range is not valid: %(errors)s") % {
            "errors": " ".join(str(e) for errors in form.errors.values() for e in errors)}, content_type="text/plain")
    name = request.GET.get("table") or next(iter(tables))
    if name not in tables:
        raise Http404
    return table_download(tables[name], filename=f"{filename}-{name}", fmt=fmt, sheet=name)


def _table(frame, title, name):
    header, rows = rows_of(frame)
    return {"title": title, "name": name, "header": header, "rows": rows}


def _context(nav_range, form, **extra):
    date_range, today = nav_range
    return {"nav": "reports", "range": date_range, "form": form, "today": today, **extra}


def _pct(value, *, signed=False):
    if value is None:
        return "—"
    return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f} %"


def _holdout_summary(comparison):
    verdicts = {
        "no_holdout": _("No holdout group in this date range, so the lift cannot be measured."),
        "too_small": _("Too small to tell: each group needs at least %(n)s contacts and both together at least "
                       "%(events)s reactivations before the difference means anything.")
        % {"n": stats.MIN_PER_ARM, "events": stats.MIN_EVENTS},
        "lift": _("Mailing helped: the whole 95% interval is above zero."),
        "drop": _("Mailed contacts came back less often than the holdout: the whole 95% interval is below zero."),
        "unclear": _("No clear difference: the 95% interval includes zero, so this could be chance."),
    }
    return {"mailed_rate": _pct(comparison.mailed_rate), "holdout_rate": _pct(comparison.holdout_rate),
            "lift": _pct(comparison.lift, signed=True), "low": _pct(comparison.lift_low, signed=True),
            "high": _pct(comparison.lift_high, signed=True), "verdict": verdicts[comparison.verdict]}


@role_required(*EVERYONE)
def report_index(request):
    return render(request, "reports/report_index.html", {
        "nav": "reports", "can_analyse": has_role(request.user, *ANALYSTS),
        "is_rep_only": not has_role(request.user, *ANALYSTS)})


@role_required(*ANALYSTS)
def report_campaign_list(request):
    campaigns = reports_campaign.reportable_campaigns().exclude(kind=CampaignKind.PLAYBOOK)
    playbooks = reports_rescue.reportable_playbooks()
    return render(request, "reports/report_campaign_list.html",
                  {"nav": "reports", "campaigns": campaigns, "playbooks": playbooks})


@role_required(*ANALYSTS)
def report_campaign(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    date_range, form, today = _filter(request)
    funnel, suppressions = reports_campaign.campaign_funnel(campaign, date_range)
    comparison = reports_campaign.campaign_holdout(campaign, date_range)
    holdout = reports_campaign.holdout_frame(comparison)
    tables = {"funnel": funnel, "suppressions": suppressions, "holdout": holdout}
    download = _export(request, form, tables, filename=f"campaign-{campaign.pk}")
    if download is not None:
        return download
    return render(request, "reports/report_campaign.html", _context(
        (date_range, today), form, campaign=campaign, comparison=comparison, summary=_holdout_summary(comparison),
        attribution_days=reports_campaign.ATTRIBUTION_DAYS, reactivation_days=reports_campaign.REACTIVATION_DAYS,
        funnel=_table(funnel, _("Funnel by step and variant"), "funnel"),
        suppressions=_table(suppressions, _("Not sent, by reason"), "suppressions"),
        holdout=_table(holdout, _("Reactivation against the holdout"), "holdout"),
        chart=reports_campaign.funnel_chart(funnel)))


@role_required(*ANALYSTS)
def report_rescue_list(request):
    return render(request, "reports/report_campaign_list.html", {
        "nav": "reports", "campaigns": [], "playbooks": reports_rescue.reportable_playbooks(), "only_playbooks": True})


@role_required(*ANALYSTS)
def report_rescue(request, pk):
    playbook = get_object_or_404(Campaign, pk=pk, kind=CampaignKind.PLAYBOOK)
    date_range, form, today = _filter(request)
    report = reports_rescue.rescue_report(playbook, date_range, today=today)
    tables = {"steps": report["steps"], "phases": report["phases"], "options": report["options"],
              "timing": report["timing"]}
    download = _export(request, form, tables, filename=f"rescue-{playbook.pk}")
    if download is not None:
        return download
    return render(request, "reports/report_rescue.html", _context(
        (date_range, today), form, playbook=playbook, totals=report["totals"],
        tables=[_table(report["steps"], _("By phase and message"), "steps"),
                _table(report["phases"], _("Renewal by the last phase reached"), "phases"),
                _table(report["options"], _("By option"), "options"),
                _table(report["timing"], _("When options were chosen"), "timing")],
        chart=reports_rescue.phase_chart(report["phases"])))


@role_required(*EVERYONE)
def report_dormancy(request):
    date_range, form, today = _filter(request)
    rule = reports_dormancy.rule_for(request.GET.get("rule", ""))
    # Reps see the contacts they own; marketers and admins everyone.
    owner = None if has_role(request.user, *ANALYSTS) else request.user
    context = _context((date_range, today), form, rule=rule, rules=reports_dormancy.report_rules(),
                       scoped=owner is not None, rule_query=f"&rule={rule.slug}" if rule else "")
    if rule is None:
        if request.GET.get("format"):
            raise Http404
        return render(request, "reports/report_dormancy.html", context)
    breakdown = reports_dormancy.dormant_breakdown(rule, date_range, today=today, owner=owner)
    flow = reports_dormancy.dormancy_flow(rule, date_range, today=today, owner=owner)
    tables = {"flow": flow, **{key: breakdown[key] for key in ("reason", "industry", "size", "owner", "silence")}}
    download = _export(request, form, tables, filename=f"dormancy-{rule.slug}")
    if download is not None:
        return download
    titles = {"reason": _("By reason"), "industry": _("By industry"), "size": _("By company size"),
              "owner": _("By owner"), "silence": _("By length of silence")}
    sources = flow.attrs["sources"]
    context.update(
        as_of=breakdown["as_of"], total=breakdown["total"], computed_at=breakdown["computed_at"],
        month_end_months=[m for m, source in sources.items() if source == reports_dormancy.MONTH_ENDS],
        days_computed_months=[m for m, source in sources.items() if source == reports_dormancy.DAYS_COMPUTED],
        flow=_table(flow, _("Month by month"), "flow"),
        tables=[_table(breakdown[key], title, key) for key, title in titles.items()],
        chart=reports_dormancy.flow_chart(flow))
    return render(request, "reports/report_dormancy.html", context)
