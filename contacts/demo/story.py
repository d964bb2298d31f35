"""Per-chunk contact rows and contracts: who each demo contact is and how
their relationship with us went (profile, status, deal stage, consent,
contracts). Touch events follow from this in `touches`.
"""
import json
from dataclasses import dataclass

import numpy as np

from . import vocab
from .clock import DAY, HOUR, weekday

PROFILE_NAMES = [p[0] for p in vocab.PROFILES]
CUSTOMER = PROFILE_NAMES.index("customer")
CHURNED = PROFILE_NAMES.index("churned")
STALLED = PROFILE_NAMES.index("stalled_deal")
LOST = PROFILE_NAMES.index("lost_deal")
NEVER_TOUCHED = PROFILE_NAMES.index("never_touched")


@dataclass
class ContactChunk:
    count: int
    profile: np.ndarray
    last_days: np.ndarray  # days ago of the latest touch
    acquired_days: np.ndarray
    acquired_local: np.ndarray  # local seconds of the first meeting
    channel: np.ndarray
    lost_reason: np.ndarray  # object
    consent: np.ndarray  # object
    columns: dict  # contact column -> values, ids excluded
    contracts: dict  # contract column -> values, contact index in "contact"


def _w(values):
    values = np.asarray(values, dtype=float)
    return values / values.sum()


def _pick(rng, options, count):
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), size=count)]


def business_time(rng, clock, days_ago):
    """A weekday office-hours moment (local seconds) on or just before the day."""
    start = clock.day_start(days_ago)
    wd = weekday(start)
    start = start - np.where(wd == 5, DAY, np.where(wd == 6, 2 * DAY, 0))
    return start + rng.integers(9 * HOUR + 30 * 60, 18 * HOUR, size=len(start))


def contacts_story(rng, clock, people, companies, rows, company_ids, rep_ids):
    """Contact columns for `rows` (a slice of the run's people)."""
    n = rows.stop - rows.start
    company = people.company[rows]
    profile = rng.choice(len(vocab.PROFILES), size=n, p=_w([p[2] for p in vocab.PROFILES]))
    low = np.array([p[4][0] for p in vocab.PROFILES])[profile]
    high = np.array([p[4][1] for p in vocab.PROFILES])[profile]
    last_days = rng.integers(low, high + 1)

    contracts, earliest_start_days = _contracts(rng, clock, profile, companies.size_class[company])
    churned = profile == CHURNED
    # A churned customer went quiet around the time the contract ran out.
    last_days = np.where(churned, np.clip(contracts["churn_days"] + rng.integers(-20, 61, size=n), 1, 700), last_days)
    span = 14 + rng.gamma(2.0, 150.0, size=n).astype(np.int64)
    acquired_days = np.where(profile == NEVER_TOUCHED, last_days, last_days + span)
    acquired_days = np.maximum(acquired_days, earliest_start_days + rng.integers(14, 121, size=n))
    acquired_local = business_time(rng, clock, acquired_days)
    acquired_days = clock.today - acquired_local // DAY
    acquired_date = (acquired_local // DAY).astype("datetime64[D]")

    channel = rng.choice(len(vocab.CHANNELS), size=n, p=_w([c[3] for c in vocab.CHANNELS]))
    status = np.array([p[1] for p in vocab.PROFILES], dtype=object)[profile]
    has_reason = (status == "lost") | (status == "former_customer")
    lost_reason = np.where(has_reason, rng.choice(vocab.LOST_REASONS, size=n, p=_w(vocab.LOST_REASON_WEIGHTS)), "")
    stage, stage_changed = _deal_stage(rng, clock, profile, last_days, acquired_days, earliest_start_days)
    consent, consent_source, consent_at = _consent(rng, clock, channel, acquired_local, acquired_date)
    title, decision_maker = _titles(rng, n)

    family = [vocab.FAMILY_NAMES[i] for i in people.family[rows].tolist()]
    given = [(vocab.GIVEN_NAMES_FEMALE if f else vocab.GIVEN_NAMES_MALE)[g]
             for f, g in zip(people.female[rows].tolist(), people.given[rows].tolist(), strict=True)]
    columns = {
        "company_id": company_ids[company],
        "email": people.email[rows.start:rows.stop],
        "first_name": [g[0] for g in given],
        "last_name": [f[0] for f in family],
        "first_name_kana": [g[1] for g in given],
        "last_name_kana": [f[1] for f in family],
        "title": title,
        "is_decision_maker": decision_maker,
        "phone": _phones(rng, companies.phone[company]),
        "owner_id": _owners(rng, companies.owner[company], rep_ids),
        "status": status,
        "lost_reason": lost_reason,
        "deal_stage": stage,
        "deal_stage_changed_at": stage_changed,
        "acquired_at": acquired_date,
        "consent": consent,
        "consent_source": consent_source,
        "consent_at": consent_at,
        "attributes": _attributes(rng, companies.region[company], channel),
        "last_touch_kind": np.full(n, "", dtype=object),
    }
    return ContactChunk(
        count=n, profile=profile, last_days=last_days, acquired_days=acquired_days, acquired_local=acquired_local,
        channel=channel, lost_reason=lost_reason, consent=consent, columns=columns, contracts=contracts,
    )


def _deal_stage(rng, clock, profile, last_days, acquired_days, contract_start_days):
    n = len(profile)
    stage = np.empty(n, dtype=object)
    for index, spec in enumerate(vocab.PROFILES):
        mask = profile == index
        stage[mask] = _pick(rng, spec[5], int(mask.sum()))
    # The stage last moved somewhere between the first meeting and the last
    # touch; a stalled deal has not moved for months, a lost one ended near
    # its last conversation.
    room = acquired_days - last_days
    room = np.where(profile == STALLED, np.minimum(room, 60), np.where(profile == LOST, np.minimum(room, 14), room))
    changed_days = last_days + (rng.random(n) * room).astype(np.int64)
    # Customers (and former ones) were won shortly before their first contract began.
    won = (profile == CUSTOMER) | (profile == CHURNED)
    won_days = np.minimum(contract_start_days + rng.integers(0, 31, size=n), acquired_days)
    changed_days = np.where(won, won_days, changed_days)
    changed = clock.local_day(changed_days)
    changed[stage == ""] = np.datetime64("NaT")
    return stage, changed


def _consent(rng, clock, channel, acquired_local, acquired_date):
    n = len(channel)
    state = rng.choice(["opt_in", "none", "opted_out"], size=n, p=[0.8, 0.15, 0.05]).astype(object)
    template = np.array([c[2] for c in vocab.CHANNELS], dtype=object)[channel]
    month = np.datetime_as_string(acquired_date, unit="M").astype(object)
    source = np.array([t.format(ym=m) for t, m in zip(template.tolist(), month.tolist(), strict=True)], dtype=object)
    source[state == "opted_out"] = "配信停止リンク"
    source[state == "none"] = ""
    later = acquired_local + (rng.random(n) * (clock.now_local - acquired_local)).astype(np.int64)
    local = np.where(state == "opted_out", later, acquired_local)
    at = clock.to_utc(local).astype("datetime64[s]")
    at[state == "none"] = np.datetime64("NaT")
    return state, source, at


def _titles(rng, n):
    titles = vocab.TITLES
    pick = rng.choice(len(titles), size=n, p=_w([t[2] for t in titles]))
    dept = _pick(rng, vocab.DEPARTMENTS, n)
    text = [f"{d} {titles[p][0]}" if titles[p][3] else titles[p][0]
            for p, d in zip(pick.tolist(), dept.tolist(), strict=True)]
    return np.array(text, dtype=object), np.array([t[1] for t in titles])[pick]


def _phones(rng, office):
    n = len(office)
    kind = rng.choice(3, size=n, p=[0.5, 0.25, 0.25])
    mobile = [f"{p}-{a:04d}-{b:04d}" for p, a, b in zip(_pick(rng, ["090", "080", "070"], n).tolist(),
                                                       rng.integers(0, 10000, size=n).tolist(),
                                                       rng.integers(0, 10000, size=n).tolist(), strict=True)]
    return np.where(kind == 0, office, np.where(kind == 1, np.array(mobile, dtype=object), ""))


def _owners(rng, company_owner, rep_ids):
    if len(rep_ids) == 0:
        return np.full(len(company_owner), -1)
    n = len(company_owner)
    roll = rng.random(n)
    # Accounts have one owner; some contacts were handed to a colleague, a few to nobody.
    index = np.where(roll < 0.84, company_owner, rng.integers(0, len(rep_ids), size=n))
    owner = np.asarray(rep_ids, dtype=np.int64)[index]
    return np.where(roll > 0.94, -1, owner)


def _attributes(rng, region, channel):
    product = _pick(rng, vocab.PRODUCT_LINES, len(region))
    source = [vocab.LEAD_SOURCE_LABELS[vocab.CHANNELS[c][0]] for c in channel.tolist()]
    return np.array([json.dumps({"product_line": p, "region": r, "lead_source": s}, ensure_ascii=False)
                     for p, r, s in zip(product.tolist(), region.tolist(), source, strict=True)], dtype=object)


def _add_months(days, months):
    """Same day-of-month `months` later (clamped to the month's end)."""
    month = days.astype("datetime64[M]") + months
    offset = days - days.astype("datetime64[M]").astype("datetime64[D]")
    month_len = (month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")
    return month.astype("datetime64[D]") + np.minimum(offset, month_len - np.timedelta64(1, "D"))


def _contracts(rng, clock, profile, size_class):
    """Contracts of customers (current, some with a renewed predecessor) and
    former customers (lapsed or cancelled)."""
    n = len(profile)
    today = np.datetime64(int(clock.today), "D")
    customer, churned = profile == CUSTOMER, profile == CHURNED
    churn_days = np.where(rng.random(n) < 0.75, rng.integers(1, 181, size=n), rng.integers(181, 541, size=n))
    ahead = rng.integers(-30, 271, size=n)
    expires = today + np.where(churned, -churn_days, ahead).astype("timedelta64[D]")
    # Most B2B contracts run to a month's end; the rest to the signing anniversary.
    month_end = (expires.astype("datetime64[M]") + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    expires = np.where(rng.random(n) < 0.7, month_end, expires)
    term = rng.choice([12, 24, 36], size=n, p=[0.8, 0.15, 0.05])
    starts = _add_months(expires + np.timedelta64(1, "D"), -term)

    plan_weights = np.array([p[2] for p in vocab.PLANS], dtype=float)
    plan_weights /= plan_weights.sum(axis=0)
    cumulative = np.cumsum(plan_weights, axis=0)[:, size_class]
    plan = np.minimum((rng.random(n) > cumulative).sum(axis=0), len(vocab.PLANS) - 1)
    factor = np.choose(size_class, [rng.uniform(1.0, 1.5, n), rng.uniform(1.2, 2.5, n), rng.uniform(2.0, 5.0, n)])
    amount = (np.array([p[1] for p in vocab.PLANS])[plan] * factor / 10_000).round().astype(np.int64) * 10_000
    status = np.where(customer, "active", np.where(rng.random(n) < 0.55, "lapsed", "cancelled")).astype(object)

    has_contract = customer | churned
    previous = customer & (rng.random(n) < 0.35)
    prev_expires = starts - np.timedelta64(1, "D")
    prev_starts = _add_months(starts, -12)
    earliest = np.where(previous, prev_starts, starts)
    earliest_start_days = np.where(has_contract, (today - earliest).astype(np.int64), 0)

    idx, prev_idx = np.flatnonzero(has_contract), np.flatnonzero(previous)
    plan_names = np.array([p[0] for p in vocab.PLANS], dtype=object)
    contact = np.concatenate([idx, prev_idx])
    start_all = np.concatenate([starts[idx], prev_starts[prev_idx]])
    contracts = {
        "contact": contact,
        "external_id": None,  # numbered by the caller, which knows the run-wide contact number
        "start_year": start_all.astype("datetime64[Y]").astype(np.int64) + 1970,
        "plan": np.concatenate([plan_names[plan[idx]], plan_names[np.maximum(plan[prev_idx] - 1, 0)]]),
        "starts_at": start_all,
        "expires_at": np.concatenate([expires[idx], prev_expires[prev_idx]]),
        "amount": np.concatenate([amount[idx], (amount[prev_idx] * 0.9 / 10_000).round().astype(np.int64) * 10_000]),
        "status": np.concatenate([status[idx], np.full(len(prev_idx), "renewed", dtype=object)]),
        "churn_days": churn_days,
    }
    return contracts, earliest_start_days
