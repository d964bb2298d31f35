"""How recipients react to a demo mail: opens (and link scanners), clicks, site visits, downloads, replies, meetings.

Each sent mail is one dict {"contact_id", "email", "sent_at", "variant"};
the touches are unsaved TouchEvents for common.touches_store. Opens and
clicks carry the campaign name as their detail, as the tracking drain
records them; scanner hits land seconds after the send and are flagged.
"""
import math
from dataclasses import dataclass
from datetime import timedelta

from contacts.models import TouchKind, TouchSource

from .common import CASE_STUDIES, PAGE_TITLES, PRICING, SITE, between, chance, pick, touch

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
REPLIES = ["返信: ご連絡ありがとうございます。来月あらためて相談させてください", "返信: 資料を拝見しました",
           "返信: 日程調整のお願い", "返信: 現在の状況について"]
MEETINGS = ["オンライン商談", "訪問商談", "デモ実施"]
DOWNLOAD = (f"{SITE}/download/case-study-collection.pdf", "資料: 導入事例集")


@dataclass(frozen=True)
class Rates:
    scanner: float = 0.06  # a link scanner fetches the pixel and the links within seconds (flagged as a bot)
    open: float = 0.35
    open_b: float = 0.35
    click: float = 0.3  # of those who opened
    pricing: float = 0.45  # of those who clicked
    case_study: float = 0.5  # of those who clicked
    visit: float = 0.04  # came to the site on their own within three weeks
    download: float = 0.02
    reply: float = 0.03
    meeting: float = 0.5  # of those who replied


def mail_reactions(mails, *, rates, campaign_name, seed, purpose):
    """(touches, comebacks): the touches, and per contact its first inbound touch (kind, at, url) for alerts."""
    touches, comebacks = [], {}
    for mail in mails:
        key = f"{purpose}:{mail['email']}"
        made = _one(mail, key, rates, campaign_name, seed)
        touches.extend(made)
        inbound = [t for t in made if not t.flagged_as_bot and t.kind != TouchKind.EMAIL_OPEN]
        if inbound:
            first = min(inbound, key=lambda t: t.occurred_at)
            comebacks[mail["contact_id"]] = first
    return touches, comebacks


def _one(mail, key, rates, name, seed):
    cid, sent = mail["contact_id"], mail["sent_at"]
    made = []
    if chance(seed, "scanner", key) < rates.scanner:
        at = sent + between(seed, "scanner-at", key, timedelta(seconds=2), timedelta(seconds=9))
        made.append(touch(cid, TouchKind.EMAIL_OPEN, at, detail=name, bot=True))
        made.append(touch(cid, TouchKind.EMAIL_CLICK, at + timedelta(seconds=1), url=CASE_STUDIES[0], detail=name,
                          bot=True))
    open_rate = rates.open_b if mail.get("variant") == "B" else rates.open
    if chance(seed, "open", key) < open_rate:
        opened = sent + min(timedelta(minutes=3) + 10 * HOUR * -_log(chance(seed, "open-at", key)), 6 * DAY)
        made.append(touch(cid, TouchKind.EMAIL_OPEN, opened, detail=name))
        if chance(seed, "click", key) < rates.click:
            clicked = opened + between(seed, "click-at", key, timedelta(seconds=20), 4 * MINUTE)
            target = pick(seed, "target", key, [(PRICING, 4), *[(url, 1) for url in CASE_STUDIES[:2]]])
            made.append(touch(cid, TouchKind.EMAIL_CLICK, clicked, url=target, detail=name))
            made.append(_view(cid, target, clicked + timedelta(seconds=2)))
            later = clicked + between(seed, "browse", key, MINUTE, 6 * MINUTE)
            if target != PRICING and chance(seed, "pricing", key) < rates.pricing:
                made.append(_view(cid, PRICING, later))
            if chance(seed, "case", key) < rates.case_study:
                made.append(_view(cid, pick(seed, "case-page", key, [(url, 1) for url in CASE_STUDIES[1:]]),
                                  later + 2 * MINUTE))
    if chance(seed, "visit", key) < rates.visit:
        at = sent + between(seed, "visit-at", key, 2 * DAY, 21 * DAY)
        made.append(_view(cid, pick(seed, "visit-page", key, [(PRICING, 2), (CASE_STUDIES[0], 1)]), at))
    if chance(seed, "download", key) < rates.download:
        at = sent + between(seed, "download-at", key, HOUR, 10 * DAY)
        made.append(touch(cid, TouchKind.DOWNLOAD, at, url=DOWNLOAD[0], detail=DOWNLOAD[1]))
    if chance(seed, "reply", key) < rates.reply:
        replied = sent + between(seed, "reply-at", key, 2 * HOUR, 5 * DAY)
        made.append(touch(cid, TouchKind.REPLY, replied,
                          detail=pick(seed, "reply-text", key, [(text, 1) for text in REPLIES])))
        if chance(seed, "meeting", key) < rates.meeting:
            met = replied + between(seed, "meeting-at", key, 2 * DAY, 12 * DAY)
            made.append(touch(cid, TouchKind.MEETING, met,
                              detail=pick(seed, "meeting-text", key, [(text, 1) for text in MEETINGS]),
                              source=TouchSource.MANUAL))
    return made


def _view(contact_id, url, at):
    return touch(contact_id, TouchKind.PAGE_VIEW, at, url=url, detail=PAGE_TITLES.get(url, ""))


def natural_visits(contacts, *, since, rate, seed, purpose, days=28):
    """Site visits some contacts make on their own, mailed or not (the baseline a holdout group shows)."""
    made = []
    for contact in contacts:
        key = f"{purpose}:{contact['email']}"
        if chance(seed, "natural", key) < rate:
            at = since + between(seed, "natural-at", key, DAY, days * DAY)
            made.append(_view(contact["contact_id"], pick(seed, "natural-page", key,
                                                          [(PRICING, 1), (CASE_STUDIES[0], 1), (f"{SITE}/", 2)]), at))
    return made


def _log(value):
    return math.log(max(value, 1e-9))
