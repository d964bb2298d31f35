"""Set-based writers: one chunk of validated rows in, counts out.

Each loader reads what already exists for the chunk in one query, decides
per row in memory, then writes with bulk_create / bulk_update. Counts are
honest: "created" rows did not exist, "updated" rows had at least one value
change, "unchanged" rows matched what was stored already.
"""
from collections import Counter
from datetime import UTC

from contacts.models import Company, ConsentState, Contact, Contract, Tag, TouchEvent, TouchSource
from contacts.services import event_fingerprint, touch_summaries_advance

BATCH = 1000
CONTACT_FIELDS = (
    "first_name", "last_name", "first_name_kana", "last_name_kana", "title", "phone", "status", "lost_reason",
    "deal_stage", "deal_stage_changed_at", "acquired_at", "is_decision_maker",
)
CONTRACT_FIELDS = ("plan", "starts_at", "expires_at", "amount", "status")


def contacts_load(rows, ctx):
    """Upsert contacts by normalised email, with their companies and tags."""
    counts = Counter()
    existing = {c.email: c for c in Contact.objects.filter(email__in=[row["email"] for row in rows])}
    companies = _companies_ensure(rows, counts)
    tags = _tags_ensure(rows)
    linked = set(
        Contact.tags.through.objects.filter(contact_id__in=[c.pk for c in existing.values()]).values_list(
            "contact_id", "tag_id"
        )
    )
    new, changed, fields, tag_rows = [], [], set(), []
    for row in rows:
        contact = existing.get(row["email"])
        is_new = contact is None
        if is_new:
            contact = Contact(email=row["email"])
        # Company changes ("company:industry") are saved with the company,
        # not the contact, but they still make this row an update.
        row_changes = _contact_apply(contact, row, companies, ctx, counts, is_new=is_new)
        row_fields = {name for name in row_changes if not name.startswith("company:")}
        wanted_tags = [tags[name] for name in row.get("tags", ())]
        missing_tags = [tag_id for tag_id in wanted_tags if (contact.pk, tag_id) not in linked]
        tag_rows.append((contact, missing_tags))
        if is_new:
            new.append(contact)
            counts["created"] += 1
        elif row_changes or missing_tags:
            counts["updated"] += 1
            if row_fields:
                changed.append(contact)
                fields |= row_fields
        else:
            counts["unchanged"] += 1
    Contact.objects.bulk_create(new, batch_size=BATCH)
    if new and new[0].pk is None:  # a database that can't return ids from a bulk insert
        ids = dict(Contact.objects.filter(email__in=[c.email for c in new]).values_list("email", "id"))
        for contact in new:
            contact.pk = ids[contact.email]
    if changed:
        for contact in changed:
            contact.updated_at = ctx.now
        Contact.objects.bulk_update(changed, sorted(fields | {"updated_at"}), batch_size=BATCH)
    _company_changes_save(companies)
    _changed_contacts_note(ctx, new, changed, tag_rows, companies)
    Contact.tags.through.objects.bulk_create(
        [Contact.tags.through(contact_id=contact.pk, tag_id=tag_id) for contact, ids in tag_rows for tag_id in ids],
        batch_size=BATCH, ignore_conflicts=True,
    )
    return counts


def _changed_contacts_note(ctx, new, changed, tag_rows, companies):
    """Remember whose facts this batch changed, so scores and segments can follow after commit."""
    ctx.changed_contact_ids.update(contact.pk for contact in new)
    ctx.changed_contact_ids.update(contact.pk for contact in changed)
    ctx.changed_contact_ids.update(contact.pk for contact, tag_ids in tag_rows if tag_ids)
    dirty = [c.pk for c in companies.values() if getattr(c, "_import_dirty", False)]
    if dirty:  # an industry or size change moves every contact of the company
        ctx.changed_contact_ids.update(Contact.objects.filter(company_id__in=dirty).values_list("pk", flat=True))


def _contact_apply(contact, row, companies, ctx, counts, *, is_new):
    """Copy the row's non-empty cells onto `contact`; return the changed field names."""
    changed = set()

    def assign(name, value):
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.add(name)

    for name in CONTACT_FIELDS:
        if name in row:
            assign(name, row[name])
    if "owner" in row:
        assign("owner_id", row["owner"])
    if "company" in row:
        company = companies[row["company"]]
        assign("company_id", company.pk)
        changed |= _company_apply(company, row)
    if "attributes" in row:
        merged = {**contact.attributes, **row["attributes"]}
        if merged != contact.attributes:
            assign("attributes", merged)
    if "consent" in row:
        _consent_apply(contact, row, ctx, counts, assign, is_new=is_new)
    return changed


def _consent_apply(contact, row, ctx, counts, assign, *, is_new):
    """Consent only moves forward: none → opt_in/opted_out, opt_in → opted_out.

    An opted-out address stays opted out whatever a later file says, and an
    opt-in is not erased by a file that merely has no consent on record
    ("none"). consent_at and consent_source are the evidence of a change, so
    they are written only when the consent value changes (or the contact is
    new); a file repeating the current value does not rewrite the record.
    """
    wanted, current = row["consent"], contact.consent
    blocked = not is_new and (
        (current == ConsentState.OPTED_OUT and wanted != ConsentState.OPTED_OUT)
        or (current == ConsentState.OPT_IN and wanted == ConsentState.NONE)
    )
    if blocked:
        counts["consent_kept"] += 1
        return
    if wanted == current and not is_new:
        return
    assign("consent", wanted)
    evidence = wanted != ConsentState.NONE
    default_source = f"csv import: {ctx.source_name}"[:200] if evidence else ""
    assign("consent_at", row.get("consent_at") or (ctx.now if evidence else None))
    assign("consent_source", row.get("consent_source") or default_source)


def _company_apply(company, row):
    changed = set()
    for column, name in (("industry", "industry"), ("employees", "employee_count")):
        if column in row and getattr(company, name) != row[column]:
            setattr(company, name, row[column])
            company._import_dirty = True
            changed.add(f"company:{name}")
    return changed


def _companies_ensure(rows, counts):
    names = {row["company"] for row in rows if "company" in row}
    if not names:
        return {}
    found = {c.name: c for c in Company.objects.filter(name__in=names)}
    missing = names - found.keys()
    if missing:
        Company.objects.bulk_create([Company(name=name) for name in sorted(missing)], ignore_conflicts=True)
        found.update({c.name: c for c in Company.objects.filter(name__in=missing)})
        counts["companies_created"] += len(missing)
    return found


def _company_changes_save(companies):
    dirty = [c for c in companies.values() if getattr(c, "_import_dirty", False)]
    if dirty:
        Company.objects.bulk_update(dirty, ["industry", "employee_count"], batch_size=BATCH)


def _tags_ensure(rows):
    names = {name for row in rows for name in row.get("tags", ())}
    if not names:
        return {}
    found = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    missing = names - found.keys()
    if missing:
        Tag.objects.bulk_create([Tag(name=name) for name in sorted(missing)], ignore_conflicts=True)
        found.update(Tag.objects.filter(name__in=missing).values_list("name", "id"))
    return found


def events_load(rows, ctx):
    """Insert events not stored yet; the fingerprint makes a re-import a no-op.

    Times are fingerprinted in UTC so "09:00+09:00" and "00:00Z" are the same
    fact, as they are for events recorded any other way.
    """
    counts = Counter()
    events = {}
    for row in rows:
        occurred_at = row["occurred_at"].astimezone(UTC)
        url, detail = row.get("url", ""), row.get("detail", "")
        fingerprint = event_fingerprint(
            contact_id=row["contact_id"], kind=row["kind"], occurred_at=occurred_at, url=url, detail=detail
        )
        events.setdefault(fingerprint, (row, occurred_at, url, detail))
    stored = set(TouchEvent.objects.filter(fingerprint__in=list(events)).values_list("fingerprint", flat=True))
    fresh = [
        TouchEvent(
            contact_id=row["contact_id"], kind=row["kind"], occurred_at=occurred_at, url=url, detail=detail,
            source=TouchSource.IMPORT, flagged_as_bot=False, fingerprint=fingerprint,
        )
        for fingerprint, (row, occurred_at, url, detail) in events.items()
        if fingerprint not in stored
    ]
    TouchEvent.objects.bulk_create(fresh, batch_size=BATCH, ignore_conflicts=True)
    touch_summaries_advance(fresh)
    ctx.touched_contact_ids.update(event.contact_id for event in fresh)
    counts["created"] = len(fresh)
    counts["unchanged"] = len(rows) - len(fresh)
    return counts


def contracts_load(rows, ctx):
    """Upsert contracts by (contact, contract id)."""
    counts = Counter()
    existing = {
        (c.contact_id, c.external_id): c
        for c in Contract.objects.filter(
            contact_id__in={row["contact_id"] for row in rows}, external_id__in={row["contract_id"] for row in rows}
        )
    }
    new, changed, fields = [], [], set()
    for row in rows:
        contract = existing.get((row["contact_id"], row["contract_id"]))
        if contract is None:
            new.append(Contract(
                contact_id=row["contact_id"], external_id=row["contract_id"],
                **{name: row[name] for name in CONTRACT_FIELDS if name in row},
            ))
            counts["created"] += 1
            continue
        row_fields = {name for name in CONTRACT_FIELDS if name in row and getattr(contract, name) != row[name]}
        for name in row_fields:
            setattr(contract, name, row[name])
        if row_fields:
            contract.updated_at = ctx.now
            changed.append(contract)
            fields |= row_fields
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    Contract.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        Contract.objects.bulk_update(changed, sorted(fields | {"updated_at"}), batch_size=BATCH)
    ctx.changed_contact_ids.update(contract.contact_id for contract in [*new, *changed])
    return counts


LOADERS = {"contacts": contacts_load, "events": events_load, "contracts": contracts_load}
