"""The inactivity clause: calendar days in the workspace zone, fallbacks, which touches count."""
from datetime import date, datetime

import pytest

from contacts.models import Contact, TouchKind
from dormancy.rules import dormant_as_of_q, dormant_q

from .conftest import ALL_KINDS, TODAY, TOKYO, UTC, days_ago, tokyo

# Both query paths: every kind counts (reads Contact.last_touch_at) and a
# subset counts (anti-join on the touch summary).
KIND_SETS = pytest.mark.parametrize(
    "kinds", [ALL_KINDS, [TouchKind.EMAIL_CLICK, TouchKind.MEETING]], ids=["all-kinds", "some-kinds"]
)


def members(rule, *, today=TODAY, tz=TOKYO):
    return set(Contact.objects.filter(dormant_q(rule, today=today, tz=tz)).values_list("email", flat=True))


@KIND_SETS
def test_contact_with_click_179_days_ago_is_not_dormant(make_rule, make_contact, touch, kinds):
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="c179@example.com", acquired_at=date(2020, 1, 1))
    touch(contact, tokyo(days_ago(179), 0, 0))
    assert members(rule) == set()


@KIND_SETS
def test_contact_with_click_180_days_ago_is_dormant(make_rule, make_contact, touch, kinds):
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="c180@example.com", acquired_at=date(2020, 1, 1))
    touch(contact, tokyo(days_ago(180), 23, 59))
    assert members(rule) == {"c180@example.com"}


@KIND_SETS
def test_contact_with_click_181_days_ago_is_dormant(make_rule, make_contact, touch, kinds):
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="c181@example.com", acquired_at=date(2020, 1, 1))
    touch(contact, tokyo(days_ago(181), 12))
    assert members(rule) == {"c181@example.com"}


@KIND_SETS
def test_only_the_latest_touch_decides(make_rule, make_contact, touch, kinds):
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="old-and-new@example.com")
    touch(contact, tokyo(days_ago(400)))
    touch(contact, tokyo(days_ago(10)))
    assert members(rule) == set()


@KIND_SETS
def test_event_just_after_utc_midnight_counts_on_the_next_tokyo_day(make_rule, make_contact, touch, kinds):
    # 2025-05-31T15:30Z is 2025-06-01 00:30 in Tokyo: 179 days before today in
    # Tokyo (not dormant) but 180 days before it in UTC (dormant).
    today = date(2025, 11, 27)
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="midnight@example.com", acquired_at=date(2020, 1, 1))
    touch(contact, datetime(2025, 5, 31, 15, 30, tzinfo=UTC))
    assert members(rule, today=today, tz=TOKYO) == set()
    assert members(rule, today=today, tz=UTC) == {"midnight@example.com"}


@KIND_SETS
def test_event_one_minute_before_tokyo_midnight_counts_on_that_day(make_rule, make_contact, touch, kinds):
    today = date(2025, 11, 27)
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="late@example.com")
    touch(contact, datetime(2025, 5, 31, 14, 59, tzinfo=UTC))  # 23:59 on 31 May in Tokyo
    assert members(rule, today=today, tz=TOKYO) == {"late@example.com"}


@KIND_SETS
def test_contact_without_touches_counts_its_acquisition_date(make_rule, make_contact, kinds):
    rule = make_rule(touch_kinds=kinds)
    make_contact(email="acq180@example.com", acquired_at=days_ago(180))
    make_contact(email="acq179@example.com", acquired_at=days_ago(179))
    assert members(rule) == {"acq180@example.com"}


@KIND_SETS
def test_contact_without_touches_or_acquisition_date_counts_the_day_it_was_added(make_rule, make_contact, kinds):
    rule = make_rule(touch_kinds=kinds)
    make_contact(email="added180@example.com", created_on=days_ago(180))
    make_contact(email="added179@example.com", created_on=days_ago(179))
    assert members(rule) == {"added180@example.com"}


@KIND_SETS
def test_old_touch_beats_a_recent_acquisition_date(make_rule, make_contact, touch, kinds):
    # PRODUCT.md: the acquisition date stands in only when there is no touch at all.
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="touched-long-ago@example.com", acquired_at=days_ago(5))
    touch(contact, tokyo(days_ago(300)))
    assert members(rule) == {"touched-long-ago@example.com"}


@KIND_SETS
def test_bot_flagged_click_does_not_count_as_a_touch(make_rule, make_contact, touch, kinds):
    rule = make_rule(touch_kinds=kinds)
    contact = make_contact(email="bot@example.com", acquired_at=days_ago(400))
    touch(contact, tokyo(days_ago(3)), bot=True)
    assert members(rule) == {"bot@example.com"}


def test_touch_of_a_kind_the_rule_ignores_does_not_count(make_rule, make_contact, touch):
    rule = make_rule(touch_kinds=[TouchKind.CALL, TouchKind.MEETING])
    contact = make_contact(email="opened@example.com", acquired_at=days_ago(400))
    touch(contact, tokyo(days_ago(3)), kind=TouchKind.EMAIL_OPEN)
    touch(contact, tokyo(days_ago(200)), kind=TouchKind.CALL)
    assert members(rule) == {"opened@example.com"}


def test_only_ignored_kinds_fall_back_to_the_acquisition_date(make_rule, make_contact, touch):
    rule = make_rule(touch_kinds=[TouchKind.CALL])
    recent = make_contact(email="recent-acq@example.com", acquired_at=days_ago(30))
    touch(recent, tokyo(days_ago(300)), kind=TouchKind.EMAIL_OPEN)
    old = make_contact(email="old-acq@example.com", acquired_at=days_ago(300))
    touch(old, tokyo(days_ago(3)), kind=TouchKind.EMAIL_OPEN)
    assert members(rule) == {"old-acq@example.com"}


def test_inactivity_threshold_comes_from_the_rule(make_rule, make_contact, touch):
    rule = make_rule(inactivity_days=90)
    contact = make_contact(email="c90@example.com")
    touch(contact, tokyo(days_ago(90)))
    other = make_contact(email="c89@example.com")
    touch(other, tokyo(days_ago(89)))
    assert members(rule) == {"c90@example.com"}


def test_membership_is_one_sql_statement(make_rule, make_contact, touch, django_assert_num_queries):
    rule = make_rule(touch_kinds=[TouchKind.CALL], conditions={"match": "any", "items": [{"type": "lost"}]},
                     scope=[{"field": "industry", "op": "eq", "value": "製造"}])
    make_contact(email="x@example.com", acquired_at=days_ago(300))
    with django_assert_num_queries(1):
        assert Contact.objects.filter(dormant_q(rule, today=TODAY, tz=TOKYO)).count() == 0


class TestAsOf:
    def members_as_of(self, rule, as_of, tz=TOKYO):
        return set(Contact.objects.filter(dormant_as_of_q(rule, as_of=as_of, tz=tz)).values_list("email", flat=True))

    @KIND_SETS
    def test_touch_after_the_as_of_day_is_ignored(self, make_rule, make_contact, touch, kinds):
        rule = make_rule(touch_kinds=kinds)
        contact = make_contact(email="came-back@example.com", acquired_at=date(2020, 1, 1))
        touch(contact, tokyo(days_ago(200)))
        touch(contact, tokyo(days_ago(10)))
        assert self.members_as_of(rule, days_ago(11)) == {"came-back@example.com"}
        assert self.members_as_of(rule, days_ago(10)) == set()

    @KIND_SETS
    def test_as_of_boundaries_follow_the_same_calendar_rule(self, make_rule, make_contact, touch, kinds):
        as_of = date(2025, 9, 30)
        rule = make_rule(touch_kinds=kinds)
        for n in (179, 180, 181):
            touch(make_contact(email=f"asof{n}@example.com"), tokyo(days_ago(n, as_of), 0, 0))
        assert self.members_as_of(rule, as_of) == {"asof180@example.com", "asof181@example.com"}

    def test_as_of_counts_tokyo_midnight_on_the_next_day(self, make_rule, make_contact, touch):
        rule = make_rule()
        contact = make_contact(email="asof-midnight@example.com")
        touch(contact, datetime(2025, 5, 31, 15, 30, tzinfo=UTC))  # 1 June 00:30 in Tokyo
        assert self.members_as_of(rule, date(2025, 11, 27)) == set()
        assert self.members_as_of(rule, date(2025, 11, 28)) == {"asof-midnight@example.com"}

    def test_as_of_ignores_bot_touches_and_other_kinds(self, make_rule, make_contact, touch):
        rule = make_rule(touch_kinds=[TouchKind.CALL])
        contact = make_contact(email="asof-bot@example.com", acquired_at=date(2020, 1, 1))
        touch(contact, tokyo(days_ago(5, date(2025, 9, 30))), kind=TouchKind.CALL, bot=True)
        touch(contact, tokyo(days_ago(5, date(2025, 9, 30))), kind=TouchKind.PAGE_VIEW)
        assert self.members_as_of(rule, date(2025, 9, 30)) == {"asof-bot@example.com"}

    def test_as_of_before_the_first_touch_falls_back_to_acquisition(self, make_rule, make_contact, touch):
        rule = make_rule()
        early = make_contact(email="early@example.com", acquired_at=date(2024, 1, 1))
        touch(early, tokyo(date(2025, 11, 1)))
        late = make_contact(email="late-acq@example.com", acquired_at=date(2025, 3, 1))
        touch(late, tokyo(date(2025, 11, 1)))
        assert self.members_as_of(rule, date(2025, 7, 1)) == {"early@example.com"}
