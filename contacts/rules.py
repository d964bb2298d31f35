"""Pure functions on contact data: normalisation and parsing, no I/O."""
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(raw):
    """Trim, fold full-width characters (NFKC) and lowercase an address.

    Japanese Excel exports often carry full-width letters or an ideographic
    space; after this, "ＴＡＲＯ@Example.co.jp　" and "taro@example.co.jp" are
    the same contact.
    """
    if raw is None:
        return ""
    return unicodedata.normalize("NFKC", str(raw)).strip().lower()


def is_valid_email(value):
    return bool(EMAIL_RE.match(value)) and len(value) <= 254


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S")


def parse_datetime_value(raw, tz):
    """Parse ISO 8601, YYYY/MM/DD or YYYY-MM-DD HH:MM into an aware datetime.

    Naive values are read in `tz` (the workspace time zone); a bare date means
    midnight of that day there. Returns None for text that is not a date.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    value = None
    for fmt in DATETIME_FORMATS + DATE_FORMATS:
        try:
            value = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    if value is None:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def parse_date_value(raw, tz):
    """Parse a date; a datetime is reduced to its calendar date in `tz`."""
    text = unicodedata.normalize("NFKC", raw).strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    value = parse_datetime_value(text, tz)
    if value is None:
        return None
    return value.astimezone(tz).date()


def start_of_day(day: date, tz):
    return datetime.combine(day, time.min, tzinfo=tz)


def workspace_tz():
    return ZoneInfo(settings.TIME_ZONE)


def workspace_today(*, now=None):
    """Today's calendar date in the workspace time zone."""
    return (now or timezone.now()).astimezone(workspace_tz()).date()


def last_silent_date(today, days):
    """The latest last-touch date that still counts as `days` of silence."""
    return today - timedelta(days=days)


def known_since_q(day, tz):
    """Acquired on or before `day`; without an acquisition date, added to Rekindle by then.

    The stand-in for a last touch when a contact has none: shared by the
    contact list's "silent N days" filter and the dormancy rules.
    """
    next_midnight = start_of_day(day + timedelta(days=1), tz)
    return Q(acquired_at__lte=day) | Q(acquired_at__isnull=True, created_at__lt=next_midnight)
