"""Reproducible splits (holdout, A/B variant): one hash, written once in Python and once in SQL.

A contact's bucket for a salt and a campaign is the first BUCKET_DIGITS hex
digits of md5("{salt}:{campaign id}:{contact id}"); a share of p % is the
buckets below `share_threshold(p)`, compared as text in byte order (COLLATE
"C" on PostgreSQL, plain `<` on Python strings). Random across contacts and
the same every time for the same pair, so a broadcast's INSERT … SELECT, a
sequence enrolling contacts one batch at a time and a page counting "how many
would be held out" all put the same contacts in the control group. Tests
check that the Python and the SQL give the same bucket.
"""
import hashlib

from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import MD5, Cast, Collate, Concat, Substr

BUCKET_DIGITS = 6
HOLDOUT_SALT, VARIANT_SALT = "h", "v"


def share_threshold(percent):
    """The bucket below which a contact falls into a `percent` share (compared as fixed-width hex text)."""
    if percent >= 100:
        return "g"  # above every hex digit: everyone
    return format(int(percent * 16**BUCKET_DIGITS // 100), f"0{BUCKET_DIGITS}x")


def bucket(salt, campaign_id, contact_id):
    """The bucket in Python (for rows made one by one, e.g. enrollments)."""
    key = f"{salt}:{campaign_id}:{contact_id}".encode()
    return hashlib.md5(key, usedforsecurity=False).hexdigest()[:BUCKET_DIGITS]


def bucket_expression(salt, campaign_id, contact_ref="id"):
    """The bucket as an ORM expression over the contact id in `contact_ref` (for annotations and filters)."""
    key = Concat(Value(f"{salt}:{campaign_id}:"), Cast(contact_ref, CharField()), output_field=CharField())
    expression = Substr(MD5(key), 1, BUCKET_DIGITS)
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


def bucket_sql(key_param, contact_column):
    """The bucket as raw SQL: `key_param` names a query parameter holding "{salt}:{campaign id}:"."""
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    return (f"substr(md5(CAST(%({key_param})s AS TEXT) || CAST({contact_column} AS TEXT)), 1, {BUCKET_DIGITS})"
            f"{collate}")


def is_held_out(campaign, contact_id):
    """True when the contact falls in `campaign`'s holdout (the control group)."""
    return bool(campaign.holdout_percent) and (
        bucket(HOLDOUT_SALT, campaign.pk, contact_id) < share_threshold(campaign.holdout_percent))
