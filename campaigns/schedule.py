"""Cron-like schedules for recurring campaigns: parse, validate, find the next run, describe.

Five fields, "minute hour day-of-month month day-of-week", read in the
workspace time zone: numbers, `*`, lists (`1,15`), ranges (`1-5`) and steps
(`*/2`, `1-10/3`). Day-of-week is 0–6 with 0 = Sunday; 7 is also Sunday.
Like Vixie cron, when both day-of-month and day-of-week are restricted (the
field does not start with `*`) a day matches if EITHER matches; otherwise both
must. No names (MON, JAN) and no `L`/`W`/`#`: what the UI offers is enough,
and a small parser we test beats a deprecated dependency (croniter).

Times that do not exist locally (a DST gap) are skipped; an ambiguous time
(DST fall-back) runs at its first occurrence. The workspace zone (Asia/Tokyo)
has no DST, so this only matters elsewhere.
"""
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = (  # (name for messages, lowest, highest)
    (gettext_lazy("minute"), 0, 59),
    (gettext_lazy("hour"), 0, 23),
    (gettext_lazy("day of month"), 1, 31),
    (gettext_lazy("month"), 1, 12),
    (gettext_lazy("day of week"), 0, 7),
)
SEARCH_DAYS = 366 * 8 + 1  # long enough for Feb 29 on a given weekday (28-year cycle is not needed: OR rule)
MAX_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


@dataclass(frozen=True)
class Schedule:
    minutes: tuple
    hours: tuple
    days: frozenset
    months: frozenset
    weekdays: frozenset  # 0 = Sunday … 6 = Saturday
    days_restricted: bool
    weekdays_restricted: bool

    def matches_day(self, day):
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow


def _parse_field(text, index):
    label, low, high = FIELDS[index]
    named = {"field": label, "text": text, "low": low, "high": high}
    values = set()
    for part in text.split(","):
        base, _slash, step_text = part.partition("/")
        try:
            step = int(step_text) if _slash else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                start_text, end_text = base.split("-", 1)
                start, end = int(start_text), int(end_text)
            else:
                start = end = int(base)
                if _slash:  # "5/10" means 5, 15, 25 … as in Vixie cron
                    end = high
        except ValueError:
            raise ValidationError(_("The %(field)s field “%(text)s” is not understood: use numbers, *, lists (1,15), "
                                    "ranges (1-5) or steps (*/2).") % named) from None
        if step < 1:
            raise ValidationError(_("The %(field)s field “%(text)s” has a step below 1.") % named)
        if not (low <= start <= high and low <= end <= high):
            raise ValidationError(_("The %(field)s field “%(text)s” is out of range: it takes %(low)s–%(high)s.")
                                  % named)
        if start > end:
            raise ValidationError(_("The %(field)s field “%(text)s” has a range that runs backwards.") % named)
        values.update(range(start, end + 1, step))
    return values


def parse(expression):
    """The Schedule for `expression`, or ValidationError naming the field that is wrong."""
    parts = (expression or "").split()
    if len(parts) != 5:
        raise ValidationError(_("A schedule has five fields separated by spaces: minute hour day-of-month month "
                                "day-of-week (for example “0 10 * * 1” for Mondays at 10:00); this one has %(n)s.")
                              % {"n": len(parts)})
    minutes, hours, days, months, weekdays = (_parse_field(text, i) for i, text in enumerate(parts))
    schedule = Schedule(minutes=tuple(sorted(minutes)), hours=tuple(sorted(hours)), days=frozenset(days),
                        months=frozenset(months), weekdays=frozenset(d % 7 for d in weekdays),
                        days_restricted=not parts[2].startswith("*"), weekdays_restricted=not parts[4].startswith("*"))
    if not schedule.weekdays_restricted and all(min(days) > MAX_MONTH_DAYS[m] for m in months):
        raise ValidationError(_("This schedule never runs: none of its months has day %(day)s.")
                                  % {"day": min(days)})
    return schedule


def validate(expression):
    """The expression, tidied (single spaces), or ValidationError. For forms."""
    parse(expression)
    return " ".join(expression.split())


def next_run(expression, after, tz):
    """The first run strictly after `after` (aware), as an aware UTC datetime; None if none within 8 years."""
    schedule = expression if isinstance(expression, Schedule) else parse(expression)
    local = after.astimezone(tz)
    day = local.date()
    for _offset in range(SEARCH_DAYS):
        if schedule.matches_day(day):
            for hour in schedule.hours:
                for minute in schedule.minutes:
                    candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
                    moment = candidate.astimezone(UTC)
                    if moment.astimezone(tz).replace(tzinfo=None) != candidate.replace(tzinfo=None):
                        continue  # does not exist locally (DST gap)
                    if moment > after:
                        return moment
        day += timedelta(days=1)
    return None


def previous_run(expression, at, tz):
    """The last run at or before `at` (aware), as an aware UTC datetime; None if none within 8 years."""
    schedule = expression if isinstance(expression, Schedule) else parse(expression)
    day = at.astimezone(tz).date()
    for _offset in range(SEARCH_DAYS):
        if schedule.matches_day(day):
            for hour in reversed(schedule.hours):
                for minute in reversed(schedule.minutes):
                    candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
                    moment = candidate.astimezone(UTC)
                    if moment.astimezone(tz).replace(tzinfo=None) != candidate.replace(tzinfo=None):
                        continue  # does not exist locally (DST gap)
                    if moment <= at:
                        return moment
        day -= timedelta(days=1)
    return None


def next_runs(expression, after, tz, count=3):
    """The next `count` runs after `after` (fewer if the schedule ends)."""
    schedule, runs = parse(expression), []
    while len(runs) < count:
        after = next_run(schedule, after, tz)
        if after is None:
            break
        runs.append(after)
    return runs


def _weekday_names():
    return [_("Sunday"), _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday")]


def describe(expression):
    """A sentence for people: "Every Monday at 10:00", "On day 1 of every month at 10:00", or the fields spelled out."""
    try:
        schedule = parse(expression)
    except ValidationError:
        return ""
    minute, hour, dom, month, dow = expression.split()
    if len(schedule.minutes) == 1 and len(schedule.hours) == 1 and month == "*":
        at = f"{schedule.hours[0]:02d}:{schedule.minutes[0]:02d}"
        if dom == "*" and dow == "*":
            return _("Every day at %(time)s") % {"time": at}
        if dom == "*" and schedule.weekdays == {1, 2, 3, 4, 5}:
            return _("Every weekday (Monday to Friday) at %(time)s") % {"time": at}
        if dom == "*":
            names = _weekday_names()
            days = ", ".join(names[d] for d in sorted(schedule.weekdays))
            return _("Every %(days)s at %(time)s") % {"days": days, "time": at}
        if dow == "*":
            days = ", ".join(str(d) for d in sorted(schedule.days))
            return _("On day %(days)s of every month at %(time)s") % {"days": days, "time": at}
    return _("At minute %(minute)s, hour %(hour)s, day of month %(dom)s, month %(month)s, day of week %(dow)s "
             "(0 = Sunday)") % {"minute": minute, "hour": hour, "dom": dom, "month": month, "dow": dow}
