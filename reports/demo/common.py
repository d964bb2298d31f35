"""What every part of the demo activity shares: reproducible chances, times, and the touch writer.

Chances come from a hash of (seed, purpose, key) where the key is a stable
natural key (an email, a contract number), never a database id: the same
seed gives the same story whatever ids the rows got.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from contacts.models import TouchEvent, TouchSource
from contacts.rules import workspace_tz
from contacts.services import event_fingerprint, touch_summaries_advance

SITE = "https://example.co.jp"
PRICING = f"{SITE}/pricing"
CASE_STUDIES = [f"{SITE}/case-studies", f"{SITE}/case-studies/manufacturing-renewal",
                f"{SITE}/case-studies/it-saas-onboarding", f"{SITE}/case-studies/logistics-dx"]
PAGE_TITLES = {PRICING: "料金プラン | Rekindle", CASE_STUDIES[0]: "導入事例 | Rekindle",
               CASE_STUDIES[1]: "導入事例: 製造業の契約更新率を改善 | Rekindle",
               CASE_STUDIES[2]: "導入事例: IT・SaaS企業のオンボーディング | Rekindle",
               CASE_STUDIES[3]: "導入事例: 物流DXの定着支援 | Rekindle"}


@dataclass
class ActivityStats:
    """What one run created, for the command's summary."""

    counts: dict = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, name, value):
        self.counts[name] = self.counts.get(name, 0) + value


def chance(seed, purpose, key):
    """A reproducible number in [0, 1) for (seed, purpose, key)."""
    digest = hashlib.md5(f"{seed}:{purpose}:{key}".encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick(seed, purpose, key, weighted):
    """One value of [(value, weight)], reproducibly."""
    roll = chance(seed, purpose, key) * sum(weight for _value, weight in weighted)
    for value, weight in weighted:
        roll -= weight
        if roll < 0:
            return value
    return weighted[-1][0]


def between(seed, purpose, key, low, high):
    """A reproducible timedelta in [low, high)."""
    return low + (high - low) * chance(seed, purpose, key)


def local_moment(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=workspace_tz())


def weekday_on_or_before(day):
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def office_hours(moment, seed, key):
    """`moment` moved into the next weekday office hours (09:00–18:00 workspace time), as a rep would act."""
    local = moment.astimezone(workspace_tz())
    if local.weekday() < 5 and time(9) <= local.time() < time(18):
        return moment
    day = local.date() + timedelta(days=0 if local.time() < time(9) else 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return local_moment(day, 9) + between(seed, "office", key, timedelta(minutes=2), timedelta(minutes=50))


def touch(contact_id, kind, at, *, url="", detail="", bot=False, source=TouchSource.TRACKING):
    """An unsaved touch event, fingerprinted as every way in fingerprints it (seconds, UTC)."""
    at = at.astimezone(UTC).replace(microsecond=0)
    url, detail = url[:2000], detail[:1000]
    return TouchEvent(contact_id=contact_id, kind=kind, occurred_at=at, url=url, detail=detail, source=source,
                      flagged_as_bot=bot, fingerprint=event_fingerprint(contact_id=contact_id, kind=kind,
                                                                        occurred_at=at, url=url, detail=detail))


def touches_store(events, *, now, stats):
    """Store touches the way the importer and the tracking drain do: one bulk insert that ignores facts already
    stored (fingerprint), then contacts.services.touch_summaries_advance moves each contact's per-kind summary and
    last touch forward. Events after `now` did not happen yet and are dropped."""
    unique = list({event.fingerprint: event for event in events if event.occurred_at <= now}.values())
    TouchEvent.objects.bulk_create(unique, batch_size=2000, ignore_conflicts=True)
    touch_summaries_advance(unique)
    stats.add("touches", len(unique))
    stats.add("touches_bot", sum(event.flagged_as_bot for event in unique))
    return unique


def call_task_settle(task, *, seed, key, due, now, slowest, settled_before, outcomes):
    """Mark a demo call task done, within `slowest` of its due time in office hours, when that is already
    `settled_before` in the past (the rest stay open on the reps' call lists)."""
    from campaigns.models import CallTaskStatus

    done = office_hours(due + between(seed, "call-done", key, timedelta(hours=1), slowest), seed, key)
    if done <= now - settled_before:
        task.status, task.done_at = CallTaskStatus.DONE, done
        task.outcome = pick(seed, "call-outcome", key, outcomes)
    return task
