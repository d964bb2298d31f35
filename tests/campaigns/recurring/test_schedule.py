"""campaigns.schedule: parsing with errors naming the field, next_run in the workspace zone, descriptions."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from campaigns.schedule import describe, next_run, next_runs, parse, validate

TOKYO = ZoneInfo("Asia/Tokyo")


def jst(*args):
    return datetime(*args, tzinfo=TOKYO)


def test_monday_ten_from_a_tuesday_is_next_monday_ten_tokyo_as_utc():
    result = next_run("0 10 * * 1", jst(2026, 6, 2, 10, 0), TOKYO)
    assert result == datetime(2026, 6, 8, 1, 0, tzinfo=UTC) and result.tzinfo is UTC


def test_next_run_is_strictly_after_a_run_time():
    assert next_run("0 10 * * 1", jst(2026, 6, 8, 10, 0), TOKYO) == jst(2026, 6, 15, 10, 0)
    assert next_run("0 10 * * 1", jst(2026, 6, 8, 9, 59, 59), TOKYO) == jst(2026, 6, 8, 10, 0)


def test_day_31_skips_months_without_it():
    assert next_runs("0 10 31 * *", jst(2026, 4, 1), TOKYO) == [
        jst(2026, 5, 31, 10), jst(2026, 7, 31, 10), jst(2026, 8, 31, 10)]


def test_last_hour_of_the_year_rolls_into_january():
    assert next_run("30 23 * * *", jst(2026, 12, 31, 23, 30), TOKYO) == jst(2027, 1, 1, 23, 30)


def test_feb_29_waits_for_the_next_leap_year():
    assert next_run("0 0 29 2 *", jst(2026, 3, 1), TOKYO) == jst(2028, 2, 29, 0, 0)
    assert next_run("0 0 29 2 *", jst(2026, 3, 1), TOKYO) == datetime(2028, 2, 28, 15, 0, tzinfo=UTC)


def test_day_of_month_and_day_of_week_both_restricted_match_either():
    # The 13th OR a Friday: Fri 5th, Fri 12th, Sat 13th, Fri 19th.
    assert next_runs("0 10 13 * 5", jst(2026, 6, 1), TOKYO, count=4) == [
        jst(2026, 6, 5, 10), jst(2026, 6, 12, 10), jst(2026, 6, 13, 10), jst(2026, 6, 19, 10)]


def test_a_star_day_field_means_both_must_match():
    assert next_runs("0 10 13 * *", jst(2026, 6, 1), TOKYO, count=2) == [jst(2026, 6, 13, 10), jst(2026, 7, 13, 10)]
    # "*/2" starts with "*": like Vixie cron it is not a restriction, so odd days AND Mondays.
    assert next_runs("0 10 */2 * 1", jst(2026, 6, 1), TOKYO, count=2) == [jst(2026, 6, 1, 10), jst(2026, 6, 15, 10)]


def test_seven_and_zero_are_both_sunday():
    assert next_run("0 9 * * 7", jst(2026, 6, 1), TOKYO) == next_run("0 9 * * 0", jst(2026, 6, 1), TOKYO) \
        == jst(2026, 6, 7, 9)


def test_lists_ranges_and_steps():
    day = next_runs("*/20 9-10 * * 1-5", jst(2026, 6, 1, 0, 0), TOKYO, count=7)
    assert day == [jst(2026, 6, 1, 9, 0), jst(2026, 6, 1, 9, 20), jst(2026, 6, 1, 9, 40), jst(2026, 6, 1, 10, 0),
                   jst(2026, 6, 1, 10, 20), jst(2026, 6, 1, 10, 40), jst(2026, 6, 2, 9, 0)]
    assert next_runs("0 10 1,15 * *", jst(2026, 6, 2), TOKYO, count=2) == [jst(2026, 6, 15, 10), jst(2026, 7, 1, 10)]
    assert next_runs("0 8 * 1-12/6 *", jst(2026, 6, 2), TOKYO, count=2) == [jst(2026, 7, 1, 8), jst(2026, 7, 2, 8)]


def test_a_time_in_a_dst_gap_is_skipped_elsewhere():
    new_york = ZoneInfo("America/New_York")
    # 2026-03-08 02:30 does not exist in New York.
    assert next_run("30 2 * * *", datetime(2026, 3, 8, 0, 0, tzinfo=new_york), new_york) == \
        datetime(2026, 3, 9, 2, 30, tzinfo=new_york)


@pytest.mark.parametrize(("expression", "words"), [
    ("0 10 * *", "five fields"),
    ("60 10 * * 1", "minute field “60” is out of range: it takes 0–59"),
    ("0 24 * * 1", "hour field “24” is out of range"),
    ("0 10 0 * *", "day of month field “0” is out of range: it takes 1–31"),
    ("0 10 * 13 *", "month field “13” is out of range"),
    ("0 10 * * 8", "day of week field “8” is out of range: it takes 0–7"),
    ("0 ten * * 1", "hour field “ten” is not understood"),
    ("*/0 10 * * 1", "minute field “*/0” has a step below 1"),
    ("0 10 * * 5-1", "day of week field “5-1” has a range that runs backwards"),
    ("0 10 31 2,4 *", "never runs"),
    ("0 10 30 2 *", "never runs"),
    ("", "five fields"),
])
def test_invalid_expressions_name_the_bad_field(expression, words):
    with pytest.raises(ValidationError) as refused:
        parse(expression)
    assert words in refused.value.messages[0]


def test_validate_tidies_spaces_and_feb_30_or_a_monday_is_fine():
    assert validate("  0  10 *  * 1 ") == "0 10 * * 1"
    assert next_run("0 10 30 2 1", jst(2026, 1, 1), TOKYO) == jst(2026, 2, 2, 10)  # OR rule: Mondays in February


@pytest.mark.parametrize(("expression", "text"), [
    ("0 10 * * 1", "Every Monday at 10:00"),
    ("0 10 1 * *", "On day 1 of every month at 10:00"),
    ("30 8 * * *", "Every day at 08:30"),
    ("0 9 * * 1-5", "Every weekday (Monday to Friday) at 09:00"),
    ("0 9 * * 2,4", "Every Tuesday, Thursday at 09:00"),
    ("*/15 * * * *", "At minute */15, hour *, day of month *, month *, day of week * (0 = Sunday)"),
    ("nonsense", ""),
])
def test_describe(expression, text):
    assert describe(expression) == text


def _reference_matches(expression, moment):
    """Brute force: does local `moment` match, field by field, with cron's day rule?"""
    sched = parse(expression)
    dom_field, dow_field = expression.split()[2], expression.split()[4]
    dom, dow = moment.day in sched.days, moment.isoweekday() % 7 in sched.weekdays
    day_ok = (dom or dow) if not dom_field.startswith("*") and not dow_field.startswith("*") else (dom and dow)
    return moment.minute in sched.minutes and moment.hour in sched.hours and moment.month in sched.months and day_ok


FIELD_CHOICES = (
    ["0", "30", "*/15", "5,45", "10-12"],
    ["10", "*", "9-17/4", "0,23"],
    ["*", "1", "15", "31", "1-7", "*/10"],
    ["*", "2", "1-6", "*/3"],
    ["*", "1", "0", "7", "1-5", "6,0"],
)


@settings(max_examples=60, deadline=None)
@given(parts=st.tuples(*(st.sampled_from(choices) for choices in FIELD_CHOICES)),
       after=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)))
def test_next_run_is_the_first_matching_minute_after(parts, after):
    expression = " ".join(parts)
    try:
        parse(expression)
    except ValidationError:
        assume(False)  # "31" in February only: refused at parse time (tested above)
    after = after.replace(tzinfo=TOKYO)
    result = next_run(expression, after, TOKYO)
    assert result > after and result.tzinfo is UTC
    local = result.astimezone(TOKYO)
    assert local.second == 0 and _reference_matches(expression, local)
    # No matching minute in between (checked over at most two days of minutes).
    minute = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = min(local, minute + timedelta(days=2))
    while minute < end:
        assert not _reference_matches(expression, minute), (expression, after, minute, local)
        minute += timedelta(minutes=1)
