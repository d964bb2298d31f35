"""The dashboard (/reports/): the home page of marketers and admins. Reps are sent to their alert inbox."""
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.roles import ALL_ROLES, Role, has_role, role_required
from contacts.models import ContactStatus
from contacts.rules import workspace_today

from . import dashboard, reports_campaign

DASHBOARD_ROLES = (Role.ADMIN, Role.MARKETER)


def _phase_labels():
    return {"lapsed": _("Lapsed (last 7 days)"), "final_days": _("Final days"), "notice": _("Notice"),
            "pre_notice": _("Pre-notice"), "later": _("Later")}


def _stage_labels():
    return {"sent": _("Sent"), "delivered": _("Delivered"), "opened": _("Opened"), "clicked": _("Clicked"),
            "revisited": _("Site revisit"), "meetings": _("Meeting booked"), "renewals": _("Renewed")}


@role_required(*ALL_ROLES)
def dashboard_view(request):
    if not has_role(request.user, *DASHBOARD_ROLES):
        return redirect("alerts:inbox")
    today = workspace_today()
    tiles = dashboard.dashboard_tiles(today=today)
    rules = [row["rule"] for row in tiles["rules"]]
    funnels = dashboard.campaign_funnels(today=today)
    stage_labels = _stage_labels()
    pipeline = dashboard.lapse_pipeline(today=today)
    phase_labels = _phase_labels()
    charts = {
        "dormancy": dashboard.dormancy_trend(rules, today=today),
        "funnel": {"stages": [stage_labels[stage] for stage in dashboard.FUNNEL_STAGES],
                   "campaigns": [{"label": row["name"], "data": [row[s] for s in dashboard.FUNNEL_STAGES]}
                                 for row in funnels]},
        "pipeline": {"labels": pipeline["labels"],
                     "phases": [{**phase, "label": phase_labels[phase["phase"]]} for phase in pipeline["phases"]]},
        "response": dashboard.alert_response_by_rep(today=today),
        "text": {"newly": _("Newly dormant"), "reactivated": _("Reactivated"), "contracts": _("Contracts"),
                 "amount": _("Amount"), "minutes": _("Average minutes to claim"),
                 "claimed": _("Alerts claimed"), "within_hour": _("Claimed within an hour (%)"),
                 "week_of": _("Week of"), "messages": _("Messages")},
    }
    main_rule = tiles["rules"][0] if tiles["rules"] else None
    return render(request, "reports/dashboard.html", {
        "nav": "dashboard",
        "today": today,
        "tiles": tiles,
        "main_rule": main_rule,
        "statuses": [{"value": value, "label": label, "total": tiles["by_status"][value]}
                     for value, label in ContactStatus.choices],
        "funnels": funnels,
        "stages": [(stage, stage_labels[stage]) for stage in dashboard.FUNNEL_STAGES],
        "trend_days": dashboard.TREND_DAYS, "funnel_days": dashboard.FUNNEL_DAYS,
        "response_days": dashboard.RESPONSE_DAYS,
        "report_attribution_days": reports_campaign.ATTRIBUTION_DAYS,
        "charts": charts,
    })
