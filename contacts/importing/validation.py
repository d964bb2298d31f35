"""Row validation: one chunk of text rows in, typed rows and error lines out.

A row is checked in full (every column, not just the first problem) so the
report lists everything to fix in one go. Lookups against the database (the
owner's user, the contact behind an event or contract) cost one query per
chunk, never one per row.
"""
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from contacts.models import ConsentState, Contact, ContactStatus, ContractStatus, ImportKind, LostReason, TouchKind
from contacts.rules import normalize_email

from . import cells
from .columns import COLUMNS, CUSTOM_ATTRIBUTE

CONTACT_CELLS = {
    "email": cells.email,
    "first_name": cells.text(100),
    "last_name": cells.text(100),
    "first_name_kana": cells.text(100),
    "last_name_kana": cells.text(100),
    "company": cells.text(200),
    "title": cells.text(150),
    "industry": cells.text(100),
    "employees": cells.count,
    "phone": cells.text(50),
    "owner": cells.owner,
    "status": cells.choice(ContactStatus),
    "lost_reason": cells.choice(LostReason),
    "deal_stage": cells.text(100),
    "deal_stage_changed_at": cells.date,
    "acquired_at": cells.date,
    "consent": cells.choice(ConsentState),
    "consent_at": cells.datetime,
    "consent_source": cells.text(200),
    "tags": cells.tag_list,
    "is_decision_maker": cells.boolean,
}
EVENT_CELLS = {
    "email": cells.email,
    "kind": cells.choice(TouchKind),
    "occurred_at": cells.datetime,
    "url": cells.text(2000),
    "detail": cells.text(1000),
}
CONTRACT_CELLS = {
    "email": cells.email,
    "contract_id": cells.text(100),
    "expires_at": cells.date,
    "plan": cells.text(200),
    "starts_at": cells.date,
    "amount": cells.amount,
    "status": cells.choice(ContractStatus),
}
CONTACT_CACHE_SIZE = 100_000
CELLS = {ImportKind.CONTACTS: CONTACT_CELLS, ImportKind.EVENTS: EVENT_CELLS, ImportKind.CONTRACTS: CONTRACT_CELLS}


@dataclass
class ImportContext:
    """What the rows of one file share while it is being read."""

    kind: str
    mapping: list  # [(column, target)] in file order
    tz: object
    now: object
    source_name: str
    # First line of each key (email, or email + contract id) seen in this file.
    seen: dict = field(default_factory=dict)
    # Company name → {field: (value, first line)}: one file must not give a
    # company two different industries.
    company_facts: dict = field(default_factory=dict)
    # Contacts that got new events, for the last-touch refresh at the end.
    touched_contact_ids: set = field(default_factory=set)  # contacts with new touches
    changed_contact_ids: set = field(default_factory=set)  # any fact written: scores, segments follow
    # email → contact id for events and contracts; the same contacts recur
    # chunk after chunk, so most chunks need no lookup at all.
    contact_ids: dict = field(default_factory=dict)
    _owners: dict = None

    def owners(self):
        if self._owners is None:
            self._owners = {}
            users = get_user_model().objects.filter(is_active=True).exclude(email="")
            for user_id, address in users.values_list("id", "email").order_by("id"):
                self._owners.setdefault(normalize_email(address), []).append(user_id)
        return self._owners


@dataclass
class CheckedRow:
    line: int
    data: dict
    errors: list  # [(column, message)]


def rows_validate(rows, ctx):
    """Check a chunk of rows. Returns (good rows' data, [(line, column, message)], bad row count)."""
    checked = [_row_check(row, ctx) for row in rows]
    if ctx.kind != ImportKind.CONTACTS:
        _contacts_resolve(checked, ctx)
    good, errors, bad = [], [], 0
    for row in checked:
        if row.errors:
            bad += 1
            errors.extend((row.line, column, message) for column, message in row.errors)
        else:
            good.append(row.data)
    return good, errors, bad


def _row_check(row, ctx):
    spec = COLUMNS[ctx.kind]
    cleaners = CELLS[ctx.kind]
    data, errors, attributes = {"line": row.line}, [], {}
    if row.extra_cells:
        errors.append(("", _("This row has %(cells)d cells but the header has %(columns)d columns.") % {
            "cells": len(row.values) + row.extra_cells, "columns": len(row.values)}))
    for column, target in ctx.mapping:
        value = row.values[column].strip()
        if target == CUSTOM_ATTRIBUTE:
            if value:
                attributes[column] = value
            continue
        if target not in cleaners:
            continue
        if not value:
            if target in spec.required:
                errors.append((column, _("This column is required and can't be empty.")))
            continue
        try:
            data[target] = cleaners[target](value, ctx)
        except cells.CellError as exc:
            errors.append((column, str(exc)))
    if attributes:
        data["attributes"] = attributes
    if ctx.kind == ImportKind.CONTACTS:
        errors.extend(_contact_rules(data, row))
        errors.extend(_company_conflicts(data, row, ctx))
    _duplicate_check(data, row, ctx, errors)
    return CheckedRow(line=row.line, data=data, errors=errors)


def _contact_rules(data, row):
    """Cross-column rules; checked only when the cells themselves were readable."""
    problems = []
    for column in ("industry", "employees"):
        if row.values.get(column, "").strip() and not row.values.get("company", "").strip():
            problems.append((column, _("%(column)s describes the company; fill in the company column too.") % {
                "column": column}))
    for column in ("consent_at", "consent_source"):
        if row.values.get(column, "").strip() and not row.values.get("consent", "").strip():
            problems.append((column, _("%(column)s is evidence for a consent value; fill in the consent column "
                                       "too.") % {"column": column}))
    return problems


def _company_conflicts(data, row, ctx):
    if "company" not in data:
        return []
    facts = ctx.company_facts.setdefault(data["company"], {})
    problems = []
    for column in ("industry", "employees"):
        if column not in data:
            continue
        value, line = facts.setdefault(column, (data[column], row.line))
        if value != data[column]:
            problems.append((column, _("Line %(line)d gives %(company)s a different %(column)s (%(value)s).") % {
                "line": line, "company": data["company"], "column": column, "value": value}))
    return problems


def _duplicate_check(data, row, ctx, errors):
    """A key twice in one file is reported rather than silently merged: which
    row should win is the user's call, and re-imports stay idempotent."""
    if "email" not in data:
        return
    if ctx.kind == ImportKind.CONTACTS:
        key, column = data["email"], "email"
    elif ctx.kind == ImportKind.CONTRACTS and "contract_id" in data:
        key, column = (data["email"], data["contract_id"]), "contract_id"
    else:
        return
    first = ctx.seen.setdefault(key, row.line)
    if first != row.line:
        errors.append((column, _("This row repeats line %(line)d of this file (same %(key)s).") % {
            "line": first, "key": _("email") if column == "email" else _("email and contract_id")}))


def _contacts_resolve(checked, ctx):
    """Events and contracts belong to an existing contact: at most one query per chunk."""
    ids = ctx.contact_ids
    unknown = {row.data["email"] for row in checked if "email" in row.data} - ids.keys()
    if unknown:
        if len(ids) > CONTACT_CACHE_SIZE:
            ids.clear()
        found = dict(Contact.objects.filter(email__in=unknown).values_list("email", "id"))
        ids.update(found)
    for row in checked:
        if "email" not in row.data:
            continue
        contact_id = ids.get(row.data["email"])
        if contact_id is None:
            row.errors.append(("email", _("No contact with this email. Import the contacts first.")))
        else:
            row.data["contact_id"] = contact_id
