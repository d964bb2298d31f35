"""The compact records the public endpoints buffer, and their decoding (pure: no I/O).

Keys are short because millions of them pass through Redis: k (shape), c
(contact id), at (ISO time), u (URL), b (flagged as a bot, 0/1), and per
shape kind/d/s/f/dl for touches, site/v/id/ti/r/ua for page views. Every text is
cut to its column's length and stripped of NUL characters (which PostgreSQL refuses in text, so one would
otherwise fail the whole batch it is drained in) before it is buffered.
"""
import json
import logging
from datetime import datetime

from contacts.models import TouchKind, TouchSource

logger = logging.getLogger(__name__)
MAX_URL, MAX_TITLE, MAX_REFERRER, MAX_USER_AGENT, MAX_DETAIL = 2000, 500, 2000, 500, 1000
MAX_VISITOR_ID = 40
SHAPES = ("t", "pv", "id")
TOUCH_KINDS = frozenset(TouchKind.values)  # read once: Django rebuilds `.values` on every access


def clip(value, limit):
    """Text for a column of `limit` characters: NUL characters dropped, then cut."""
    return value.replace("\x00", "")[:limit]


def touch_record(*, contact_id, kind, occurred_at, url="", detail="", source=TouchSource.TRACKING, bot=False,
                 fingerprint="", delivery_id=None, requested_at=None):
    """A touch of a known contact. An open or click names its delivery (`dl`) and the drain fills in the detail
    (the campaign's name), so the request does not read it. A signed open or click also carries its request
    time (`rq`, epoch seconds): the request did not read the delivery, so the drain checks it (sent, this
    contact's) and applies the seconds-after-sending bot rule with the delivery's real sending time."""
    record = {"k": "t", "c": contact_id, "kind": kind, "at": occurred_at.isoformat(), "u": clip(url, MAX_URL),
              "d": clip(detail, MAX_DETAIL), "s": source, "b": int(bool(bot))}
    if fingerprint:
        record["f"] = fingerprint
    if delivery_id:
        record["dl"] = delivery_id
    if requested_at is not None:
        record["rq"] = round(requested_at.timestamp(), 3)
    return record


def page_view_record(*, record_id, site_id, visitor_id, contact_id, occurred_at, url, title, referrer, user_agent,
                     bot):
    return {"k": "pv", "id": record_id, "site": site_id, "v": visitor_id[:MAX_VISITOR_ID], "c": contact_id,
            "at": occurred_at.isoformat(), "u": clip(url, MAX_URL), "ti": clip(title, MAX_TITLE),
            "r": clip(referrer, MAX_REFERRER), "ua": clip(user_agent, MAX_USER_AGENT), "b": int(bool(bot))}


def identify_record(*, site_id, visitor_id, contact_id, occurred_at):
    return {"k": "id", "site": site_id, "v": visitor_id[:MAX_VISITOR_ID], "c": contact_id,
            "at": occurred_at.isoformat()}


def page_view_detail(title, referrer):
    """What a page view shows on the timeline: the page title, and where the visitor came from."""
    title, referrer = (title or "").strip(), (referrer or "").strip()
    return f"{title} ← {referrer}"[:MAX_DETAIL] if referrer else title[:MAX_DETAIL]


def decode(raw):
    """A record from the buffer with its time parsed, or None (logged) when it is not one of ours."""
    try:
        record = json.loads(raw) if isinstance(raw, bytes | str) else dict(raw)
        if record.get("k") not in SHAPES:
            raise ValueError("unknown shape")
        record["at"] = datetime.fromisoformat(record["at"])
        if record["at"].tzinfo is None:
            raise ValueError("naive time")
        record["c"] = int(record["c"]) if record.get("c") else None
        record["b"] = bool(record.get("b"))
        if record["k"] == "t":
            if record["kind"] not in TOUCH_KINDS or not record["c"]:
                raise ValueError("bad touch")
            record.update(u=clip(str(record.get("u", "")), MAX_URL), d=clip(str(record.get("d", "")), MAX_DETAIL),
                          s=record.get("s") or TouchSource.TRACKING, dl=int(record["dl"]) if record.get("dl") else None,
                          rq=float(record["rq"]) if record.get("rq") is not None else None)
        else:
            record["site"] = int(record["site"])
            record["v"] = str(record.get("v") or "")[:MAX_VISITOR_ID]
        if record["k"] == "pv":
            record.update(id=str(record["id"])[:32], u=clip(str(record.get("u", "")), MAX_URL),
                          ti=clip(str(record.get("ti", "")), MAX_TITLE), r=clip(str(record.get("r", "")), MAX_REFERRER),
                          ua=clip(str(record.get("ua", "")), MAX_USER_AGENT))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        logger.error("tracking: dropping a malformed record (%s): %.200r", exc, raw)
        return None
    return record
