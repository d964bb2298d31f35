"""Touch events for a chunk of demo contacts, vectorised.

Each touched contact gets a pinned latest touch (its profile's "last touch"),
a pinned first touch at the acquisition moment when that lies within the
two-year window, and a negative-binomial number of touches in between: most
spread evenly, the rest bunched before the latest touch. Newsletter opens
and clicks follow the monthly send; a few of them are link-scanner hits
within seconds of the send, flagged as bots.
"""
import hashlib
from dataclasses import dataclass

import numpy as np

from . import vocab
from .clock import DAY, HOUR, weekday
from .story import NEVER_TOUCHED

WINDOW_DAYS = 730
STR = np.dtypes.StringDType()
KIND = {kind: index for index, kind in enumerate(vocab.EVENT_KINDS)}
OFFICE_KINDS = np.array([KIND[k] for k in ("call", "meeting", "card_exchange", "webinar", "reply", "form_submit")])
EMAIL_KINDS = np.array([KIND["email_open"], KIND["email_click"]])
# What the latest touch tends to be.
LAST_KINDS = [("page_view", 25), ("email_open", 20), ("email_click", 10), ("call", 15), ("meeting", 10),
              ("reply", 10), ("download", 5), ("webinar", 5)]
# First touch per acquisition channel, with its detail and URL.
FIRST_TOUCH = {
    "expo": ("card_exchange", vocab.CARD_NOTES["expo"], ""),
    "visit": ("card_exchange", vocab.CARD_NOTES["visit"], ""),
    "webinar": ("webinar", vocab.WEBINARS[0][1], vocab.SITE + vocab.WEBINARS[0][0]),
    "download": ("download", vocab.DOCUMENTS[0][1], vocab.SITE + vocab.DOCUMENTS[0][0]),
    "inquiry": ("form_submit", vocab.FORMS[0][1], vocab.SITE + vocab.FORMS[0][0]),
}
BOT_SHARE = 0.04


@dataclass
class Events:
    contact: np.ndarray  # index into the chunk
    kind: np.ndarray  # index into vocab.EVENT_KINDS
    occurred_at: np.ndarray  # UTC seconds
    url: np.ndarray
    detail: np.ndarray
    flagged_as_bot: np.ndarray
    fingerprint: list

    def __len__(self):
        return len(self.contact)


def _w(values):
    values = np.asarray(values, dtype=float)
    return values / values.sum()


def _counts(rng, chunk):
    mean = np.array([p[3] for p in vocab.PROFILES], dtype=float)[chunk.profile]
    window = np.minimum(chunk.acquired_days, WINDOW_DAYS) - chunk.last_days
    mean = mean * np.sqrt(np.clip(window / 365.0, 0.1, 1.0))
    extra = rng.negative_binomial(2, 2.0 / (2.0 + np.maximum(mean - 1.0, 0.01)))
    has_first = (chunk.acquired_days <= WINDOW_DAYS) & (chunk.acquired_days > chunk.last_days)
    touched = chunk.profile != NEVER_TOUCHED
    return np.where(touched, 1 + has_first + extra, 0), has_first & touched


def events_generate(rng, clock, chunk, contact_ids):
    counts, has_first = _counts(rng, chunk)
    total = int(counts.sum())
    contact = np.repeat(np.arange(chunk.count), counts)
    block_start = np.repeat(np.cumsum(counts) - counts, counts)
    position = np.arange(total) - block_start
    is_last = position == 0
    is_first = (position == 1) & has_first[contact]
    regular = ~(is_last | is_first)

    last_local = _office_or_any(rng, clock, chunk.last_days[contact])
    last_local = np.minimum(last_local, clock.now_local - 60)
    oldest = np.where(has_first, chunk.acquired_local, clock.day_start(WINDOW_DAYS))[contact]

    kind = rng.choice(len(vocab.EVENT_KINDS), size=total, p=_w(vocab.EVENT_KIND_WEIGHTS))
    last_kinds = np.array([KIND[k] for k, _w in LAST_KINDS])
    kind[is_last] = last_kinds[rng.choice(len(LAST_KINDS), size=int(is_last.sum()), p=_w([w for _k, w in LAST_KINDS]))]
    first_kind = np.array([KIND[FIRST_TOUCH[c[0]][0]] for c in vocab.CHANNELS])
    kind[is_first] = first_kind[chunk.channel[contact[is_first]]]

    local = _regular_times(rng, clock, kind, oldest, last_local)
    sent, _month = _newsletter(clock, local)
    email = np.isin(kind, EMAIL_KINDS) & regular
    bot = email & (rng.random(total) < BOT_SHARE)
    delay = np.where(bot, rng.integers(2, 40, size=total), np.minimum(rng.exponential(8 * HOUR, size=total), 6 * DAY))
    local = np.where(email, sent + delay.astype(np.int64), local)
    local = np.where(is_last, last_local, np.where(is_first, chunk.acquired_local[contact], local))
    # A newsletter sent before we met, or a touch that would outdo the pinned
    # latest one, did not happen.
    happened = ~regular | ((local > oldest) & (local < last_local))
    # Label every open and click with the issue it belongs to (0: not an email).
    month = np.where(np.isin(kind, EMAIL_KINDS), _newsletter(clock, local)[1], 0)

    url, detail = _texts(rng, kind, month, chunk.channel[contact], is_first)
    utc = clock.to_utc(local)
    fingerprint = fingerprints(np.asarray(contact_ids, dtype=np.int64)[contact], kind, utc, url, detail)
    # The same contact, kind, second, URL and detail is one fact: keep it once.
    _unique, keep = np.unique(np.asarray(fingerprint), return_index=True)
    keep = keep[happened[keep]]
    keep.sort()
    return Events(
        contact=contact[keep], kind=kind[keep], occurred_at=utc[keep], url=url[keep],
        detail=detail[keep], flagged_as_bot=bot[keep], fingerprint=[fingerprint[i] for i in keep.tolist()],
    )


def fingerprints(contact_ids, kind, utc, url, detail):
    """contacts.services.event_fingerprint, vectorised: the same text is hashed
    (occurred_at as UTC isoformat, like the importer) so a later import of a
    demo event is recognised as already stored."""
    when = np.strings.add(np.datetime_as_string(utc.astype("datetime64[s]"), unit="s").astype(STR), "+00:00")
    raw = contact_ids.astype(str).astype(STR)
    for part in (np.array(vocab.EVENT_KINDS, dtype=STR)[kind], when, url, detail):
        raw = np.strings.add(np.strings.add(raw, "\x1f"), part)
    return [hashlib.sha256(r.encode()).hexdigest() for r in raw.tolist()]


def _office_or_any(rng, clock, days_ago):
    start = clock.day_start(days_ago)
    return start + rng.integers(9 * HOUR, 19 * HOUR, size=len(start))


def _regular_times(rng, clock, kind, oldest, newest):
    total = len(kind)
    span = np.maximum(newest - oldest, 1)
    even = oldest + (rng.random(total) * span).astype(np.int64)
    bunched = newest - np.minimum(rng.exponential(20 * DAY, size=total).astype(np.int64), span)
    moment = np.where(rng.random(total) < 0.7, even, bunched)
    day = moment // DAY * DAY
    office = np.isin(kind, OFFICE_KINDS)
    # Calls, meetings and the like happen on weekdays in office hours; web
    # visits spread from morning to late evening.
    wd = weekday(day)
    office_day = day - np.where(wd == 5, DAY, np.where(wd == 6, 2 * DAY, 0))
    office_time = rng.integers(9 * HOUR, 18 * HOUR + 30 * 60, size=total)
    web_time = np.clip(rng.normal(13.5 * HOUR, 3.5 * HOUR, size=total), 6.5 * HOUR, 23.9 * HOUR).astype(np.int64)
    return np.where(office, office_day + office_time, day + web_time)


def _newsletter(clock, local):
    """The monthly newsletter (10th, 10:00) most recently sent before `local`."""
    day = (local // DAY).astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    month = np.where(day < month.astype("datetime64[D]") + 9, month - 1, month)
    sent = (month.astype("datetime64[D]") + 9).astype(np.int64) * DAY + 10 * HOUR
    return sent, month.astype(np.int64)


def _month_labels(months, fmt):
    unique = np.unique(months)
    labels = np.array([fmt(1970 + m // 12, m % 12 + 1) for m in unique.tolist()], dtype=STR)
    return labels[np.searchsorted(unique, months)]


def _texts(rng, kind, month, channel, is_first):
    total = len(kind)
    url = np.full(total, "", dtype=STR)
    detail = np.full(total, "", dtype=STR)

    def fill(name, urls, details, mask=None):
        where = (kind == KIND[name]) if mask is None else mask
        pick = rng.integers(0, len(details), size=int(where.sum()))
        url[where] = np.asarray(urls, dtype=STR)[pick]
        detail[where] = np.asarray(details, dtype=STR)[pick]

    site = vocab.SITE
    page = rng.choice(len(vocab.PAGES), size=total, p=_w(vocab.PAGE_WEIGHTS))
    views = kind == KIND["page_view"]
    url[views] = np.array([site + p for p in vocab.PAGES], dtype=STR)[page[views]]
    fill("form_submit", [site + f[0] for f in vocab.FORMS], [f[1] for f in vocab.FORMS])
    fill("download", [site + d[0] for d in vocab.DOCUMENTS], [d[1] for d in vocab.DOCUMENTS])
    fill("call", [""] * len(vocab.CALL_NOTES), vocab.CALL_NOTES)
    fill("meeting", [""] * len(vocab.MEETING_NOTES), vocab.MEETING_NOTES)
    fill("card_exchange", ["", ""], list(vocab.CARD_NOTES.values()))
    fill("webinar", [site + w[0] for w in vocab.WEBINARS], [w[1] for w in vocab.WEBINARS])
    fill("reply", [""] * len(vocab.REPLY_NOTES), vocab.REPLY_NOTES)

    email = np.isin(kind, EMAIL_KINDS) & (month != 0)
    detail[email] = _month_labels(month[email], lambda y, m: f"メルマガ {y}年{m}月号")
    clicks = email & (kind == KIND["email_click"])
    target = np.array([site + p for p in vocab.CLICK_PAGES], dtype=STR)[rng.integers(0, len(vocab.CLICK_PAGES),
                                                                                  size=int(clicks.sum()))]
    campaign = _month_labels(month[clicks],
                             lambda y, m: f"?utm_source=newsletter&utm_medium=email&utm_campaign=nl-{y}{m:02d}")
    url[clicks] = np.strings.add(target, campaign)

    first = np.array([FIRST_TOUCH[c[0]] for c in vocab.CHANNELS], dtype=object)
    if is_first.any():
        url[is_first] = np.asarray(first[:, 2], dtype=STR)[channel[is_first]]
        detail[is_first] = np.asarray(first[:, 1], dtype=STR)[channel[is_first]]
    return url, detail
