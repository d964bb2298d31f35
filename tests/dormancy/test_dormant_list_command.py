"""`manage.py dormant_list`: emails or a count, today or as of a past date."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contacts.models import ContactStatus

from .conftest import TODAY, tokyo


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("dormant_list", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Freeze the command's clock: "today" in the workspace zone is TODAY."""
    monkeypatch.setattr("dormancy.management.commands.dormant_list.workspace_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def population(make_contact, touch, today):
    """Against the shipped default rule (180 days; lost or stage stalled 90 days)."""
    lost = make_contact(email="b-lost@example.com", status=ContactStatus.LOST)
    touch(lost, tokyo(today - timedelta(days=200)))
    stalled = make_contact(email="a-stalled@example.com", deal_stage_changed_at=today - timedelta(days=400))
    touch(stalled, tokyo(today - timedelta(days=181)))
    returned = make_contact(email="c-returned@example.com", status=ContactStatus.LOST)
    touch(returned, tokyo(today - timedelta(days=300)))
    touch(returned, tokyo(today - timedelta(days=20)))
    fresh = make_contact(email="d-fresh@example.com", status=ContactStatus.LOST)
    touch(fresh, tokyo(today - timedelta(days=179)))


def test_prints_dormant_emails_one_per_line_sorted(population):
    out, err = run()
    assert out == "a-stalled@example.com\nb-lost@example.com\n"
    assert err == ""


def test_prints_the_count(population):
    assert run("--format", "count") == ("2\n", "")


def test_as_of_counts_only_events_on_or_before_that_date(population, today):
    # 21 days ago the returning contact had been silent 279 days (its touch 20
    # days ago had not happened), while the other two had been silent only 160
    # and 179 days.
    as_of = (today - timedelta(days=21)).isoformat()
    assert run("--as-of", as_of) == ("c-returned@example.com\n", "")
    assert run("--as-of", as_of, "--format", "count") == ("1\n", "")


def test_as_of_a_year_later_projects_todays_silence(population, today):
    as_of = (today + timedelta(days=365)).isoformat()
    assert run("--as-of", as_of, "--format", "count") == ("4\n", "")


def test_as_of_today_matches_the_default_listing(population, today):
    assert run("--as-of", today.isoformat())[0] == run()[0]


def test_rule_option_picks_the_rule(make_rule, population):
    make_rule(slug="silent-200", inactivity_days=200)
    assert run("--rule", "silent-200")[0] == "b-lost@example.com\n"


def test_inactive_rule_still_lists_with_a_note(make_rule, population):
    make_rule(slug="paused", inactivity_days=200, is_active=False)
    out, err = run("--rule", "paused")
    assert out == "b-lost@example.com\n"
    assert err == 'Note: rule "paused" is inactive; listing its members anyway.\n'


def test_unknown_rule_is_an_error_naming_the_known_rules(db):
    with pytest.raises(CommandError, match=r'No dormancy rule with the slug "nope"\. Known rules: default\.'):
        run("--rule", "nope")


@pytest.mark.parametrize("bad", ["2025-13-01", "yesterday", "2025/06/01"])
def test_bad_date_is_an_error(db, bad):
    with pytest.raises(CommandError, match=f'--as-of wants a date as YYYY-MM-DD, not "{bad}"'):
        run("--as-of", bad)


def test_unknown_rule_exits_non_zero_from_the_shell(db, capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "dormant_list", "--rule", "nope"]).execute()
    assert exited.value.code == 1
    assert 'No dormancy rule with the slug "nope"' in capsys.readouterr().err

