"""The report pages in headless chromium: the chart draws from the static script, no script error, no 4xx."""
import pytest
from django.contrib.auth.models import Group, User

from accounts.roles import Role
from tests.conftest import browser_login

from . import report_data as data
from .report_data import T

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _marketer():
    user = User.objects.create_user(username="reporter", password="pw-reporter-1234")
    user.groups.add(Group.objects.get_or_create(name=Role.MARKETER)[0])
    return user


def test_campaign_report_chart_draws(live_server, page, screenshot):
    _marketer()
    campaign = data.campaign()
    step = data.step(campaign, name="First mail")
    for i in range(4):
        person = data.contact(f"p{i}@example.jp")
        data.delivery(step, person, variant="AB"[i % 2])
        data.touch(person, "email_open", T.replace(hour=2))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    browser_login(page, live_server, "reporter", "pw-reporter-1234", language="en")
    page.goto(f"{live_server.url}/reports/campaigns/{campaign.pk}/?from=2026-02-01&to=2026-03-31")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('report-chart'))")
    drawn = page.evaluate("() => Chart.getChart(document.getElementById('report-chart')).data.datasets.length")
    assert drawn == 2
    assert page.locator("#table-funnel tbody tr").count() == 2
    screenshot("report-campaign")
    assert errors == []
