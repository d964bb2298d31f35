"""Dormancy report on a fixed set of five contacts, rule "quiet" (90 days, every touch kind), read on 2026-06-30.

c1 rep's, touched 2025-12-01: dormant throughout.
c2 other rep's, touched 2026-02-15: dormant from 2026-05-16 (goes dormant in May).
c3 rep's, touched 2025-11-01 and 2026-05-10: dormant until May, then active (leaves in May; marked reactivated).
c4 nobody's, touched 2025-10-01, and a bot-flagged "touch" on 2026-05-20: dormant throughout.
c5 rep's, never touched until 2026-06-20, acquired 2025-01-01: dormant until June (leaves in June).

The flow tests with daily snapshots add c6 (nobody's, touched 2026-02-01 and 2026-05-20: dormant 05-02 to
05-19, a round trip inside May).
"""
import io
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
from django.db.models import Sum
from django.urls import reverse

from contacts.models import Company, Contact
from dormancy.models import DormancyRule
from reports import reports_dormancy
from reports.forms_reports import DateRange
from reports.models import DormancyDay, DormancyOwnerDay
from reports.reports_dormancy import dormancy_flow, dormant_breakdown, month_ends
from reports.snapshots import day_snapshot_compute

from . import report_data as data

TODAY = date(2026, 6, 30)
Q2 = DateRange(date(2026, 4, 1), date(2026, 6, 30))
ALL_KINDS = ["email_open", "email_click", "page_view", "form_submit", "download", "call", "meeting", "card_exchange",
             "webinar", "reply"]


pytestmark = pytest.mark.usefixtures("english")  # tests/reports/conftest.py


@pytest.fixture
def rule(db):
    return DormancyRule.objects.create(name="Quiet 90 days", slug="quiet", inactivity_days=90, touch_kinds=ALL_KINDS,
                                       conditions={"match": "any", "items": []}, scope=[])


@pytest.fixture
def people(db, rule, rep, other_rep):
    maker = Company.objects.create(name="Maker", industry="Manufacturing", employee_count=120)
    soft = Company.objects.create(name="Soft", industry="IT", employee_count=30)
    acquired = date(2025, 1, 1)

    def person(name, owner, company, reason, touches, *, bot=()):
        real = [day for day in touches]
        c = data.contact(f"{name}@example.jp", owner=owner, company=company, lost_reason=reason, acquired_at=acquired,
                         last_touch_at=data.noon_tokyo(max(real)) if real else None)
        for day in real:
            data.touch(c, "page_view", data.noon_tokyo(day))
        for day in bot:
            data.touch(c, "page_view", data.noon_tokyo(day), bot=True)
        return c

    c1 = person("c1", rep, maker, "competitor", [date(2025, 12, 1)])
    c2 = person("c2", other_rep, soft, "pending", [date(2026, 2, 15)])
    c3 = person("c3", rep, maker, "forgotten", [date(2025, 11, 1), date(2026, 5, 10)])
    c4 = person("c4", None, None, "", [date(2025, 10, 1)], bot=[date(2026, 5, 20)])
    c5 = person("c5", rep, soft, "other", [date(2026, 6, 20)])
    data.reactivation(c3, data.noon_tokyo(date(2026, 5, 11)))
    return c1, c2, c3, c4, c5


FLOW = ["Month", "Dormant at the start", "Went dormant", "Left dormancy", "Reactivated (meeting booked)",
        "Dormant at the end"]


def test_month_ends_cut_the_first_and_last_month_to_the_range():
    assert month_ends(DateRange(date(2026, 4, 15), date(2026, 6, 10))) == [
        ("2026-04", date(2026, 4, 15), date(2026, 4, 30)), ("2026-05", date(2026, 5, 1), date(2026, 5, 31)),
        ("2026-06", date(2026, 6, 1), date(2026, 6, 10))]


def test_flow_without_snapshots_compares_month_ends(rule, people):
    flow = dormancy_flow(rule, Q2, today=TODAY)
    assert flow[FLOW].values.tolist() == [
        ["2026-04", 4, 0, 0, 0, 4],
        ["2026-05", 4, 1, 1, 1, 4],  # c2 went dormant, c3 came back (c4's bot touch changes nothing)
        ["2026-06", 4, 0, 1, 0, 3],  # c5 came back
    ]
    assert flow.attrs["sources"] == dict.fromkeys(["2026-04", "2026-05", "2026-06"], reports_dormancy.MONTH_ENDS)
    assert flow["Counted from"].tolist() == ["month ends, computed now"] * 3


def test_breakdowns_of_todays_members(rule, people, rep, other_rep):
    breakdown = dormant_breakdown(rule, Q2, today=TODAY)
    assert breakdown["total"] == 3
    assert breakdown["reason"].values.tolist() == [
        ["Pending (priority dropped)", 1, 33.3], ["Chose a competitor", 1, 33.3], ["No reason recorded", 1, 33.3]]
    assert sorted(breakdown["industry"].values.tolist()) == [["IT", 1, 33.3], ["Manufacturing", 1, 33.3],
                                                             ["Unknown", 1, 33.3]]
    assert breakdown["size"].values.tolist() == [["50–249", 1, 33.3], ["10–49", 1, 33.3], ["Unknown", 1, 33.3]]
    assert sorted(breakdown["owner"].values.tolist()) == [["Hanako Suzuki", 1, 33.3], ["No owner", 1, 33.3],
                                                          ["Taro Sato", 1, 33.3]]
    # On 06-30: c1 silent 211 days, c4 272 days, c2 135 days.
    assert breakdown["silence"].values.tolist() == [["180–364 days", 2, 66.7], ["90–179 days", 1, 33.3]]


def test_breakdown_on_a_past_day_replays_the_events(rule, people):
    breakdown = dormant_breakdown(rule, DateRange(date(2026, 4, 1), date(2026, 4, 30)), today=TODAY)
    # On 04-30: c1 (silent 150 days), c4 (211 days), c3 and c5 (c5 by its acquisition date), both touched after.
    assert breakdown["total"] == 4
    silence = dict(zip(breakdown["silence"]["Silent for"], breakdown["silence"]["Dormant contacts"], strict=True))
    assert silence == {"180–364 days": 1, "90–179 days": 1, "Touched again since": 2}


def frames(breakdown):
    return {key: breakdown[key].values.tolist() for key in ("reason", "industry", "size", "owner", "silence")}


def test_a_stored_day_reads_its_breakdown_snapshot(rule, people, rep):
    live = dormant_breakdown(rule, Q2, today=TODAY)
    live_past = dormant_breakdown(rule, DateRange(date(2026, 4, 1), date(2026, 4, 30)), today=TODAY)
    assert live["computed_at"] is None
    snapshot(date(2026, 4, 30), date(2026, 4, 30))
    snapshot(TODAY, TODAY)
    stored = dormant_breakdown(rule, Q2, today=TODAY)
    assert stored["computed_at"] == DormancyDay.objects.get(rule=rule, day=TODAY).computed_at
    assert frames(stored) == frames(live) and stored["total"] == DormancyDay.objects.get(rule=rule, day=TODAY).dormant
    past = dormant_breakdown(rule, DateRange(date(2026, 4, 1), date(2026, 4, 30)), today=TODAY)
    assert frames(past) == frames(live_past) and past["computed_at"] is not None
    # What changed since is not there until the next snapshot (hourly for today).
    Contact.objects.filter(email="c1@example.jp").update(lost_reason="other")
    assert frames(dormant_breakdown(rule, Q2, today=TODAY)) == frames(live)
    snapshot(TODAY, TODAY)
    reasons = dict(dormant_breakdown(rule, Q2, today=TODAY)["reason"].values[:, :2].tolist())
    assert reasons.get("Chose a competitor") is None and reasons["Other"] == 1
    # A rep reads their own rows: c1 is the rep's only member today.
    mine = dormant_breakdown(rule, Q2, today=TODAY, owner=rep)
    assert mine["total"] == 1 and mine["owner"].values.tolist() == [["Taro Sato", 1, 100.0]]


def test_the_page_says_whether_the_breakdown_was_stored(client, marketer, rule, people):
    client.force_login(marketer)
    url, params = reverse("reports:report_dormancy"), {"from": "2026-04-01", "to": "2026-06-30", "rule": "quiet"}
    assert 'id="breakdown-live"' in client.get(url, params).content.decode()
    snapshot(TODAY, TODAY)
    page = client.get(url, params).content.decode()
    assert 'id="breakdown-computed"' in page and 'id="breakdown-live"' not in page


def test_a_rep_sees_only_the_contacts_they_own(client, rep, rule, people):
    client.force_login(rep)
    response = client.get(reverse("reports:report_dormancy"), {"from": "2026-04-01", "to": "2026-06-30",
                                                               "rule": "quiet"})
    assert response.status_code == 200
    assert 'id="scope-note"' in response.content.decode()
    flow = pd.read_csv(io.BytesIO(client.get(reverse("reports:report_dormancy"), {
        "from": "2026-04-01", "to": "2026-06-30", "rule": "quiet", "format": "csv", "table": "flow"}).content),
        encoding="utf-8-sig")
    # The rep owns c1, c3 and c5: on 03-31 all three were dormant.
    assert flow[FLOW[1:]].values.tolist()[0][0] == 3
    owners = pd.read_csv(io.BytesIO(client.get(reverse("reports:report_dormancy"), {
        "rule": "quiet", "format": "csv", "table": "owner"}).content), encoding="utf-8-sig")
    assert owners["Owner"].tolist() == ["Taro Sato"]


def test_rep_flow_counts_only_their_contacts(rule, people, rep):
    flow = dormancy_flow(rule, Q2, today=TODAY, owner=rep)
    assert flow[FLOW].values.tolist() == [
        ["2026-04", 3, 0, 0, 0, 3],
        ["2026-05", 3, 0, 1, 1, 2],
        ["2026-06", 2, 0, 1, 0, 1],
    ]
    assert set(flow.attrs["sources"].values()) == {reports_dormancy.MONTH_ENDS}


def test_marketer_sees_everyone_and_exports_open_without_formulas(client, marketer, rule, people):
    client.force_login(marketer)
    url = reverse("reports:report_dormancy")
    params = {"from": "2026-04-01", "to": "2026-06-30", "rule": "quiet"}
    assert client.get(url, params).status_code == 200
    for table in ["flow", "reason", "industry", "size", "owner", "silence"]:
        response = client.get(url, {**params, "format": "xlsx", "table": table})
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    frame = pd.read_excel(io.BytesIO(client.get(url, {**params, "format": "xlsx", "table": "flow"}).content))
    assert frame["Went dormant"].tolist() == [0, 1, 0]


def test_an_industry_that_looks_like_a_formula_is_text(client, marketer, rule, people):
    Company.objects.filter(name="Maker").update(industry="=SUM(A1:A9)")
    client.force_login(marketer)
    response = client.get(reverse("reports:report_dormancy"), {"rule": "quiet", "format": "csv", "table": "industry"})
    text = response.content.decode("utf-8-sig")
    assert "'=SUM(A1:A9)" in text


@pytest.mark.parametrize("persona", ["rep", "marketer", "admin_user"])
def test_every_role_may_read_the_dormancy_report(client, request, persona, rule):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("reports:report_dormancy")).status_code == 200
    assert client.get(reverse("reports:index")).status_code == 200


def test_bad_range_on_the_dormancy_report_is_explained(client, marketer, rule, people):
    client.force_login(marketer)
    response = client.get(reverse("reports:report_dormancy"), {"from": "2026-06-30", "to": "2026-04-01"})
    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()


# -- monthly flow from the daily snapshots ---------------------------------------

MONTHS = ["2026-04", "2026-05", "2026-06"]


@pytest.fixture
def round_trip(people):
    """c6, nobody's: touched 02-01 (dormant from 05-02) and 05-20 (back): in and out within May."""
    c6 = data.contact("c6@example.jp", acquired_at=date(2025, 1, 1), last_touch_at=data.noon_tokyo(date(2026, 5, 20)))
    data.touch(c6, "page_view", data.noon_tokyo(date(2026, 2, 1)))
    data.touch(c6, "page_view", data.noon_tokyo(date(2026, 5, 20)))
    return c6


def snapshot(first, last, today=TODAY):
    """What beat (or `reports_snapshot --backfill`) stores, day by day, the dormancy metric only."""
    day = first
    while day <= last:
        day_snapshot_compute(day=day, today=today, metrics=("dormancy",))
        day += timedelta(days=1)


def assert_adds_up(flow):
    for row in flow.to_dict("records"):
        start, went, left = row["Dormant at the start"], row["Went dormant"], row["Left dormancy"]
        assert start + went - left == row["Dormant at the end"], row


def test_flow_from_snapshots_counts_every_move_so_a_round_trip_counts_both_ways(rule, people, round_trip):
    snapshot(date(2026, 3, 31), TODAY)
    flow = dormancy_flow(rule, Q2, today=TODAY)
    assert flow[FLOW].values.tolist() == [
        ["2026-04", 4, 0, 0, 0, 4],  # c1, c3, c4, c5 on 03-31
        ["2026-05", 4, 2, 2, 1, 4],  # went: c6 (05-02), c2 (05-16); left: c3 (05-10), c6 (05-20)
        ["2026-06", 4, 0, 1, 0, 3],  # c5 came back (06-20)
    ]
    assert flow.attrs["sources"] == dict.fromkeys(MONTHS, reports_dormancy.FROM_SNAPSHOTS)
    assert_adds_up(flow)


def test_flow_from_snapshots_is_the_sum_of_the_stored_days(rule, people, round_trip):
    snapshot(date(2026, 3, 31), TODAY)
    flow = dormancy_flow(rule, Q2, today=TODAY).set_index("Month")
    for label, first, last in month_ends(Q2):
        days = DormancyDay.objects.filter(rule=rule, day__range=(first, last)).aggregate(
            went=Sum("newly_dormant"), left=Sum("reactivated"))
        assert (flow.loc[label, "Went dormant"], flow.loc[label, "Left dormancy"]) == (days["went"], days["left"])
        assert flow.loc[label, "Dormant at the start"] == DormancyDay.objects.get(
            rule=rule, day=first - timedelta(days=1)).dormant
        assert flow.loc[label, "Dormant at the end"] == DormancyDay.objects.get(rule=rule, day=last).dormant


def test_a_few_missing_days_are_computed_with_the_snapshot_query_and_not_stored(rule, people, round_trip):
    snapshot(date(2026, 3, 31), TODAY)
    DormancyDay.objects.filter(day__in=[date(2026, 6, 20), TODAY]).delete()  # c5 left on 06-20
    flow = dormancy_flow(rule, Q2, today=TODAY)
    assert flow[FLOW].values.tolist()[2] == ["2026-06", 4, 0, 1, 0, 3]
    assert flow.attrs["sources"]["2026-06"] == reports_dormancy.DAYS_COMPUTED
    assert flow.attrs["sources"]["2026-05"] == reports_dormancy.FROM_SNAPSHOTS
    assert not DormancyDay.objects.filter(day__in=[date(2026, 6, 20), TODAY]).exists()
    assert_adds_up(flow)


def test_months_with_many_missing_days_compare_their_ends(rule, people, round_trip):
    snapshot(date(2026, 3, 31), TODAY)
    DormancyDay.objects.filter(day__range=(date(2026, 5, 1), date(2026, 5, 31))).delete()
    flow = dormancy_flow(rule, Q2, today=TODAY)
    assert flow[FLOW].values.tolist() == [
        ["2026-04", 4, 0, 0, 0, 4],
        ["2026-05", 4, 1, 1, 1, 4],  # month ends: c6's round trip is not seen
        ["2026-06", 4, 0, 1, 0, 3],  # its start (05-31) has no snapshot either
    ]
    assert flow.attrs["sources"] == {"2026-04": reports_dormancy.FROM_SNAPSHOTS,
                                     "2026-05": reports_dormancy.MONTH_ENDS, "2026-06": reports_dormancy.MONTH_ENDS}
    assert_adds_up(flow)


def test_snapshots_that_do_not_add_up_fall_back_to_month_ends(rule, people, round_trip):
    snapshot(date(2026, 3, 31), TODAY - timedelta(days=1))
    # A never-touched lead imported today: dormant by its acquisition date on every day. Only today's snapshot
    # (computed after the import) holds it, and as dormant the day before too, so it is not "newly dormant".
    data.contact("c7@example.jp", acquired_at=date(2025, 1, 1))
    snapshot(TODAY, TODAY)
    flow = dormancy_flow(rule, Q2, today=TODAY)
    assert flow.attrs["sources"] == {"2026-04": reports_dormancy.FROM_SNAPSHOTS,
                                     "2026-05": reports_dormancy.FROM_SNAPSHOTS, "2026-06": reports_dormancy.MONTH_ENDS}
    assert flow[FLOW].values.tolist()[2] == ["2026-06", 5, 0, 1, 0, 4]  # c7 counted at both ends now
    assert_adds_up(flow)


def test_rep_flow_reads_their_own_snapshots(rule, people, round_trip, rep, other_rep):
    c6 = Contact.objects.get(email="c6@example.jp")
    Contact.objects.filter(pk=c6.pk).update(owner=other_rep)
    snapshot(date(2026, 3, 31), TODAY)
    mine = dormancy_flow(rule, Q2, today=TODAY, owner=rep)
    assert mine[FLOW].values.tolist() == [
        ["2026-04", 3, 0, 0, 0, 3],  # c1, c3, c5
        ["2026-05", 3, 0, 1, 1, 2],  # c3 came back
        ["2026-06", 2, 0, 1, 0, 1],  # c5 came back
    ]
    theirs = dormancy_flow(rule, Q2, today=TODAY, owner=other_rep)
    assert theirs[FLOW].values.tolist() == [
        ["2026-04", 0, 0, 0, 0, 0],
        ["2026-05", 0, 2, 1, 0, 1],  # c6 in (05-02) and out (05-20), c2 in (05-16): every move, as the workspace's
        ["2026-06", 1, 0, 0, 0, 1],
    ]
    assert set(mine.attrs["sources"].values()) == set(theirs.attrs["sources"].values()) == {
        reports_dormancy.FROM_SNAPSHOTS}
    # The owners' rows and the unowned contacts (c4) add up to the workspace's row, every day.
    for day in DormancyDay.objects.filter(rule=rule):
        owned = DormancyOwnerDay.objects.filter(rule=rule, day=day.day).aggregate(
            dormant=Sum("dormant"), went=Sum("newly_dormant"), left=Sum("reactivated"))
        assert (owned["dormant"] + 1, owned["went"], owned["left"]) == (
            day.dormant, day.newly_dormant, day.reactivated), day.day


def test_a_handover_inside_a_month_makes_both_reps_count_that_month_at_its_ends(rule, people, rep, other_rep):
    c1 = Contact.objects.get(email="c1@example.jp")  # the rep's, dormant throughout
    snapshot(date(2026, 3, 31), date(2026, 5, 15))
    Contact.objects.filter(pk=c1.pk).update(owner=other_rep)
    snapshot(date(2026, 5, 16), TODAY)
    mine = dormancy_flow(rule, Q2, today=TODAY, owner=rep)
    assert mine[FLOW].values.tolist() == [
        ["2026-04", 3, 0, 0, 0, 3],  # stored: c1 was still theirs
        ["2026-05", 2, 0, 1, 1, 1],  # c1 left the rep's book, not dormancy: counted now, with today's owners
        ["2026-06", 1, 0, 1, 0, 0],  # stored again
    ]
    theirs = dormancy_flow(rule, Q2, today=TODAY, owner=other_rep)
    assert theirs[FLOW].values.tolist() == [
        ["2026-04", 0, 0, 0, 0, 0],
        ["2026-05", 1, 1, 0, 0, 2],  # c1 (handed over) and c2 (went dormant 05-16)
        ["2026-06", 2, 0, 0, 0, 2],
    ]
    expected = {"2026-04": reports_dormancy.FROM_SNAPSHOTS, "2026-05": reports_dormancy.MONTH_ENDS,
                "2026-06": reports_dormancy.FROM_SNAPSHOTS}
    assert mine.attrs["sources"] == theirs.attrs["sources"] == expected
    assert_adds_up(mine)
    assert_adds_up(theirs)


def test_days_stored_before_per_owner_snapshots_are_computed_for_a_rep(rule, people, round_trip, rep):
    snapshot(date(2026, 3, 31), TODAY)
    DormancyOwnerDay.objects.all().delete()
    DormancyDay.objects.update(details_stored=False)  # as the migration leaves the days stored before it
    mine = dormancy_flow(rule, Q2, today=TODAY, owner=rep)
    assert mine[FLOW].values.tolist() == [
        ["2026-04", 3, 0, 0, 0, 3],
        ["2026-05", 3, 0, 1, 1, 2],
        ["2026-06", 2, 0, 1, 0, 1],
    ]
    assert set(mine.attrs["sources"].values()) == {reports_dormancy.MONTH_ENDS}
    assert set(dormancy_flow(rule, Q2, today=TODAY).attrs["sources"].values()) == {reports_dormancy.FROM_SNAPSHOTS}


def test_the_page_says_which_months_were_counted_now(client, marketer, rule, people, round_trip):
    client.force_login(marketer)
    url, params = reverse("reports:report_dormancy"), {"from": "2026-04-01", "to": "2026-06-30", "rule": "quiet"}
    page = client.get(url, params).content.decode()
    assert 'id="flow-month-ends-note"' in page and "2026-04, 2026-05, 2026-06" in page
    snapshot(date(2026, 3, 31), TODAY)
    page = client.get(url, params).content.decode()
    assert 'id="flow-month-ends-note"' not in page and 'id="flow-days-computed-note"' not in page
    DormancyDay.objects.filter(day=TODAY).delete()
    page = client.get(url, params).content.decode()
    assert 'id="flow-days-computed-note"' in page and "Some days of 2026-06 had no snapshot yet" in page
    csv = pd.read_csv(io.BytesIO(client.get(url, {**params, "format": "csv", "table": "flow"}).content),
                      encoding="utf-8-sig")
    assert csv["Went dormant"].tolist() == [0, 2, 0]
    assert csv["Counted from"].tolist() == ["daily snapshots", "daily snapshots", "daily, partly computed now"]
