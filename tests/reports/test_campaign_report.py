"""Campaign report: funnel per step and variant, suppressions, holdout lift, exports and access, on a fixed dataset.

The broadcast (holdout 20 %) was due on 2026-03-02 10:00 Tokyo (T):

variant A: a0–a5 sent, u0 unsubscribed and u1 no consent (not sent), f0 refused by the server, h0–h3 held out;
variant B: b0–b3 sent, u2 over the frequency cap, q0 still queued; old0 was due in January (outside the range).
"""
import io
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
from django.db import connection
from django.urls import reverse

from reports.campaign_answers import campaign_answers_recompute
from reports.forms_reports import DateRange
from reports.reports_campaign import campaign_funnel, campaign_holdout
from reports.stats import difference_interval

from . import report_data as data
from .report_data import T

H = timedelta(hours=1)
D = timedelta(days=1)
RANGE = DateRange(date(2026, 2, 1), date(2026, 3, 31))


pytestmark = pytest.mark.usefixtures("english")  # tests/reports/conftest.py


@pytest.fixture(params=["stored", "joined", "per_row"])
def form(request, db):
    """Every form of the per-row answers (the stored columns the page reads, and the live questions: reports.
    campaign_sql's join, PostgreSQL only, and the portable per-row one) on the same data must give the same
    figures."""
    if request.param == "joined" and connection.vendor != "postgresql":
        pytest.skip("the joined form is PostgreSQL's")
    return request.param


@pytest.fixture
def broadcast(db):
    campaign = data.campaign()
    step = data.step(campaign, name="=HYPERLINK(\"http://evil.example\",\"x\")")
    c = {name: data.contact(f"{name}@example.jp") for name in
         ["a0", "a1", "a2", "a3", "a4", "a5", "u0", "u1", "f0", "h0", "h1", "h2", "h3",
          "b0", "b1", "b2", "b3", "u2", "q0", "old0"]}
    for name in ["a0", "a1", "a2", "a3", "a4", "a5"]:
        data.delivery(step, c[name])
    data.delivery(step, c["u0"], status="suppressed", reason="unsubscribed")
    data.delivery(step, c["u1"], status="suppressed", reason="no_consent")
    data.delivery(step, c["f0"], status="failed", reason="smtp_rejected")
    for name in ["h0", "h1", "h2", "h3"]:
        data.delivery(step, c[name], status="suppressed", reason="holdout")
    for name in ["b0", "b1", "b2", "b3"]:
        data.delivery(step, c[name], variant="B")
    data.delivery(step, c["u2"], status="suppressed", reason="frequency_cap", variant="B")
    data.delivery(step, c["q0"], status="queued", variant="B")
    data.delivery(step, c["old0"], at=T - 60 * D)

    data.touch(c["a0"], "email_open", T + H)
    data.touch(c["a0"], "email_click", T + H)
    data.touch(c["a0"], "page_view", T + 2 * H)
    data.touch(c["a1"], "email_open", T + H)
    data.touch(c["a1"], "email_open", T + timedelta(seconds=5), bot=True)
    data.touch(c["a2"], "email_open", T + timedelta(seconds=5), bot=True)  # a scanner, nobody read it
    data.touch(c["a2"], "email_click", T + timedelta(seconds=6), bot=True)
    data.touch(c["a3"], "reply", T + 2 * D)
    data.touch(c["a3"], "meeting", T + 5 * D)
    data.touch(c["a4"], "email_open", T + 40 * D)  # after the 30-day window
    data.touch(c["a4"], "email_open", T - D)  # before the mail
    data.suppression("a5@example.jp", "unsubscribed", T + D)
    data.touch(c["b0"], "email_open", T + H)
    data.touch(c["b0"], "page_view", T + H, bot=True)
    data.touch(c["b1"], "email_click", T + 3 * H)
    data.suppression("b2@example.jp", "bounced", T + 2 * D)
    data.reactivation(c["b3"], T + 10 * D)
    data.reactivation(c["b1"], T + 45 * D)  # too late to count
    data.touch(c["h0"], "page_view", T + 3 * D)
    data.touch(c["h1"], "email_open", T + 3 * D)  # an open never counts as coming back
    data.touch(c["old0"], "email_open", T - 60 * D + H)
    campaign_answers_recompute(campaign_id=campaign.pk)  # written past the receivers: the stored answers once
    return campaign


FUNNEL = ["Targeted", "Held out", "Not sent (suppressed)", "Sent", "Failed", "Waiting", "Opened", "Clicked",
          "Opened by a bot only", "Clicked by a bot only", "Revisited the site", "Replied", "Meeting", "Unsubscribed",
          "Bounced", "Open rate (%)", "Click rate (%)"]


def test_funnel_counts_per_variant_match_the_hand_count(broadcast, form):
    funnel, _suppressions = campaign_funnel(broadcast, RANGE, form=form)
    assert list(funnel["Variant"]) == ["A", "B"]
    rows = {row["Variant"]: [row[column] for column in FUNNEL] for _i, row in funnel.iterrows()}
    assert rows["A"] == [13, 4, 2, 6, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 33.3, 16.7]
    assert rows["B"] == [6, 0, 1, 4, 0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 1, 50.0, 25.0]  # b1's click is an open too


def test_bot_flagged_touches_count_only_in_their_own_columns(broadcast, form):
    funnel, _suppressions = campaign_funnel(broadcast, RANGE, form=form)
    a = funnel[funnel["Variant"] == "A"].iloc[0]
    b = funnel[funnel["Variant"] == "B"].iloc[0]
    # a1's scanner open does not make a second open; a2 was opened and clicked by a scanner only.
    assert (a["Opened"], a["Opened by a bot only"], a["Clicked"], a["Clicked by a bot only"]) == (2, 1, 1, 1)
    # b0's bot page view is no revisit.
    assert b["Revisited the site"] == 0


def test_suppressions_are_listed_by_reason_without_the_holdout(broadcast):
    _funnel, suppressions = campaign_funnel(broadcast, RANGE)
    assert suppressions[["Variant", "Reason", "Contacts"]].values.tolist() == [
        ["A", "No consent on record", 1], ["A", "Unsubscribed", 1], ["B", "Frequency cap reached", 1]]


def test_holdout_lift_and_interval(broadcast, form):
    comparison = campaign_holdout(broadcast, RANGE, form=form)
    # Mailed 15 (everyone not held out, sent or not): a0 (visit), a3 (reply, meeting), b3 (marked) came back.
    # Held out 4: h0 visited; h1's open does not count.
    assert (comparison.mailed, comparison.mailed_reactivated) == (15, 3)
    assert (comparison.holdout, comparison.holdout_reactivated) == (4, 1)
    assert comparison.mailed_rate == pytest.approx(0.2)
    assert comparison.holdout_rate == pytest.approx(0.25)
    assert comparison.lift == pytest.approx(-0.05)
    _d, low, high = difference_interval(3, 15, 1, 4)
    assert (comparison.lift_low, comparison.lift_high) == (pytest.approx(low), pytest.approx(high))
    assert low < 0 < high
    assert comparison.verdict == "too_small"


def test_range_outside_the_sends_reports_nothing(broadcast, form):
    empty = DateRange(date(2026, 5, 1), date(2026, 5, 31))
    funnel, suppressions = campaign_funnel(broadcast, empty, form=form)
    assert funnel.empty and suppressions.empty
    assert campaign_holdout(broadcast, empty, form=form).verdict == "no_holdout"


def test_page_shows_the_verdict_in_words(client, marketer, broadcast):
    client.force_login(marketer)
    response = client.get(reverse("reports:report_campaign", args=[broadcast.pk]), data.RANGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Too small to tell" in body
    assert 'id="report-chart-data"' in body and "<script>" not in body.replace('<script src=', '')


def test_csv_export_opens_in_pandas_with_the_same_figures(client, marketer, broadcast):
    client.force_login(marketer)
    response = client.get(reverse("reports:report_campaign", args=[broadcast.pk]),
                          {**data.RANGE, "format": "csv", "table": "funnel"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="campaign-{broadcast.pk}-funnel.csv"'
    frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    assert frame["Sent"].tolist() == [6, 4]
    assert frame["Opened"].tolist() == [2, 2]
    assert frame["Step"].iloc[0].startswith("'1. =HYPERLINK") is False  # the label starts with the position
    assert frame["Step"].iloc[0].startswith("1. =HYPERLINK")


def test_xlsx_export_has_no_live_formulas(client, marketer, broadcast):
    client.force_login(marketer)
    for table in ["funnel", "suppressions", "holdout"]:
        response = client.get(reverse("reports:report_campaign", args=[broadcast.pk]),
                              {**data.RANGE, "format": "xlsx", "table": table})
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        cells = [cell for row in book.active.iter_rows() for cell in row]
        assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]
    frame = pd.read_excel(io.BytesIO(response.content))
    assert frame.iloc[0]["Contacts"] == 15


def test_a_step_name_that_looks_like_a_formula_stays_text(client, marketer, broadcast):
    broadcast.steps.update(name="=1+2")
    client.force_login(marketer)
    response = client.get(reverse("reports:report_campaign", args=[broadcast.pk]),
                          {**data.RANGE, "format": "xlsx", "table": "suppressions"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "1. =1+2" and sheet["A2"].data_type == "s"


@pytest.mark.parametrize(("persona", "status"), [("rep", 403), ("marketer", 200), ("admin_user", 200)])
def test_campaign_report_is_for_marketers_and_admins(client, request, persona, status, broadcast):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("reports:report_campaign", args=[broadcast.pk])).status_code == status
    assert client.get(reverse("reports:report_campaigns")).status_code == status
    response = client.get(reverse("reports:report_campaign", args=[broadcast.pk]), {"format": "csv"})
    assert response.status_code == status


def test_anonymous_is_sent_to_login(client, broadcast):
    response = client.get(reverse("reports:report_campaign", args=[broadcast.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("params", [{"from": "2026-13-01"}, {"from": "2026-03-31", "to": "2026-03-01"},
                                    {"from": "2020-01-01", "to": "2026-03-01"}, {"to": "yesterday"}])
def test_bad_date_range_shows_a_message_and_the_default_range(client, marketer, broadcast, params):
    client.force_login(marketer)
    response = client.get(reverse("reports:report_campaign", args=[broadcast.pk]), params)
    assert response.status_code == 200
    assert 'id="range-errors"' in response.content.decode()
    assert response.context["range"].days == 90
    download = client.get(reverse("reports:report_campaign", args=[broadcast.pk]), {**params, "format": "csv"})
    assert download.status_code == 400


def test_unknown_format_or_table_is_refused(client, marketer, broadcast):
    client.force_login(marketer)
    url = reverse("reports:report_campaign", args=[broadcast.pk])
    assert client.get(url, {"format": "pdf"}).status_code == 400
    assert client.get(url, {"format": "csv", "table": "secrets"}).status_code == 404


def test_campaign_list_links_each_started_campaign(client, marketer, broadcast):
    data.campaign(name="Draft one", status="draft")
    client.force_login(marketer)
    body = client.get(reverse("reports:report_campaigns")).content.decode()
    assert reverse("reports:report_campaign", args=[broadcast.pk]) in body
    assert "Draft one" not in body


def test_sequence_holdout_compares_enrollments(form):
    from campaigns.models import Enrollment

    sequence = data.campaign("sequence", name="Drip", holdout=40)
    data.step(sequence, name="First mail")
    people = [data.contact(f"s{i}@example.jp") for i in range(5)]
    for i, person in enumerate(people):
        Enrollment.objects.create(campaign=sequence, contact=person, entered_at=T,
                                  status="exited" if i >= 3 else "active", exit_reason="holdout" if i >= 3 else "")
    data.touch(people[0], "meeting", T + 2 * D)
    data.touch(people[1], "page_view", T + 2 * D, bot=True)  # a bot is nobody coming back
    data.reactivation(people[3], T + D)
    campaign_answers_recompute(campaign_id=sequence.pk)
    comparison = campaign_holdout(sequence, RANGE, form=form)
    assert (comparison.mailed, comparison.mailed_reactivated, comparison.holdout, comparison.holdout_reactivated) == (
        3, 1, 2, 1)
    assert comparison.verdict == "too_small"


def test_campaign_page_links_to_its_report(client, marketer, broadcast):
    client.force_login(marketer)
    body = client.get(reverse("campaigns:detail", args=[broadcast.pk])).content.decode()
    assert reverse("reports:report_campaign", args=[broadcast.pk]) in body
