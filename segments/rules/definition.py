"""Validation of a segment's rule tree: the allow-list between user JSON and SQL.

Every problem is reported with the JSON path of the item that has it
("items[1].items[0].op: ..."), so the builder and API callers can point at it.
Only condition types, fields and operators named in `fields.py` exist.
"""
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contacts.models import TouchKind

from .fields import (
    ATTRIBUTE_PREFIX,
    CHOICES,
    DATE,
    DATETIME,
    DAYS,
    LIST,
    NONE,
    NUMBER,
    OPERATORS,
    PAIR,
    TAG,
    USER,
    field_type,
)

MAX_DEPTH = 4
MAX_ITEMS = 20
MAX_VALUES = 200
MAX_TEXT = 200
MAX_DAYS = 3650
MAX_COUNT = 1_000_000
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
GROUP_OPS = ("and", "or")
CONDITION_TYPES = ("attribute", "behaviour", "dormancy", "dormant_days", "lapse", "consent", "score")
SCORE_OPS = ("gte", "lte")
MAX_SCORE = 1_000_000
CONDITION_KEYS = {
    "attribute": {"type", "field", "op", "value"},
    "behaviour": {"type", "did", "kind", "url_contains", "min_count", "max_count", "within_days", "between"},
    "dormancy": {"type", "rule"},
    "dormant_days": {"type", "min_days"},
    "lapse": {"type", "expiring_within_days", "lapsed_within_days"},
    "consent": {"type", "can_receive_marketing"},
    "score": {"type", "op", "value"},
}


def _is_whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Checker:
    def __init__(self, known_rules):
        self.errors = []
        self.rule_slugs = set()
        self.known_rules = known_rules

    def fail(self, path, message):
        self.errors.append(f"{path}: {message}" if path else message)

    def group(self, data, path, depth):
        if not isinstance(data, dict) or "items" not in data or "type" in data:
            self.fail(path, _('a group must be an object with "op" ("and" or "or") and "items".'))
            return data
        for key in sorted(set(data) - {"op", "items"}, key=str):
            self.fail(path, _("unexpected key %(key)s in a group.") % {"key": _show(key)})
        op = data.get("op")
        if op not in GROUP_OPS:
            self.fail(_join(path, "op"), _('%(op)s is not a group operator; use "and" or "or".') % {"op": _show(op)})
        items = data["items"]
        if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
            self.fail(_join(path, "items"), _("a group needs 1 to %(max)d conditions.") % {"max": MAX_ITEMS})
            return data
        cleaned = []
        for index, item in enumerate(items):
            where = _join(path, f"items[{index}]")
            if isinstance(item, dict) and "items" in item and "type" not in item:
                if depth >= MAX_DEPTH:
                    self.fail(where, _("groups nest at most %(max)d levels deep.") % {"max": MAX_DEPTH})
                    cleaned.append(item)
                else:
                    cleaned.append(self.group(item, where, depth + 1))
            else:
                cleaned.append(self.condition(item, where))
        return {"op": op, "items": cleaned}

    def condition(self, item, path):
        if not isinstance(item, dict):
            self.fail(path, _("a condition must be an object."))
            return item
        kind = item.get("type")
        if kind not in CONDITION_TYPES:
            self.fail(path, _("unknown condition type %(type)s. Known types: %(known)s.")
                      % {"type": _show(kind), "known": ", ".join(CONDITION_TYPES)})
            return item
        for key in sorted(set(item) - CONDITION_KEYS[kind], key=str):
            self.fail(path, _("unexpected key %(key)s in a %(type)s condition.") % {"key": _show(key), "type": kind})
        return getattr(self, f"_{kind}")(item, path)

    def _days(self, value, path, *, minimum=0):
        if not _is_whole(value) or not minimum <= value <= MAX_DAYS:
            self.fail(path, _("%(value)s is not a whole number of days from %(min)d to %(max)d.")
                      % {"value": _show(value), "min": minimum, "max": MAX_DAYS})
        return value

    def _date(self, value, path):
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        self.fail(path, _("%(value)s is not a date as YYYY-MM-DD.") % {"value": _show(value)})
        return None

    def _date_pair(self, value, path):
        if not isinstance(value, list) or len(value) != 2:
            self.fail(path, _("between needs a list of two dates [from, to]."))
            return value
        start, end = self._date(value[0], f"{path}[0]"), self._date(value[1], f"{path}[1]")
        if start is not None and end is not None and start > end:
            self.fail(path, _("the first date must not be after the second."))
        return [start, end]

    def _attribute(self, item, path):
        field, op, value = item.get("field"), item.get("op"), item.get("value")
        kind = field_type(field)
        if kind is None:
            self.fail(_join(path, "field"), _("%(field)s is not a field you can filter on.") % {"field": _show(field)})
            return item
        if field.startswith(ATTRIBUTE_PREFIX):
            key = field[len(ATTRIBUTE_PREFIX):]
            if not key or len(key) > 100 or not key.isprintable():
                self.fail(_join(path, "field"), _("%(key)s is not a usable custom attribute name.")
                          % {"key": _show(key)})
        if op not in OPERATORS[kind]:
            self.fail(_join(path, "op"), _("%(op)s is not an operator for a %(type)s field.")
                      % {"op": _show(op), "type": kind})
            return item
        shape = OPERATORS[kind][op]
        where = _join(path, "value")
        if shape == NONE:
            if "value" in item and value not in (None, "", []):
                self.fail(where, _("%(op)s takes no value.") % {"op": op})
            return {"type": "attribute", "field": field, "op": op}
        return {"type": "attribute", "field": field, "op": op, "value": self._value(field, kind, shape, value, where)}

    def _value(self, field, kind, shape, value, path):
        if shape == DAYS:
            return self._days(value, path)
        if kind in (DATE, DATETIME):
            return self._date_pair(value, path) if shape == PAIR else self._date(value, path)
        if kind == NUMBER:
            values = value if shape == PAIR else [value]
            if shape == PAIR and (not isinstance(value, list) or len(value) != 2):
                self.fail(path, _("between needs a list of two numbers [from, to]."))
                return value
            if not all(_is_whole(v) and abs(v) <= 2**62 for v in values):
                self.fail(path, _("%(value)s is not a whole number.") % {"value": _show(value)})
            elif shape == PAIR and value[0] > value[1]:
                self.fail(path, _("the first number must not be greater than the second."))
            return value
        if shape == LIST:
            if not isinstance(value, list) or not value or len(value) > MAX_VALUES:
                self.fail(path, _("needs a list of 1 to %(max)d values.") % {"max": MAX_VALUES})
                return value
            for index, single in enumerate(value):
                self._single(field, kind, single, f"{path}[{index}]")
            return list(dict.fromkeys(value))
        return self._single(field, kind, value, path)

    def _single(self, field, kind, value, path):
        if kind == USER:
            if not _is_whole(value):
                self.fail(path, _("%(value)s is not a user id.") % {"value": _show(value)})
        elif not isinstance(value, str) or len(value) > MAX_TEXT:
            self.fail(path, _("%(value)s is not text of at most %(max)d characters.")
                      % {"value": _show(value), "max": MAX_TEXT})
        elif kind == TAG and not value.strip():
            self.fail(path, _("name a tag."))
        elif field in CHOICES and value not in CHOICES[field].values:
            self.fail(path, _("%(value)s is not a known value. Known values: %(known)s.")
                      % {"value": _show(value), "known": ", ".join(CHOICES[field].values)})
        return value

    def _behaviour(self, item, path):
        cleaned = {"type": "behaviour"}
        did = item.get("did", True)
        if not isinstance(did, bool):
            self.fail(_join(path, "did"), _("did must be true or false."))
        cleaned["did"] = did
        kind = item.get("kind")
        if kind not in TouchKind.values:
            self.fail(_join(path, "kind"), _("%(kind)s is not a touch kind. Known kinds: %(known)s.")
                      % {"kind": _show(kind), "known": ", ".join(TouchKind.values)})
        cleaned["kind"] = kind
        if item.get("url_contains") not in (None, ""):
            url = item["url_contains"]
            if not isinstance(url, str) or len(url) > MAX_TEXT:
                self.fail(_join(path, "url_contains"), _("%(value)s is not text of at most %(max)d characters.")
                          % {"value": _show(url), "max": MAX_TEXT})
            cleaned["url_contains"] = url
        for key in ("min_count", "max_count"):
            if item.get(key) is not None:
                count = item[key]
                low = 1 if key == "min_count" else 0
                if not _is_whole(count) or not low <= count <= MAX_COUNT:
                    self.fail(_join(path, key), _("%(value)s is not a whole number from %(min)d to %(max)d.")
                              % {"value": _show(count), "min": low, "max": MAX_COUNT})
                cleaned[key] = count
        low, high = cleaned.get("min_count"), cleaned.get("max_count")
        if _is_whole(low) and _is_whole(high) and low > high:
            self.fail(path, _("min_count must not be greater than max_count."))
        if item.get("within_days") is not None and item.get("between") is not None:
            self.fail(path, _("give within_days or between, not both."))
        elif item.get("within_days") is not None:
            cleaned["within_days"] = self._days(item["within_days"], _join(path, "within_days"), minimum=1)
        elif item.get("between") is not None:
            cleaned["between"] = self._date_pair(item["between"], _join(path, "between"))
        return cleaned

    def _dormancy(self, item, path):
        slug = item.get("rule")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            self.fail(_join(path, "rule"), _("%(rule)s is not a dormancy rule slug.") % {"rule": _show(slug)})
        else:
            self.rule_slugs.add((slug, _join(path, "rule")))
        return {"type": "dormancy", "rule": slug}

    def _dormant_days(self, item, path):
        return {"type": "dormant_days", "min_days": self._days(item.get("min_days"), _join(path, "min_days"))}

    def _lapse(self, item, path):
        keys = [key for key in ("expiring_within_days", "lapsed_within_days") if item.get(key) is not None]
        if len(keys) != 1:
            self.fail(path, _("a lapse condition needs exactly one of expiring_within_days or lapsed_within_days."))
            return item
        return {"type": "lapse", keys[0]: self._days(item[keys[0]], _join(path, keys[0]), minimum=1)}

    def _consent(self, item, path):
        value = item.get("can_receive_marketing")
        if not isinstance(value, bool):
            self.fail(_join(path, "can_receive_marketing"), _("can_receive_marketing must be true or false."))
        return {"type": "consent", "can_receive_marketing": value}

    def _score(self, item, path):
        op, value = item.get("op"), item.get("value")
        if op not in SCORE_OPS:
            self.fail(_join(path, "op"), _('%(op)s is not a score operator; use "gte" (at least) or "lte" (at most).')
                      % {"op": _show(op)})
        if isinstance(value, bool) or not isinstance(value, int | float) or not -MAX_SCORE <= value <= MAX_SCORE:
            self.fail(_join(path, "value"), _("%(value)s is not a score from %(min)d to %(max)d.")
                      % {"value": _show(value), "min": -MAX_SCORE, "max": MAX_SCORE})
        return {"type": "score", "op": op, "value": value}


def _join(path, key):
    return f"{path}.{key}" if path else key


def validate_definition(data, *, known_rules=None):
    """Return the cleaned rule tree or raise ValidationError with one message per problem.

    `known_rules` is the set of dormancy rule slugs that exist; when None it is
    read from the database (one query, only if the tree names a rule).
    """
    checker = _Checker(known_rules)
    cleaned = checker.group(data, "", 1)
    if checker.rule_slugs and not checker.errors:
        known = known_rules
        if known is None:
            from dormancy.models import DormancyRule

            known = set(DormancyRule.objects.filter(slug__in=[s for s, _p in checker.rule_slugs])
                        .values_list("slug", flat=True))
        for slug, where in sorted(checker.rule_slugs):
            if slug not in known:
                checker.fail(where, _("there is no dormancy rule %(rule)s.") % {"rule": _show(slug)})
    if checker.errors:
        raise ValidationError(checker.errors)
    return cleaned
