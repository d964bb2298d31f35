"""Cell cleaners: text in, typed value out, or a CellError saying what is wrong.

Every message quotes the offending value and, for a closed set, lists the
allowed values, so a user can fix the file without asking anyone.
"""
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from contacts.rules import is_valid_email, normalize_email, parse_date_value, parse_datetime_value

TRUE_WORDS = {"true", "1", "yes", "y", "はい"}
FALSE_WORDS = {"false", "0", "no", "n", "いいえ"}


class CellError(ValueError):
    pass


def shorten(value, limit=60):
    return value if len(value) <= limit else value[: limit - 1] + "…"


def fold(value):
    return unicodedata.normalize("NFKC", value).strip().lower()


def text(max_length):
    def clean(value, ctx):
        if len(value) > max_length:
            raise CellError(
                _("This value is %(length)d characters long; at most %(limit)d are allowed.")
                % {"length": len(value), "limit": max_length}
            )
        return value

    return clean


def email(value, ctx):
    address = normalize_email(value)
    if not is_valid_email(address):
        raise CellError(_("'%(value)s' is not a valid email address.") % {"value": shorten(value)})
    return address


def choice(choices):
    allowed = tuple(choices.values)

    def clean(value, ctx):
        key = fold(value)
        if key not in allowed:
            raise CellError(
                _("'%(value)s' is not an allowed value. Allowed values: %(allowed)s.")
                % {"value": shorten(value), "allowed": ", ".join(allowed)}
            )
        return key

    return clean


def date(value, ctx):
    parsed = parse_date_value(value, ctx.tz)
    if parsed is None:
        raise CellError(
            _("'%(value)s' is not a date. Use YYYY-MM-DD or YYYY/MM/DD.") % {"value": shorten(value)}
        )
    return parsed


def datetime(value, ctx):
    parsed = parse_datetime_value(value, ctx.tz)
    if parsed is None:
        raise CellError(
            _("'%(value)s' is not a date and time. Use ISO 8601 (2024-04-01T09:30:00+09:00), YYYY/MM/DD or "
              "YYYY-MM-DD HH:MM.") % {"value": shorten(value)}
        )
    return parsed


def count(value, ctx):
    digits = unicodedata.normalize("NFKC", value).replace(",", "").strip()
    if not (digits.isascii() and digits.isdigit()):
        raise CellError(_("'%(value)s' is not a whole number.") % {"value": shorten(value)})
    number = int(digits)
    if number > 2_147_483_647:
        raise CellError(_("'%(value)s' is too large.") % {"value": shorten(value)})
    return number


def amount(value, ctx):
    text_value = unicodedata.normalize("NFKC", value).replace(",", "").strip().lstrip("¥$")
    try:
        number = Decimal(text_value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise CellError(_("'%(value)s' is not a number.") % {"value": shorten(value)})
    if number.as_tuple().exponent < -2 or abs(number) >= Decimal("1e12"):
        raise CellError(
            _("'%(value)s' must have at most 12 digits before and 2 after the decimal point.")
            % {"value": shorten(value)}
        )
    return number


def boolean(value, ctx):
    word = fold(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(
        _("'%(value)s' is not yes or no. Use true/false, 1/0, yes/no or はい/いいえ.") % {"value": shorten(value)}
    )


def tag_list(value, ctx):
    names = []
    for part in value.split(";"):
        name = part.strip()
        if not name or name in names:
            continue
        if len(name) > 100:
            raise CellError(_("The tag '%(tag)s' is longer than 100 characters.") % {"tag": shorten(name)})
        names.append(name)
    return names


def owner(value, ctx):
    address = normalize_email(value)
    ids = ctx.owners().get(address, ())
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise CellError(_("No active user has the email '%(value)s'.") % {"value": shorten(value)})
    raise CellError(_("Several users have the email '%(value)s'.") % {"value": shorten(value)})
