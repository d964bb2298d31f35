"""One chunk of demo contacts turned into table rows, ready for a sink.

Runs in the generator thread: numpy and the sink's `prepare` only, no
database access (contact ids are reserved beforehand, tag ids resolved by
the writer).
"""
from dataclasses import dataclass

import numpy as np

from . import vocab
from .clock import DAY
from .story import CUSTOMER, contacts_story
from .touches import events_generate

CONTACT_TYPES = {
    "id": "int", "company_id": "int", "email": "str", "first_name": "str", "last_name": "str",
    "first_name_kana": "str", "last_name_kana": "str", "title": "str", "is_decision_maker": "bool", "phone": "str",
    "owner_id": "int", "status": "str", "lost_reason": "str", "deal_stage": "str", "deal_stage_changed_at": "date",
    "acquired_at": "date", "consent": "str", "consent_source": "str", "consent_at": "ts", "attributes": "json",
    "last_touch_kind": "str", "created_at": "ts", "updated_at": "ts",
}
EVENT_TYPES = {
    "contact_id": "int", "kind": "str", "occurred_at": "ts", "url": "str", "detail": "str", "source": "str",
    "flagged_as_bot": "bool", "fingerprint": "str", "created_at": "ts",
}
CONTRACT_TYPES = {
    "contact_id": "int", "external_id": "str", "plan": "str", "starts_at": "date", "expires_at": "date",
    "amount": "decimal", "status": "str", "created_at": "ts", "updated_at": "ts",
}
TAG_TYPES = {"contact_id": "int", "tag_id": "int"}


@dataclass
class ChunkRows:
    batches: list  # prepared sink batches: contacts, events, contracts
    tag_contacts: np.ndarray  # contact ids
    tag_names: list
    counts: dict


def chunk_rows(sink, rng, clock, people, companies, rows, contact_ids, company_ids, rep_ids):
    now = np.datetime64(clock.now, "s")
    chunk = contacts_story(rng, clock, people, companies, rows, company_ids, rep_ids)
    ids = contact_ids[rows]
    contacts = {"id": ids, **chunk.columns, "created_at": np.full(chunk.count, now),
                "updated_at": np.full(chunk.count, now)}

    events = events_generate(rng, clock, chunk, ids)
    event_columns = {
        "contact_id": ids[events.contact],
        "kind": np.array(vocab.EVENT_KINDS, dtype=object)[events.kind],
        "occurred_at": events.occurred_at.astype("datetime64[s]"),
        "url": events.url, "detail": events.detail,
        "source": np.full(len(events), "demo", dtype=object),
        "flagged_as_bot": events.flagged_as_bot,
        "fingerprint": events.fingerprint,
        "created_at": np.full(len(events), now),
    }

    contracts = chunk.contracts
    # Contract numbers follow the run-wide contact number, so they are stable for a seed.
    numbers = rows.start + contracts["contact"] + 1
    contract_columns = {
        "contact_id": ids[contracts["contact"]],
        "external_id": [f"CT-{y}-{n:07d}"
                        for y, n in zip(contracts["start_year"].tolist(), numbers.tolist(), strict=True)],
        "plan": contracts["plan"], "starts_at": contracts["starts_at"], "expires_at": contracts["expires_at"],
        "amount": contracts["amount"], "status": contracts["status"],
        "created_at": np.full(len(numbers), now), "updated_at": np.full(len(numbers), now),
    }
    tag_index, tag_names = _tag_pairs(rng, chunk, events)
    return ChunkRows(
        batches=[
            sink.prepare("contacts_contact", contacts, CONTACT_TYPES),
            sink.prepare("contacts_touchevent", event_columns, EVENT_TYPES),
            sink.prepare("contacts_contract", contract_columns, CONTRACT_TYPES),
        ],
        tag_contacts=ids[tag_index],
        tag_names=tag_names,
        counts={"contacts": chunk.count, "events": len(events), "contracts": len(numbers), "tags": len(tag_names)},
    )


def _tag_pairs(rng, chunk, events):
    """(contact index, tag name) pairs, from the contact's story and touches."""
    n = chunk.count
    kinds = vocab.EVENT_KINDS
    attended = np.bincount(events.contact[events.kind == kinds.index("webinar")], minlength=n) > 0
    downloaded = np.bincount(events.contact[events.kind == kinds.index("download")], minlength=n) > 0
    channel = np.array([c[0] for c in vocab.CHANNELS], dtype=object)[chunk.channel]
    year = (chunk.acquired_local // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    pairs = [
        (np.flatnonzero(channel == "expo"), None),
        (np.flatnonzero(attended), "ウェビナー参加"),
        (np.flatnonzero(downloaded), "資料DL"),
        (np.flatnonzero((chunk.profile == CUSTOMER) & (rng.random(n) < 0.3)), "重点顧客"),
        (np.flatnonzero(chunk.lost_reason == "competitor"), "リプレイス候補"),
        (np.flatnonzero((chunk.consent == "opt_in") & (rng.random(n) < 0.6)), "メルマガ購読"),
        (np.flatnonzero(rng.random(n) < 0.03), "紹介"),
    ]
    index, names = [], []
    for contacts, name in pairs:
        index.append(contacts)
        names.extend([f"展示会{y}" for y in year[contacts].tolist()] if name is None else [name] * len(contacts))
    return np.concatenate(index), names
