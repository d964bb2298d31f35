"""The dashboard: tiles and chart data against hand-computed figures, links behind the tiles, who may see it."""
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from alerts.models import Alert, AlertStatus, Trigger, TriggerKind
from campaigns.models import Campaign, CampaignKind, SenderProfile
from contacts.models import Contact, ContactStatus, Contract, ContractStatus, ImportJob, ImportKind, ImportStatus
from contacts.rules import workspace_today
from dormancy.models import DormancyRule
from reports.dashboard import quarter_start
from reports.models import AlertResponseDay, CampaignFunnelDay, DormancyDay

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("reports:dashboard")
LIST = reverse("contacts:list")


def _contact(email, *, status=ContactStatus.LEAD, silent_days=None, **fields):
    person = Contact.objects.create(email=email, status=status, acquired_at=workspace_today() - timedelta(days=700),
                                    **fields)
    if silent_days is not None:
        Contact.objects.filter(pk=person.pk).update(last_touch_at=timezone.now() - timedelta(days=silent_days),
                                                    last_touch_kind="meeting")
    return person


@pytest.fixture
def workspace(marketer, rep, other_rep):
    today = workspace_today()
    rule = DormancyRule.objects.get(slug="default")  # silent 180 days and (lost or stage unchanged 90 days)
    lost_long_ago = _contact("lost@example.jp", status=ContactStatus.LOST, silent_days=200)  # dormant
    _contact("recent@example.jp", status=ContactStatus.LOST, silent_days=10)  # not silent long enough
    stalled = _contact("stalled@example.jp", silent_days=300)  # lead, stage never moved: dormant
    _contact("customer@example.jp", status=ContactStatus.CUSTOMER, silent_days=5)

    for days, newly, back in ((0, 2, 1), (6, 3, 4), (7, 100, 50)):
        DormancyDay.objects.create(day=today - timedelta(days=days), rule=rule, dormant=2, newly_dormant=newly,
                                   reactivated=back, computed_at=timezone.now())

    trigger = Trigger.objects.create(name="Came back", kind=TriggerKind.DORMANT_RETURN)
    for n, status in enumerate((AlertStatus.OPEN, AlertStatus.OPEN, AlertStatus.CLAIMED, AlertStatus.DONE)):
        Alert.objects.create(trigger=trigger, contact=lost_long_ago, status=status, assignee=rep,
                             fired_at=timezone.now() - timedelta(hours=n + 1))

    for contact, expires, amount, status in [
        (stalled, today, "1000000", ContractStatus.ACTIVE),  # lapsing within 30; counts against the rescue rate
        (stalled, today + timedelta(days=35), "2500000", ContractStatus.ACTIVE),
        (stalled, today + timedelta(days=90), "400000", ContractStatus.ACTIVE),
        (stalled, today + timedelta(days=5), "999999", ContractStatus.CANCELLED),
        (lost_long_ago, quarter_start(today), "300000", ContractStatus.RENEWED),  # rescued this quarter
        (lost_long_ago, quarter_start(today), "200000", ContractStatus.LAPSED),
        (lost_long_ago, quarter_start(today) - timedelta(days=1), "1", ContractStatus.RENEWED),  # last quarter
    ]:
        Contract.objects.create(contact=contact, external_id=f"K-{expires}-{status}-{amount}", expires_at=expires,
                                amount=Decimal(amount), status=status)

    sender = SenderProfile.objects.create(name="Main", from_name="営業部", from_email="sales@example.co.jp",
                                          postal_address="東京都千代田区1-1", inquiry_contact="03-0000-0000")
    winback = Campaign.objects.create(name="Autumn win-back", kind=CampaignKind.BROADCAST, sender=sender)
    rescue = Campaign.objects.create(name="Renewal rescue", kind=CampaignKind.PLAYBOOK, sender=sender)
    for campaign, days, figures in [(winback, 1, (100, 98, 40, 12, 8, 3, 0)), (winback, 100, (999,) * 7),
                                    (rescue, 10, (20, 20, 10, 5, 2, 1, 4)), (rescue, 11, (5, 4, 1, 0, 0, 0, 1))]:
        CampaignFunnelDay.objects.create(
            day=today - timedelta(days=days), campaign=campaign, computed_at=timezone.now(),
            **dict(zip(("sent", "delivered", "opened", "clicked", "revisited", "meetings", "renewals"), figures,
                       strict=True)))

    for user, days, claimed, seconds, within in [(rep, 2, 4, 4800, 3), (rep, 40, 9, 99999, 0),
                                                 (other_rep, 0, 1, 7200, 0)]:
        AlertResponseDay.objects.create(day=today - timedelta(days=days), rep=user, claimed=claimed,
                                        total_seconds=seconds, within_hour=within, computed_at=timezone.now())
    ImportJob.objects.create(kind=ImportKind.CONTACTS, original_name="名刺.csv", stored_path="/tmp/x.csv",
                             status=ImportStatus.DONE, total_rows=1200, created_by=marketer)
    return {"today": today, "rule": rule, "winback": winback, "rescue": rescue}


def test_tiles_show_hand_computed_figures(persona_client, marketer, workspace, django_assert_num_queries):
    today = workspace["today"]
    client = persona_client(marketer)
    # session, user, roles; rules, their counts, their moves, statuses, open alerts, lapsing, rescue, imports,
    # freshness; dormancy trend; funnel and campaign names; pipeline; response and rep names
    with django_assert_num_queries(18):
        response = client.get(DASHBOARD)

    assert response.status_code == 200 and response.context["nav"] == "dashboard"
    tiles = response.context["tiles"]
    assert tiles["contacts"] == 4
    main = response.context["main_rule"]
    assert (main["rule"], main["dormant"], main["week"]) == (workspace["rule"], 2, 5)
    first = today.replace(day=1)
    assert main["month"] == 1 + (4 if today - timedelta(days=6) >= first else 0) + (
        50 if today - timedelta(days=7) >= first else 0)
    assert tiles["alerts_open"] == 3
    assert tiles["lapsing"] == [
        {"days": 30, "count": 1, "amount": Decimal("1000000")},
        {"days": 60, "count": 2, "amount": Decimal("3500000")},
        {"days": 90, "count": 3, "amount": Decimal("3900000")},
    ]
    assert (tiles["rescue"]["total"], tiles["rescue"]["rescued"], tiles["rescue"]["rate"]) == (3, 1, 33.3)
    assert {s["value"]: s["total"] for s in response.context["statuses"]} == {
        "lead": 1, "opportunity": 0, "customer": 1, "former_customer": 0, "lost": 2}
    assertContains(response, "¥3,900,000")
    assertContains(response, "33.3%")
    assertContains(response, "名刺.csv")


def test_every_tile_links_to_the_list_behind_it(persona_client, marketer, workspace):
    response = persona_client(marketer).get(DASHBOARD)
    html = response.content.decode()
    pairs = re.findall(r'href="([^"]+)" data-tile="([^"]+)"', html)
    by_tile = {tile: href.replace("&amp;", "&") for href, tile in pairs}
    rule_page = reverse("dormancy:detail", args=[workspace["rule"].pk])
    assert by_tile["contacts"] == f"{LIST}?scope=all"
    assert by_tile["dormant"] == by_tile["newly-dormant"] == rule_page
    assert by_tile["reactivated"] == f"{LIST}?scope=all&sort=-last_touch"
    assert by_tile["hot-leads"] == reverse("alerts:team")
    assert by_tile["rescue-rate"] == reverse("segments:expiring")
    assert by_tile["lapsing-60"] == f"{LIST}?scope=all&lapsing=60"
    assert by_tile["status-lost"] == f"{LIST}?scope=all&status=lost"
    for tile, href in by_tile.items():  # each leads somewhere the marketer may open
        assert persona_client(marketer).get(href).status_code == 200, tile


def test_lapsing_tile_and_its_list_agree(persona_client, marketer, workspace):
    client = persona_client(marketer)
    lapsing = {w["days"]: w["count"] for w in client.get(DASHBOARD).context["tiles"]["lapsing"]}
    listed = client.get(LIST, {"scope": "all", "lapsing": "60"})
    # the list shows contacts (one contact holds both contracts lapsing within 60 days)
    assert lapsing[60] == 2 and listed.context["paginator"].count == 1


def test_chart_data_reaches_the_page_as_json_and_no_inline_script(persona_client, marketer, workspace):
    today = workspace["today"]
    response = persona_client(marketer).get(DASHBOARD)
    html = response.content.decode()
    data = json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html,
                                re.S).group(1))
    assert [c["label"] for c in data["funnel"]["campaigns"]] == ["Autumn win-back", "Renewal rescue"]
    assert data["funnel"]["campaigns"][0]["data"] == [100, 98, 40, 12, 8, 3, 0]  # day 100 is outside 90 days
    assert data["funnel"]["campaigns"][1]["data"] == [25, 24, 11, 5, 2, 1, 5]
    assert data["response"] == [
        {"rep": "Taro Sato", "claimed": 4, "avg_minutes": 20.0, "within_hour": 75.0},
        {"rep": "Hanako Suzuki", "claimed": 1, "avg_minutes": 120.0, "within_hour": 0.0},
    ]
    trend = data["dormancy"]
    assert len(trend["labels"]) == 90 and trend["labels"][-1] == today.isoformat()
    assert trend["series"][0]["data"][-1] == 2 and trend["series"][0]["data"][0] is None
    assert trend["moves"]["newly"][-1] == 2 and trend["moves"]["reactivated"][-7] == 4
    phases = {p["phase"]: p["counts"] for p in data["pipeline"]["phases"]}
    assert phases["final_days"][1] == 1  # lapses today: the second week (the first is the week just lapsed)
    assert phases["pre_notice"][6] == 1  # in 35 days
    assert sum(phases["later"]) == 0  # in 90 days: past the chart's twelve weeks
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assertContains(response, "vendor/chartjs/chart.umd.min.js")
    assertContains(response, "reports/dashboard.js")
    assertNotContains(response, "cdn.")


def test_campaign_names_are_escaped(persona_client, marketer, workspace):
    workspace["winback"].name = "</script><script>alert(1)</script>"
    workspace["winback"].save()
    html = persona_client(marketer).get(DASHBOARD).content.decode()
    assert "<script>alert(1)" not in html


def test_empty_workspace_says_how_to_fill_the_trends(persona_client, admin_user):
    response = persona_client(admin_user).get(DASHBOARD)
    assert response.status_code == 200
    assertContains(response, 'id="no-snapshots"')
    assertContains(response, 'id="funnel-empty"')
    assertContains(response, 'id="response-empty"')


# -- access and home ----------------------------------------------------------

def test_anonymous_is_sent_to_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_rep_opening_the_dashboard_lands_in_the_alert_inbox(persona_client, rep):
    response = persona_client(rep).get(DASHBOARD)
    assert (response.status_code, response["Location"]) == (302, reverse("alerts:inbox"))


@pytest.mark.parametrize("persona", ["marketer", "admin_user"])
def test_marketers_and_admins_see_the_dashboard(persona_client, persona, request):
    assert persona_client(request.getfixturevalue(persona)).get(DASHBOARD).status_code == 200


@pytest.mark.parametrize(("persona", "target"), [("rep", "alerts:inbox"), ("marketer", "reports:dashboard"),
                                                 ("admin_user", "reports:dashboard")])
def test_home_sends_each_role_to_its_start_page(persona_client, persona, target, request):
    response = persona_client(request.getfixturevalue(persona)).get("/")
    assert (response.status_code, response["Location"]) == (302, reverse(target))


def test_the_old_overview_address_moves_to_the_dashboard(persona_client, marketer):
    response = persona_client(marketer).get(reverse("contacts:overview"))
    assert (response.status_code, response["Location"]) == (302, DASHBOARD)


def test_rep_inbox_links_to_the_call_list(persona_client, rep):
    response = persona_client(rep).get(reverse("alerts:inbox"))
    assertContains(response, f'href="{reverse("scoring:call_list")}" id="call-list-link"')
