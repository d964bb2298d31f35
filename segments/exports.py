"""CSV exports of a segment's members: a plain list and ad-platform audiences.

Rows stream from the database in chunks (bounded memory at any size). Cells
that a spreadsheet would run as a formula get a leading apostrophe.
"""
import csv
import hashlib

from contacts.rules import normalize_email

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000
MEMBER_HEADER = ("email", "last_name", "first_name", "company", "title", "status", "last_touch_at")
MEMBER_FIELDS = ("email", "last_name", "first_name", "company__name", "title", "status", "last_touch_at")
# Google Customer Match wants "Email"; Meta custom audiences "email". Both take SHA-256 hex.
AUDIENCE_HEADERS = {"google": "Email", "meta": "email"}


def neutralise(value):
    """A cell as text, with a leading apostrophe where it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def hash_email(email):
    """SHA-256 hex of the trimmed, lowercased address (what the ad platforms match on)."""
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


class _Echo:
    def write(self, value):
        return value


def member_rows(members, *, tz):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(MEMBER_HEADER)  # BOM: Excel in Japan opens UTF-8 correctly
    rows = members.order_by("id").values_list(*MEMBER_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    for row in rows:
        *rest, last_touch = row
        touched = last_touch.astimezone(tz).isoformat(timespec="seconds") if last_touch else ""
        yield writer.writerow([neutralise(cell) for cell in (*rest, touched)])


def audience_rows(members, *, audience):
    writer = csv.writer(_Echo())
    yield writer.writerow([AUDIENCE_HEADERS[audience]])
    for email in members.order_by("id").values_list("email", flat=True).iterator(chunk_size=CHUNK_SIZE):
        if normalize_email(email):
            yield writer.writerow([hash_email(email)])
