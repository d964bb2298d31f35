"""Vectorised time arithmetic for the demo generator.

Timestamps are int64 seconds. "Local" seconds are wall-clock seconds in the
workspace time zone (as if it were UTC), which makes calendar-day and
time-of-day arithmetic plain integer maths; `to_utc` converts back.
"""
from datetime import UTC, datetime

import numpy as np

DAY = 86_400
HOUR = 3_600


class Clock:
    # Offsets are looked up per local hour, exact for every zone whose
    # transitions fall on the hour (all of Japan's history and nearly all others).
    PAST_DAYS = 4_000
    FUTURE_DAYS = 400

    def __init__(self, now, tz):
        self.tz = tz
        self.now = int(now.timestamp())
        self.now_local = self.now + int(now.astimezone(tz).utcoffset().total_seconds())
        self.today = self.now_local // DAY  # local day number (days since 1970-01-01)
        self._first_hour = (self.today - self.PAST_DAYS) * 24
        hours = range(self._first_hour, (self.today + self.FUTURE_DAYS) * 24)
        offsets = [self._offset_at_local_hour(h) for h in hours]
        self._offsets = np.asarray(offsets, dtype=np.int64)

    def _offset_at_local_hour(self, hour):
        wall = datetime.fromtimestamp(hour * HOUR, UTC).replace(tzinfo=self.tz)
        return int(wall.utcoffset().total_seconds())

    def offsets(self, local):
        index = np.clip(local // HOUR - self._first_hour, 0, len(self._offsets) - 1)
        return self._offsets[index]

    def to_utc(self, local):
        return local - self.offsets(local)

    def day_start(self, days_ago):
        """Local midnight of the calendar day `days_ago` days before today."""
        return (self.today - np.asarray(days_ago, dtype=np.int64)) * DAY

    def local_day(self, days_ago):
        return np.asarray(self.today - np.asarray(days_ago, dtype=np.int64), dtype="datetime64[D]")


def weekday(local):
    """Monday = 0 for local seconds (1970-01-01 was a Thursday)."""
    return (np.asarray(local) // DAY + 3) % 7
