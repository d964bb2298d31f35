"""Rescue report on a fixed playbook: contracts lapsing in April 2026, read on 2026-05-15.

Steps: 1 pre-notice mail (−60), 2 notice mail (−30), 3 final call (−7), 4 after-lapse mail (+7); options Renew,
Smaller plan, One more month; deadline one day before the lapse date.

k1 lapses 04-10, 100,000, reached 1–2, chose Renew on 04-05 (4 days before the deadline), renewed.
k2 lapses 04-10, 30,000 now, reached 1–3, chose Smaller plan on 04-09 (the deadline day), renewed.
k3 lapses 04-20, 80,000, reached 1, chose One more month on 03-01 (49 days before), lapse date moved → renewed.
k4 lapses 04-20, 60,000, reached 1–4, no choice, lapsed.
k5 lapses 04-25, 40,000, its only mail was not sent, still active after its lapse date → lapsed.
k6 lapses 04-25, 20,000, reached 1, cancelled.
k7 lapses 06-10 (outside the range), renewed.
"""
import io
import uuid
from datetime import date

import openpyxl
import pandas as pd
import pytest
from django.urls import reverse

from campaigns.models import CallTask, Enrollment, FlowSettings, PlaybookTimeline, RescueChoice, RescueOption
from contacts.models import Contract
from reports.forms_reports import DateRange
from reports.reports_rescue import rescue_report

from . import report_data as data

TODAY = date(2026, 5, 15)
APRIL = DateRange(date(2026, 4, 1), date(2026, 4, 30))
PARAMS = {"from": "2026-04-01", "to": "2026-04-30"}


pytestmark = pytest.mark.usefixtures("english")  # tests/reports/conftest.py


@pytest.fixture
def playbook(db):
    campaign = data.campaign("playbook", name="Renewal rescue", holdout=0)
    FlowSettings.objects.create(campaign=campaign, deadline_rule="before_lapse", deadline_days=1)
    steps = [data.step(campaign, 1, phase="pre_notice", offset_days=-60, name="Pre-notice mail"),
             data.step(campaign, 2, phase="notice", offset_days=-30, name="Notice mail"),
             data.step(campaign, 3, kind="call_task", phase="final", offset_days=-7, name="Final call"),
             data.step(campaign, 4, phase="after_lapse", offset_days=7, name="Win-back mail")]
    options = [RescueOption.objects.create(campaign=campaign, position=i, kind=kind, label=label)
               for i, (kind, label) in enumerate([("renew", "Renew"), ("reduced", "Smaller plan"),
                                                  ("extension", "One more month")], start=1)]

    def timeline(name, lapse, amount, reached, *, status="active", expires=None, choice=None):
        contact = data.contact(f"{name}@example.jp")
        contract = Contract.objects.create(contact=contact, external_id=name, expires_at=expires or lapse,
                                           amount=amount, status=status)
        enrollment = Enrollment.objects.create(campaign=campaign, contact=contact, contract=contract,
                                               entered_at=data.T)
        PlaybookTimeline.objects.create(enrollment=enrollment, campaign=campaign, contract=contract, lapse_date=lapse,
                                        token=uuid.uuid4().hex)
        for position in reached:
            step = steps[position - 1]
            if step.kind == "call_task":
                CallTask.objects.create(step=step, enrollment=enrollment, contact=contact, due_at=data.T)
            else:
                data.delivery(step, contact, contract=contract)
        if choice:
            option, day = choice
            RescueChoice.objects.create(campaign=campaign, contract=contract, contact=contact,
                                        option=options[option], chosen_at=data.noon_tokyo(day))
        return contract, contact

    timeline("k1", date(2026, 4, 10), 100000, [1, 2], status="renewed", choice=(0, date(2026, 4, 5)))
    timeline("k2", date(2026, 4, 10), 30000, [1, 2, 3], status="renewed", choice=(1, date(2026, 4, 9)))
    timeline("k3", date(2026, 4, 20), 80000, [1], expires=date(2026, 5, 20), choice=(2, date(2026, 3, 1)))
    timeline("k4", date(2026, 4, 20), 60000, [1, 2, 3, 4], status="lapsed")
    k5, k5_contact = timeline("k5", date(2026, 4, 25), 40000, [])
    data.delivery(steps[0], k5_contact, contract=k5, status="suppressed", reason="no_consent")
    timeline("k6", date(2026, 4, 25), 20000, [1], status="cancelled")
    timeline("k7", date(2026, 6, 10), 90000, [1], status="renewed", choice=(0, date(2026, 4, 20)))
    return campaign


OUTCOMES = ["Contracts", "Chose an option", "Renewed", "Lapsed", "Cancelled", "Renewal rate (%)", "Revenue kept"]


def _rows(frame, key):
    return {row[key]: [row[column] for column in OUTCOMES] for _i, row in frame.iterrows()}


def test_totals(playbook):
    report = rescue_report(playbook, APRIL, today=TODAY)
    assert [report["totals"][column] for column in OUTCOMES] == [6, 3, 3, 2, 1, 50.0, 210000.0]


def test_by_phase_and_message(playbook):
    steps = _rows(rescue_report(playbook, APRIL, today=TODAY)["steps"], "Phase and message")
    assert steps == {
        "1. Pre-notice · Pre-notice mail": [5, 3, 3, 1, 1, 60.0, 210000.0],
        "2. Notice · Notice mail": [3, 2, 2, 1, 0, 66.7, 130000.0],
        "3. Final days · Final call": [2, 1, 1, 1, 0, 50.0, 30000.0],
        "4. After lapse · Win-back mail": [1, 0, 0, 1, 0, 0.0, 0.0],
    }


def test_renewal_rate_by_last_phase_reached(playbook):
    phases = _rows(rescue_report(playbook, APRIL, today=TODAY)["phases"], "Last phase reached")
    assert phases == {
        "1. Pre-notice · Pre-notice mail": [2, 1, 1, 0, 1, 50.0, 80000.0],
        "2. Notice · Notice mail": [1, 1, 1, 0, 0, 100.0, 100000.0],
        "3. Final days · Final call": [1, 1, 1, 0, 0, 100.0, 30000.0],
        "4. After lapse · Win-back mail": [1, 0, 0, 1, 0, 0.0, 0.0],
        "Not reached": [1, 0, 0, 1, 0, 0.0, 0.0],
    }


def test_option_shares_and_renewals(playbook):
    options = rescue_report(playbook, APRIL, today=TODAY)["options"]
    assert options[["Option", "Share of choices (%)", "Contracts", "Renewed", "Revenue kept"]].values.tolist()[:3] == [
        ["Renew", 33.3, 1, 1, 100000.0], ["Smaller plan", 33.3, 1, 1, 30000.0], ["One more month", 33.3, 1, 1, 80000.0]]
    last = options.iloc[3]
    assert (last["Option"], last["Contracts"], last["Lapsed"], last["Cancelled"]) == ("No option chosen", 3, 2, 1)
    assert pd.isna(last["Share of choices (%)"])


def test_when_options_were_chosen_relative_to_the_deadline(playbook):
    timing = rescue_report(playbook, APRIL, today=TODAY)["timing"]
    assert timing.values.tolist() == [
        ["Renew", "1–7 days before the deadline", 1, 4.0],
        ["Smaller plan", "On the deadline day", 1, 0.0],
        ["One more month", "8 days or more before the deadline", 1, 49.0],
    ]


def test_page_and_exports(client, marketer, playbook):
    client.force_login(marketer)
    url = reverse("reports:report_rescue", args=[playbook.pk])
    page = client.get(url, PARAMS)
    assert page.status_code == 200 and "Renewal by the last phase reached" in page.content.decode()
    csv = client.get(url, {**PARAMS, "format": "csv", "table": "options"})
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert frame["Contracts"].tolist() == [1, 1, 1, 3]
    xlsx = client.get(url, {**PARAMS, "format": "xlsx", "table": "steps"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert pd.read_excel(io.BytesIO(xlsx.content))["Contracts"].tolist() == [5, 3, 2, 1]


def test_a_campaign_that_is_not_a_playbook_has_no_rescue_report(client, marketer, playbook):
    broadcast = data.campaign(name="Newsletter")
    client.force_login(marketer)
    assert client.get(reverse("reports:report_rescue", args=[broadcast.pk])).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("rep", 403), ("marketer", 200), ("admin_user", 200)])
def test_rescue_report_is_for_marketers_and_admins(client, request, persona, status, playbook):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("reports:report_rescue", args=[playbook.pk]), PARAMS).status_code == status
    assert client.get(reverse("reports:report_rescues")).status_code == status
